import { z } from 'zod';
import { BatchNotFoundError } from '../../core/errors.ts';
import { effectiveHash } from '../../core/jobs/config-hash.ts';
import { getJob } from '../../core/jobs/jobs.ts';
import { type ProducerStaleness, producerStaleness } from '../../core/jobs/producer-stale.ts';
import { acceptedRanges, backfillRanges, isStale } from '../../core/jobs/stale.ts';
import { listBatches } from '../../core/jobs/stats.ts';
import { type Attempt, BATCH_STATUSES, type Batch } from '../../core/model.ts';
import type { Answer } from '../../core/processing/preflight.ts';
import { Name } from '../../core/validation.ts';
import { fields, formatDuration, table } from '../output.ts';
import type { Target } from '../target.ts';
import { defineCommand, targetArgs } from './args.ts';
import { IdFlag, OneOf } from './flags.ts';
import { shortHash } from './support.ts';

export const batches = defineCommand({
  words: ['batches'],
  usage: `<jobId> [--status ${BATCH_STATUSES.join('|')}] [--drift] [--stale]`,
  summary:
    "list a job's batches in id order; --drift lists those done with another config than the current one, --stale those done before an object they cover was accepted or whose producers redid their range",
  positionals: ['jobId'],
  flags: {
    status: { type: 'string', help: '--status S  only batches in this status' },
    drift: { type: 'boolean', help: '--drift  only batches completed with another config hash' },
    stale: {
      type: 'boolean',
      help: '--stale  only stale batches: done before an object they cover was accepted (datasets accept), or over ranges their producers redid since',
    },
  },
  schema: targetArgs({
    jobId: Name,
    status: OneOf(BATCH_STATUSES).optional(),
    drift: z.boolean().optional(),
    stale: z.boolean().optional(),
  }),
  needsTarget: true,
  async run(a, ctx) {
    const { deps } = await ctx.target();
    const job = await getJob(deps, a.jobId);
    const current = effectiveHash(deps, job);
    const accepted = await acceptedRanges(deps, job);
    const byProducers = await producerStaleness(deps, job);
    const list: Listed[] = [];
    const objectStale: Batch[] = [];
    for await (const b of listBatches(deps, job.jobId, { status: a.status, drift: a.drift })) {
      const drifted = b.status === 'SUCCEEDED' && b.configHash !== current;
      const changed = byProducers.get(b.start);
      const staleObject = isStale(b, accepted);
      if (a.stale && !staleObject && !changed) continue;
      if (staleObject) objectStale.push(b);
      const producersChanged = changed ? { kind: changed.kind, changed: changed.changed } : null;
      list.push({ ...b, drifted, stale: staleObject || changed !== undefined, producersChanged });
    }
    const rows = list.map((b) => [
      b.start,
      b.end,
      b.count,
      b.status,
      b.attempt,
      shortHash(b.configHash),
      b.drifted,
      b.stale,
      b.completedRunId,
      b.completedAt,
    ]);
    const header = [
      'start',
      'end',
      'items',
      'status',
      'attempt',
      'config hash',
      'drifted',
      'stale',
      'completed by',
      'completed at',
    ];
    const text = `${list.length} batch(es); current config hash ${shortHash(current)}\n${list.length > 0 ? table(header, rows) : ''}${redoHint(job.jobId, objectStale)}${producersHint(job.jobId, list)}`;
    return { json: { jobId: job.jobId, effectiveConfigHash: current, batches: list }, text };
  },
});

/** A listed batch: `stale` for either reason, `producersChanged` what its producers redid (null when nothing). */
type Listed = Batch & {
  drifted: boolean;
  stale: boolean;
  producersChanged: Pick<ProducerStaleness, 'kind' | 'changed'> | null;
};

/** The backfills that redo the batches stale against accepted objects, one per run of adjacent batches. */
function redoHint(jobId: string, stale: readonly Batch[]): string {
  return backfillRanges(stale)
    .map((r) => `stale: redo with  batchkeeper run ${jobId} --from ${r.start} --to ${r.end}\n`)
    .join('');
}

