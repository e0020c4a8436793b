import { PlanEvent } from '../core/events.ts';
import { planRun } from '../core/planning/plan-run.ts';
import { parse } from '../core/validation.ts';
import { deps, handle } from './support/runtime.ts';

/** The Plan state: validate the execution input, reserve ranges, write the manifest. */
export const handler = handle(async (event: unknown, _context, log) => {
  const e = parse(PlanEvent, event, 'plan event');
  log.appendKeys({ runId: e.runId, jobId: (e.input as { jobId?: unknown })?.jobId });
  const plan = await planRun(deps(), e.input, e.runId);
  log.info('planned', {
    batches: plan.batches,
    items: plan.items,
    newBatches: plan.newBatches,
    skippedBusy: plan.skippedBusy,
  });
  return plan;
});
