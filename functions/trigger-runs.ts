import { z } from 'zod';
import { EVENT_SOURCE } from '../core/contracts/bus.ts';
import { ValidationError } from '../core/errors.ts';
import { JobEventSchema } from '../core/events.ts';
import { reconcileTriggers, triggerOnEvents } from '../core/runs/triggers.ts';
import { parse } from '../core/validation.ts';
import { deps, handle } from './support/runtime.ts';

/** A batchkeeper event as the bus's rule delivers it: the JobEvent is the detail. */
const BusEvent = z.object({
  source: z.literal(EVENT_SOURCE),
  'detail-type': z.string(),
  detail: JobEventSchema,
});

/** The schedule's input: look at every triggered job. */
const Reconcile = z.object({ reconcile: z.literal(true) });

/**
 * TriggerRuns: starts the incremental runs of triggered consumers (core/runs/triggers.ts), from the event bus's
 * rule (each commit and run end) and from a schedule (the reconcile: event delivery is best effort).
 */
export const handler = handle(async (event: unknown, _context, log) => {
  const d = deps();
  if (!d.starter) throw new ValidationError([{ field: 'environment', rule: 'must name the state machine' }]);
  const withStarter = { ...d, starter: d.starter };
  const outcomes = Reconcile.safeParse(event).success
    ? await reconcileTriggers(withStarter)
    : await triggerOnEvents(withStarter, [parse(BusEvent, event, 'trigger event').detail]);
  for (const o of outcomes) log.info('trigger', { ...o });
  return { outcomes };
});
