import { jsonLines, outputKeyOf } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import { LeaseLostError } from '../errors.ts';
import { publishStaged, stageExceptions } from '../exceptions/exception-staging.ts';
import { consumedDigest } from '../jobs/dependencies.ts';
import type { Job, ProducerBatchRef } from '../model.ts';
import { COMMIT_EXCEPTIONS_MAX, type NewException } from '../ports/index.ts';
import type { AnyProcessor, BatchContext } from '../processors/define-processor.ts';
import { relayQuietly } from '../runs/relay-events.ts';
import { dropIfBatchGone, type Lease, type phases } from './batch-steps.ts';
import type { Answer, Preflight } from './preflight.ts';

/** What the processor made of a batch's items. */
export interface Processed {
  readonly processor: AnyProcessor;
  readonly withState: BatchContext<unknown, unknown>;
  readonly lines: string[];
  readonly exceptions: NewException[];
  readonly valid: Answer;
}

/** Write the batch's one output object, let the processor publish, and commit under the fence. */
export async function finishBatch(
  deps: Deps,
  job: Job,
  lease: Lease,
  done: Processed,
  answers: Preflight,
  clock: ReturnType<typeof phases>,
  /** A consumer's: the producer batches it read, kept with its attempt and as a digest on its batch. */
  consumed: readonly ProducerBatchRef[] = [],
) {
  const { lines, exceptions } = done;
  // Every committed batch has its one object, empty when every item was set aside: it replaces whatever an
  // earlier attempt or an earlier life of this range left at the key.
  const outputKey = outputKeyOf(job.jobId, lease.scope, lease);
  await deps.objects.put(deps.buckets.work, outputKey, jsonLines(lines), 'application/x-ndjson');
  await deps.faults('process.afterOutputs');
  clock.lap('writeMs');
  const summary = {
    itemsSucceeded: lines.length,
    itemsExcepted: exceptions.length,
    durationMs: deps.clock.now() - lease.startedAt,
    outputKey,
  };
  await done.processor.afterBatch(done.withState, summary);
  await commitBatch(deps, lease, {
    lines: lines.length,
    exceptions,
    outputKey,
    answers,
    laps: clock.laps,
    consumed,
  });
  return {
    outcome: 'SUCCEEDED' as const,
    start: lease.start,
    end: lease.end,
    itemsSucceeded: lines.length,
    itemsExcepted: exceptions.length,
  };
}

/**
 * Commit the batch, fenced by the lease: up to COMMIT_EXCEPTIONS_MAX exceptions in the commit's transaction,
 * more staged in S3 before it and written after it (core/exceptions/exception-staging.ts).
 */
async function commitBatch(
  deps: Deps,
  lease: Lease,
  done: {
    lines: number;
    exceptions: NewException[];
    outputKey: string;
    answers: Preflight;
    laps: Record<string, number>;
    consumed: readonly ProducerBatchRef[];
  },
): Promise<void> {
  const { exceptions, outputKey } = done;
  const inline = exceptions.length <= COMMIT_EXCEPTIONS_MAX;
  const staged = inline ? undefined : await stageExceptions(deps, lease, exceptions);
  if (staged) await deps.faults('process.afterExceptionsStaged');
  // Items of the range set aside by earlier attempts and processed by this one: the commit records that their
  // exceptions are to be closed, and the publish below (or the next plan, after a crash) closes them.
  const supersede =
    lease.scope.kind === 'inventory' &&
    done.lines > 0 &&
    (await deps.exceptions.hasOpen(lease.jobId, lease.start, lease.end));
  await deps.faults('process.beforeCommit');
  const recorded = await deps.commits
    .commit({
      ...lease,
      itemsSucceeded: done.lines,
      itemsExcepted: exceptions.length,
      outputKey,
      diagnostics: {
        preflight: done.answers,
        timings: done.laps,
        ...(done.consumed.length > 0 ? { consumed: done.consumed } : {}),
      },
      ...(done.consumed.length > 0 ? { consumed: consumedDigest(done.consumed) } : {}),
      exceptions: inline ? exceptions : [],
      staged,
      supersede,
    })
    .catch(async (e: unknown) => {
      if (e instanceof LeaseLostError) await dropIfBatchGone(deps, lease, [outputKey, staged?.key]);
      throw e;
    });
  await deps.faults('process.afterCommit');
  if (recorded.publish) await publishStaged(deps, recorded.publish);
  // The commit's event is in the job's log; it goes to the bus now, or with the next relay.
  await relayQuietly(deps, lease.jobId, [recorded.event]);
}
