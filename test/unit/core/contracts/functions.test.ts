import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CONTAINER } from '../../../../core/contracts/flavors.ts';
import {
  FUNCTIONS,
  largestWorker,
  limitsOf,
  RUN_JOB_FUNCTIONS,
  WORKER_SIZES,
} from '../../../../core/contracts/functions.ts';
import { placeholdersOf, RUN_JOB_ASL_PATH } from '../../../../infra/run-job-definition.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const specs = Object.values(FUNCTIONS);

type State = Record<string, unknown> & { Type: string };
/** Every Task of run-job.asl.json that invokes a function, with the placeholder of the function's ARN. */
function invokingTasks(): { name: string; placeholder: string; timeoutSeconds: number }[] {
  const out: { name: string; placeholder: string; timeoutSeconds: number }[] = [];
  const visit = (states: Record<string, State>) => {
    for (const [name, state] of Object.entries(states)) {
      const fn = (state.Parameters as { FunctionName?: string } | undefined)?.FunctionName;
      const placeholder = fn && /^\$\{(\w+)\}$/.exec(fn)?.[1];
      if (state.Type === 'Task' && placeholder)
        out.push({ name, placeholder, timeoutSeconds: state.TimeoutSeconds as number });
      const processor = state.ItemProcessor as { States: Record<string, State> } | undefined;
      if (processor) visit(processor.States);
    }
  };
  visit(JSON.parse(readFileSync(RUN_JOB_ASL_PATH, 'utf8')).States);
  return out;
}

describe('core/contracts/functions.ts', () => {
  it('has one row per handler file of functions/, each with an entry that exists', () => {
    const handlers = readdirSync(`${REPO_ROOT}functions`).filter((f) => f.endsWith('.ts'));
    // The container flavors' entrypoint lives beside the handlers, named by the flavors contract.
    expect([...specs.map((s) => s.entry), CONTAINER.entry].sort()).toEqual(
      handlers.map((f) => `functions/${f}`).sort(),
    );
    for (const spec of specs) expect(existsSync(`${REPO_ROOT}${spec.entry}`), spec.entry).toBe(true);
    expect(new Set(specs.map((s) => s.id)).size).toBe(specs.length);
  });

  it('names by placeholder exactly the functions run-job.asl.json invokes', () => {
    const asl = placeholdersOf(readFileSync(RUN_JOB_ASL_PATH, 'utf8')).filter((p) =>
      p.endsWith('FunctionArn'),
    );
    expect(RUN_JOB_FUNCTIONS.map((s) => s.placeholder).sort()).toEqual(asl.sort());
    expect(
      invokingTasks()
        .map((t) => t.placeholder)
        .sort(),
    ).toEqual(asl.sort());
  });

  it("gives each invoking Task a timeout above its function's, whatever the worker size", () => {
    for (const task of invokingTasks()) {
      const spec = RUN_JOB_FUNCTIONS.find((s) => s.placeholder === task.placeholder);
      if (!spec) throw new Error(`no function for ${task.placeholder}`);
      for (const worker of Object.values(WORKER_SIZES)) {
        expect(task.timeoutSeconds, task.name).toBeGreaterThan(limitsOf(spec, worker).timeoutSeconds);
      }
    }
  });

  it('sizes ProcessBatch for the largest worker, small when there is none, and the others by their row', () => {
    expect(largestWorker([])).toEqual(WORKER_SIZES.small);
    expect(largestWorker([WORKER_SIZES.small, WORKER_SIZES.large, WORKER_SIZES.medium])).toEqual(
      WORKER_SIZES.large,
    );
    expect(limitsOf(FUNCTIONS.processBatch, WORKER_SIZES.medium)).toEqual(WORKER_SIZES.medium);
    expect(limitsOf(FUNCTIONS.planRun, WORKER_SIZES.large)).toEqual(FUNCTIONS.planRun.limits);
  });
});
