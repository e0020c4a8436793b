import { PlanEvent } from '../core/events.ts';
import { planRun } from '../core/plan-run.ts';
import { parse } from '../core/validation.ts';
import { deps, handle, logger } from './support/runtime.ts';

/** The Plan state: validate the execution input, reserve ranges, write the manifest. */
export const handler = handle(async (event: unknown) => {
  const e = parse(PlanEvent, event, 'plan event');
  logger.appendKeys({ runId: e.runId, jobId: (e.input as { jobId?: unknown })?.jobId });
  const plan = await planRun(deps(), e.input, e.runId);
  logger.info('planned', {
    batches: plan.batches,
    items: plan.items,
    newBatches: plan.newBatches,
    skippedBusy: plan.skippedBusy,
  });
  return plan;
});
