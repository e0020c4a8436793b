import { SfnRunLiveness } from '../../core/adapters/sfn-run-liveness.ts';
import { SfnRunStarter } from '../../core/adapters/sfn-run-starter.ts';
import { reconcileTriggers, type TriggerOutcome } from '../../core/runs/triggers.ts';
import { table } from '../output.ts';
import type { Target } from '../target.ts';
import { defineCommand, targetArgs } from './args.ts';

/**
 * What the periodic reconcile does, once and now: every job with a triggered dependency gets an incremental run
 * where there is work (READY ranges, open or stale batches) and none is live. Runs start through the state
 * machine the target names, as `run` starts them, under the trigger's name for this window: a start that a
 * commit's trigger made already answers `exists`, not a second run.
 */
export async function reconcileOnce(target: Target): Promise<TriggerOutcome[]> {
  const props = { sfn: target.clients.sfn, stateMachineArn: target.stateMachineArn };
  return reconcileTriggers({
    ...target.deps,
    liveness: target.deps.liveness ?? new SfnRunLiveness(props),
    starter: new SfnRunStarter(props),
  });
}

export const triggersReconcile = defineCommand({
  words: ['triggers', 'reconcile'],
  usage: '',
  summary:
    'start the incremental runs that triggered jobs are owed (work READY, none live), as the periodic reconcile does',
  positionals: [],
  flags: {},
  schema: targetArgs({}),
  needsTarget: true,
  async run(_a, ctx) {
    const outcomes = await reconcileOnce(await ctx.target());
    return { json: { outcomes }, text: outcomesText(outcomes) };
  },
});

export function outcomesText(outcomes: readonly TriggerOutcome[]): string {
  if (outcomes.length === 0) return 'no job has a dependency with a trigger: nothing to reconcile\n';
  const started = outcomes.filter((o) => o.outcome === 'started').length;
  const rows = outcomes.map((o) => [o.jobId, o.outcome, o.runId]);
  const watch = outcomes
    .filter((o) => o.outcome === 'started')
    .map((o) => `watch with  batchkeeper runs show ${o.jobId} ${o.runId}\n`)
    .join('');
  return `${outcomes.length} triggered job(s), ${started} run(s) started\n${table(['job', 'outcome', 'run'], rows)}${watch}`;
}
