import { z } from 'zod';
import { PositiveInt, PositiveNumber } from './validation.ts';

/**
 * The bounds of a weight batching target, in bytes. Below 1 KiB nearly every item is a batch of its own (a
 * target of 10 over items of 1 KB cut 7,500 one-item batches); above 10 GiB a batch no longer fits in a worker's
 * largest ephemeral storage (Lambda's 10,240 MiB).
 */
export const BATCH_WEIGHT = { min: 1024, max: 10 * 1024 ** 3 } as const;

/** A weight batching target within BATCH_WEIGHT: one rule, whichever bound is broken (zod refuses NaN and ±Infinity). */
export const BatchWeightTarget = z.number({ error: 'must be a number' }).superRefine((n, ctx) => {
  if (n < BATCH_WEIGHT.min)
    ctx.addIssue({ code: 'custom', message: `must be >= ${BATCH_WEIGHT.min} bytes (1 KiB)` });
  else if (n > BATCH_WEIGHT.max)
    ctx.addIssue({
      code: 'custom',
      message: `must be <= ${BATCH_WEIGHT.max} bytes (10 GiB, the largest ephemeral storage of a worker)`,
    });
});

/** Items per batch at most, whatever their weight: `size`, and `maxItems` of a weight policy. */
export const MAX_BATCH_ITEMS = 100_000;

const batchingOf = (target: z.ZodType<number>) =>
  z.discriminatedUnion(
    'by',
    [
      z.strictObject({ by: z.literal('count'), size: PositiveInt(MAX_BATCH_ITEMS) }),
      z.strictObject({
        by: z.literal('weight'),
        target,
        /** An upper bound on items per batch whatever their weight. @default 100000 */
        maxItems: PositiveInt(MAX_BATCH_ITEMS).optional(),
      }),
    ],
    { error: "must be { by: 'count', size } or { by: 'weight', target }" },
  );

/**
 * How a job cuts its id space into batches, as a job record holds it. A job created before the weight target
 * had bounds keeps its target: it stays readable, runnable and deletable.
 */
export const Batching = batchingOf(PositiveNumber);
export type Batching = z.infer<typeof Batching>;

/** The batching policy a job is created with: the same shape, the weight target within BATCH_WEIGHT. */
export const BatchingPolicy = batchingOf(BatchWeightTarget);
