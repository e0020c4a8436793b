import { FinalizeEvent } from '../core/events.ts';
import { finalizeRun } from '../core/runs/finalize-run.ts';
import { parse } from '../core/validation.ts';
import { deps, handle } from './support/runtime.ts';

/** The Finalize state: counts and per-state timings into the run and job records. */
export const handler = handle(async (event: unknown, _context, log) => {
  const e = parse(FinalizeEvent, event, 'finalize event');
  log.appendKeys({ jobId: e.jobId, runId: e.runId });
  const out = await finalizeRun(deps(), e);
  log.info('run finalized', { ...out });
  return out;
});
