import { z } from 'zod';
import { CONTAINER_FLAVOR_NAMES, Routing } from '../../core/contracts/flavors.ts';
import { ValidationError } from '../../core/errors.ts';
import type { Producer } from '../../core/jobs/dependencies.ts';
import { MAX_DEPENDENCIES } from '../../core/model.ts';
import { NAME_RULE, Name } from '../../core/validation.ts';

/** The only word after the colon of `--depends-on JOB:trigger`. */
const TRIGGER = 'trigger';

/**
 * `--depends-on JOB[:trigger]`, repeatable: the jobs a new job waits on (core/jobs/dependencies.ts), with
 * `:trigger` when a commit of that job starts an incremental run of this one. Each job once, at most
 * MAX_DEPENDENCIES of them.
 * @example DependsOnFlag.parse(['a', 'b:trigger']) // [{ jobId: 'a', trigger: false }, { jobId: 'b', trigger: true }]
 */
export const DependsOnFlag = z.array(z.string()).transform((values, ctx): Producer[] => {
  const out: Producer[] = [];
  const problem = (message: string) => ctx.addIssue({ code: 'custom', message });
  for (const value of values) {
    const colon = value.lastIndexOf(':');
    const jobId = colon < 0 ? value : value.slice(0, colon);
    const suffix = colon < 0 ? undefined : value.slice(colon + 1);
    if (suffix !== undefined && suffix !== TRIGGER) {
      problem(`must be JOB or JOB:${TRIGGER}, not "${value}"`);
      continue;
    }
    if (!Name.safeParse(jobId).success) {
      problem(`"${value}": the job id ${NAME_RULE}`);
      continue;
    }
    if (out.some((p) => p.jobId === jobId)) {
      problem(`names job ${jobId} more than once`);
      continue;
    }
    out.push({ jobId, trigger: suffix === TRIGGER });
  }
  if (out.length > MAX_DEPENDENCIES) problem(`must name at most ${MAX_DEPENDENCIES} jobs`);
  return out;
});

/**
 * `--route FLAVOR[:MIN_WEIGHT]`: the job's routing by weight (core/contracts/flavors.ts).
 * @example RouteFlag.parse('fargate-large:1000000') // { flavor: 'fargate-large', minWeight: 1000000 }
 */
export const RouteFlag = z.string().transform((value, ctx): Routing | typeof z.NEVER => {
  const [flavor, weight, ...rest] = value.split(':');
  const minWeight = weight === undefined ? 0 : Number(weight);
  const parsed = Routing.safeParse({ flavor, minWeight });
  if (rest.length > 0 || weight === '' || !Number.isFinite(minWeight) || !parsed.success) {
    ctx.addIssue({
      code: 'custom',
      message: `must be FLAVOR[:MIN_WEIGHT] with FLAVOR one of ${CONTAINER_FLAVOR_NAMES.join(', ')} and MIN_WEIGHT a number >= 0, not "${value}"`,
    });
    return z.NEVER;
  }
  return parsed.data;
});

/** The job spec's fields under the flags that set them, so that a rule of the core names the flag. */
const FLAG_OF_FIELD: readonly [RegExp, string][] = [
  [/^dependsOn(\[\d+\]|\.\d+)?(\.jobId)?$/, '--depends-on'],
  [/^datasetId$/, '--dataset'],
];

/**
 * A refusal of the core's dependency checks (a missing producer, a cycle, other ids), with the flags named
 * instead of the spec's fields; other errors pass through.
 */
export function withFlagNames(error: unknown): unknown {
  if (!(error instanceof ValidationError)) return error;
  const renamed = error.violations.map((v) => {
    const flag = FLAG_OF_FIELD.find(([field]) => field.test(v.field))?.[1];
    return { field: flag ?? v.field, rule: v.rule };
  });
  if (renamed.every((v, i) => v.field === error.violations[i]?.field)) return error;
  return new ValidationError(renamed, { what: 'job spec', cause: error });
}

/** `a (trigger), b`: a job's producers or dependents on one line; `-` for none. */
export const dependenciesText = (list: readonly Producer[]): string =>
  list.length === 0 ? '-' : list.map((p) => (p.trigger ? `${p.jobId} (trigger)` : p.jobId)).join(', ');
