import { createHash } from 'node:crypto';
import type { Deps } from '../deps.ts';
import type { Job } from '../model.ts';
import { type CommandSpec, commandFingerprint } from '../processors/command-spec.ts';
import type { Json } from '../validation.ts';

/** JSON with object keys sorted at every depth: equal data gives equal text, whatever the key order. */
export function canonicalJson(value: Json): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as Json)}`);
    return `{${entries.join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The config hash of a job: SHA-256 of the canonical JSON of processor name, processor version and config, and
 * for a command processor its command (program, arguments, cwd, env, secret): a changed command is a changed
 * config. A processor without a command hashes as it always did.
 * @example configHash({ name: 'normalize-address', version: '1' }, { uppercaseCity: true })
 */
export function configHash(
  processor: { name: string; version: string; command?: CommandSpec },
  config: Record<string, Json>,
): string {
  const hashed: Record<string, Json> = { processor: processor.name, version: processor.version, config };
  if (processor.command) hashed.command = commandFingerprint(processor.command);
  const text = canonicalJson(hashed);
  return createHash('sha256').update(text).digest('hex');
}

/** The hash a batch completes with now: the job's config under the processor version that is deployed. */
export function effectiveHash(deps: Pick<Deps, 'processors'>, job: Job): string {
  const deployed = deps.processors.has(job.processor.name)
    ? deps.processors.get(job.processor.name)
    : undefined;
  const version = deployed ? deployed.version : job.processor.version;
  return configHash(
    { name: job.processor.name, version, command: deployed?.command },
    job.config as Record<string, Json>,
  );
}
