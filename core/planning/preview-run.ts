import { sourceFor } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { JobDeletingError } from '../errors.ts';
import { RunInput } from '../events.ts';
import { getJob } from '../jobs/jobs.ts';
import type { Batch, Job } from '../model.ts';
import { parse } from '../validation.ts';
import { cut } from './batching.ts';
import { DEFAULT_MAX_BATCHES } from './plan-context.ts';

/** A stretch of consecutive planned batches of one kind, as a preview shows it. */
export interface PreviewRange {
  readonly start: number;
  readonly end: number;
  readonly batches: number;
  readonly items: number;
  /** `existing`: batches already in the inventory; `new`: cut past the watermark; `sample`: the sample's own. */
  readonly kind: 'existing' | 'new' | 'sample';
}

/** What a run would plan if it started now, read without writing anything. */
export interface RunPreview {
  readonly jobId: string;
  readonly mode: RunInput['mode'];
  readonly batches: number;
  readonly items: number;
  readonly newBatches: number;
  /** Batches left out because a live lease or another run's live reservation holds them. */
  readonly skippedBusy: number;
  /** Whether the plan stops at maxBatches with more left to do (the next run takes the rest). */
  readonly truncated: boolean;
  readonly maxBatches: number;
  /** Ranges of adjacent batches of one kind, in plan order; at most MAX_PREVIEW_RANGES. */
  readonly ranges: readonly PreviewRange[];
  readonly rangesTruncated: boolean;
  /** Items per planned batch on average: what a cost estimate scales by. */
  readonly itemsPerBatch: number;
}

export const MAX_PREVIEW_RANGES = 200;

interface Acc {
  readonly ranges: PreviewRange[];
  batches: number;
  items: number;
  newBatches: number;
  skippedBusy: number;
  truncated: boolean;
  readonly max: number;
}

/**
 * Preview a run: the ranges and the number of batches Plan would reserve for the same input now, from the same
 * ports, read only. It follows Plan's rules (open batches or those inside a backfill's bounds, never one under a
 * live lease or another run's live reservation, new ranges past the watermark by the job's batching policy, a
 * sample's every-nth ids), so that a person can judge a run before starting it. Runs planned meanwhile may take
 * some of the ranges first: a preview is an estimate, not a reservation.
 * @example const p = await previewRun(deps, { jobId: 'addresses', mode: 'backfill', idStart: 1, idEnd: 5000 });
 */
export async function previewRun(deps: Deps, rawInput: unknown): Promise<RunPreview> {
  const input = parse(RunInput, rawInput, 'run input');
  const job = await getJob(deps, input.jobId);
  if (job.state === 'DELETING') throw new JobDeletingError({ jobId: job.jobId });
  const max = input.maxBatches ?? DEFAULT_MAX_BATCHES;
  const acc: Acc = { ranges: [], batches: 0, items: 0, newBatches: 0, skippedBusy: 0, truncated: false, max };
  const source = await sourceFor(deps, job.datasetId);
  const high = await source.highId();
  if (input.mode === 'sample') previewSample(acc, job, input, high);
  else {
    const bounds = input.mode === 'backfill' ? { from: input.idStart ?? 1, to: input.idEnd ?? 0 } : undefined;
    await previewExisting(deps, acc, job, bounds);
    if (input.mode !== 'retry-failed') {
      const from = Math.max(job.watermark, bounds?.from ?? job.watermark);
      const to = Math.min(high, bounds?.to ?? high);
      const weighed = async function* (a: number, b: number) {
        for await (const item of source.items(a, b)) yield { id: item.id, weight: item.weight };
      };
      if (from <= to) {
        for await (const b of cut(job.batching, from, to, weighed)) {
          if (!add(acc, b.start, b.end, b.count, 'new')) break;
          acc.newBatches++;
        }
      }
    }
  }
  return {
    jobId: job.jobId,
    mode: input.mode,
    batches: acc.batches,
    items: acc.items,
    newBatches: acc.newBatches,
    skippedBusy: acc.skippedBusy,
    truncated: acc.truncated,
    maxBatches: max,
    ranges: acc.ranges.slice(0, MAX_PREVIEW_RANGES),
    rangesTruncated: acc.ranges.length > MAX_PREVIEW_RANGES,
    itemsPerBatch: acc.batches > 0 ? acc.items / acc.batches : 0,
  };
}