/** Which producer ranges changed under each batch, and the run that takes them again: an incremental one. */
function producersHint(jobId: string, list: readonly Listed[]): string {
  const stale = list.filter((b) => b.producersChanged !== null);
  if (stale.length === 0) return '';
  const lines = stale.map((b) => {
    const how = b.producersChanged?.kind === 'reopened' ? `${b.status}, reopened` : b.status;
    return `  ${b.start}..${b.end}  ${how}  changed: ${b.producersChanged?.changed}\n`;
  });
  return (
    `stale against producers (they redid these ranges since the batches read them):\n${lines.join('')}` +
    `stale: redo with  batchkeeper run ${jobId}  (an incremental run takes them again once their producers are READY)\n`
  );
}

/** The five preflight questions, in the order people ask them. */
export const QUESTIONS = ['ready', 'right', 'where', 'safe', 'valid'] as const;

export interface Diagnosis {
  readonly jobId: string;
  readonly batch: Batch;
  readonly attempt: Attempt | null;
  readonly preflight: Record<(typeof QUESTIONS)[number], Answer | null>;
  readonly error: { name: string; message: string } | null;
}

/** The batch that starts at (or contains) an id, its last attempt, that attempt's preflight answers and error. */
export async function diagnoseBatch(target: Target, jobId: string, id: number): Promise<Diagnosis> {
  const { batches, attempts } = target.deps;
  const job = await getJob(target.deps, jobId);
  const scope = { kind: 'inventory' } as const;
  const batch =
    (await batches.getBatch(job.jobId, scope, id)) ?? (await batches.batchContaining(job.jobId, id));
  if (!batch) throw new BatchNotFoundError({ jobId: job.jobId, batchStart: id });
  let last: Attempt | undefined;
  for await (const a of attempts.list(job.jobId, scope, batch.start)) {
    // After a split the start is shared by older, wider attempts: the batch as it stands is what counts.
    if (a.end === batch.end && (!last || a.attempt >= last.attempt)) last = a;
  }
  const answers = (last?.diagnostics?.preflight ?? {}) as Partial<Record<string, Answer>>;
  const preflight = Object.fromEntries(
    QUESTIONS.map((q) => [q, answers[q] ?? null]),
  ) as Diagnosis['preflight'];
  const error = last?.error ?? (batch.error ? { name: 'Error', message: batch.error } : null);
  return { jobId: job.jobId, batch, attempt: last ?? null, preflight, error };
}

export const diagnose = defineCommand({
  words: ['diagnose'],
  usage: '<jobId> <batchStart>',
  summary:
    "the five preflight answers (ready, right, where, safe, valid) and the error of a batch's last attempt",
  positionals: ['jobId', 'batchStart'],
  flags: {},
  schema: targetArgs({ jobId: Name, batchStart: IdFlag }),
  needsTarget: true,
  async run(a, ctx) {
    const d = await diagnoseBatch(await ctx.target(), a.jobId, a.batchStart);
    return { json: d, text: diagnosisText(d) };
  },
});

function diagnosisText(d: Diagnosis): string {
  const b = d.batch;
  const a = d.attempt;
  const head = fields([
    ['batch', `${b.start}..${b.end} of job ${d.jobId} (${b.count} items)`],
    ['status', b.status],
    [
      'last attempt',
      a ? `#${a.attempt} by run ${a.runId}: ${a.outcome} after ${formatDuration(a.durationMs)}` : 'none',
    ],
  ]);
  const rows = QUESTIONS.map((q) => {
    const answer = d.preflight[q];
    return [
      q,
      answer ? (answer.ok ? 'yes' : 'NO') : '-',
      answer?.detail ?? 'not answered (an earlier step failed, or no attempt yet)',
    ];
  });
  const error = d.error ? `error  ${d.error.name}: ${d.error.message}\n` : 'error  none\n';
  return `${head}\n${table(['question', 'ok', 'detail'], rows)}\n${error}`;
}