/** Count one planned batch into the preview; false once the plan is full (and marks it truncated). */
function add(acc: Acc, start: number, end: number, items: number, kind: PreviewRange['kind']): boolean {
  if (acc.batches >= acc.max) {
    acc.truncated = true;
    return false;
  }
  acc.batches++;
  acc.items += items;
  const last = acc.ranges.at(-1);
  if (last && last.kind === kind && last.end + 1 === start && kind !== 'sample') {
    acc.ranges[acc.ranges.length - 1] = {
      ...last,
      end,
      batches: last.batches + 1,
      items: last.items + items,
    };
  } else acc.ranges.push({ start, end, batches: 1, items, kind });
  return true;
}

/** Open batches, or (with bounds) every batch inside them cut at the bounds; busy ones are counted apart. */
async function previewExisting(
  deps: Deps,
  acc: Acc,
  job: Job,
  bounds: { from: number; to: number } | undefined,
): Promise<void> {
  const now = deps.clock.now();
  const busy = (b: Pick<Batch, 'leaseExpiresAt' | 'reservedBy' | 'reservedUntil'>) =>
    (b.leaseExpiresAt !== undefined && b.leaseExpiresAt >= now) ||
    (b.reservedBy !== undefined && (b.reservedUntil ?? 0) >= now);
  // Cuts recorded and not yet created become batches at the next plan, as the open ones.
  const pending: Batch[] = [];
  for await (const c of deps.cuts.pendingCuts(job.jobId)) {
    const held = c.reservedUntil >= now;
    for (const b of c.batches) {
      if (held) acc.skippedBusy += inside(b, bounds) ? 1 : 0;
      else pending.push({ ...b, status: 'PENDING' } as Batch);
    }
  }
  const candidates =
    bounds === undefined ? deps.batches.openBatches(job.jobId) : inBounds(deps, job.jobId, bounds);
  for await (const b of merged(candidates, pending)) {
    if (bounds === undefined && b.status === 'SUCCEEDED') continue;
    if (!inside(b, bounds)) continue;
    if (busy(b)) {
      acc.skippedBusy++;
      continue;
    }
    const start = Math.max(b.start, bounds?.from ?? b.start);
    const end = Math.min(b.end, bounds?.to ?? b.end);
    const items = start === b.start && end === b.end ? b.count : end - start + 1;
    if (!add(acc, start, end, items, 'existing')) return;
  }
}

const inside = (b: { start: number; end: number }, bounds: { from: number; to: number } | undefined) =>
  bounds === undefined || (b.end >= bounds.from && b.start <= bounds.to);

async function* inBounds(deps: Deps, jobId: string, bounds: { from: number; to: number }) {
  const first = await deps.batches.batchContaining(jobId, bounds.from);
  yield* deps.batches.list(jobId, { kind: 'inventory' }, first?.start ?? bounds.from, bounds.to);
}

/** Two id-ordered streams as one, in id order. */
async function* merged(stream: AsyncIterable<Batch>, extra: readonly Batch[]): AsyncGenerator<Batch> {
  const rest = [...extra].sort((a, b) => a.start - b.start);
  for await (const b of stream) {
    while (rest.length > 0 && (rest[0] as Batch).start < b.start) yield rest.shift() as Batch;
    yield b;
  }
  yield* rest;
}

/** A sample's batches exactly as planSample cuts them. */
function previewSample(acc: Acc, job: Job, input: RunInput, high: number): void {
  const every = input.every as number;
  const from = input.idStart ?? job.firstId;
  const to = Math.min(input.idEnd ?? high, high);
  if (to < from) return;
  const total = Math.min(Math.floor((to - from) / every) + 1, input.limit ?? Number.MAX_SAFE_INTEGER);
  const size = job.batching.by === 'count' ? job.batching.size : 100;
  for (let done = 0; done < total; done += size) {
    const count = Math.min(size, total - done);
    const start = from + done * every;
    if (!add(acc, start, start + (count - 1) * every, count, 'sample')) return;
  }
}
