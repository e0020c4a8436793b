import { ApiError, get, jobPath } from '../api.ts';
import { badge, fmt, h, ms, stat, table } from '../dom.ts';
import type { Attempt, Run } from '../types.ts';

const bounds = (r: Run) =>
  r.mode === 'sample'
    ? `every ${r.every}${r.limit ? `, at most ${r.limit}` : ''}`
    : r.idStart !== undefined
      ? `${fmt(r.idStart)}..${fmt(r.idEnd)}`
      : '';
const runLink = (r: Run) => `#/jobs/${encodeURIComponent(r.jobId)}/runs/${encodeURIComponent(r.runId)}`;

/** A job's runs, newest first, one row each with its counts: kept as long as the job. */
export async function runsView(jobId: string): Promise<HTMLElement> {
  const { runs } = await get<{ runs: Run[] }>(jobPath(jobId, '/runs'));
  const rows = runs.map((r) => [
    h('a', { href: runLink(r), 'data-testid': `run-${r.runId}` }, r.runId),
    r.mode,
    bounds(r),
    badge(r.executionStatus ?? r.status),
    fmt(r.batchesPlanned),
    r.stats
      ? `${fmt(r.stats.batchesSucceeded)} / ${fmt(r.stats.batchesFailed)} / ${fmt(r.stats.batchesNotDone)}`
      : '-',
    fmt(r.stats?.itemsSucceeded),
    fmt(r.stats?.itemsExcepted),
    ms(r.stats?.wallMs),
    r.plannedAt.replace('T', ' ').slice(0, 19),
  ]);
  return h(
    'section',
    {},
    h('h1', {}, `Runs of ${jobId}`),
    table(
      [
        'run',
        'mode',
        'bounds',
        'status',
        'planned',
        'succeeded / failed / not done',
        'items',
        'exceptions',
        'duration',
        'planned at',
      ],
      rows,
      { 'data-testid': 'runs-table' },
    ),
  );
}

interface RunDoc {
  run: Run;
  progress: { planned: number; succeeded: number; failed: number };
  attempts: Attempt[];
  attemptsTruncated: boolean;
}

/** One run: its counts, per-state timings, and a timeline of its batches' attempts; refreshed while it runs. */
export async function runView(jobId: string, runId: string, root: HTMLElement): Promise<HTMLElement> {
  let doc: RunDoc;
  try {
    doc = await get<RunDoc>(jobPath(jobId, `/runs/${encodeURIComponent(runId)}`));
  } catch (e) {
    // Plan writes the run record a moment after the execution starts.
    if (!(e instanceof ApiError && e.name === 'RunNotFoundError')) throw e;
    refreshLater(root, jobId, runId);
    return h(
      'section',
      {},
      h('h1', {}, `Run ${runId}`),
      h('p', { 'data-testid': 'run-status' }, badge('STARTING'), ' waiting for Plan'),
    );
  }
  const { run, progress } = doc;
  const s = run.stats;
  const ended = run.status !== 'PLANNED' || run.executionStatus !== undefined;
  if (!ended) refreshLater(root, jobId, runId);
  const states = Object.entries(s?.states ?? {}).map(([name, t]) => [
    name,
    fmt(t.count),
    fmt(t.succeeded),
    fmt(t.failed),
    ms(t.totalMs),
    ms(t.minMs),
    ms(t.p50Ms),
    ms(t.maxMs),
  ]);
  return h(
    'section',
    {},
    h('h1', {}, `Run ${run.runId}`),
    h(
      'p',
      {},
      h('span', { 'data-testid': 'run-status' }, badge(run.executionStatus ?? run.status)),
      ` ${run.mode} ${bounds(run)}, planned ${run.plannedAt}${run.finishedAt ? `, finished ${run.finishedAt}` : ''}`,
    ),
    h(
      'div',
      { class: 'stats' },
      stat('batches planned', fmt(run.batchesPlanned), 'run-planned'),
      stat('succeeded', fmt(s?.batchesSucceeded ?? progress.succeeded), 'run-succeeded'),
      stat('failed', fmt(s?.batchesFailed ?? progress.failed), 'run-failed'),
      stat('items processed', fmt(s?.itemsSucceeded), 'run-items'),
      stat('exceptions', fmt(s?.itemsExcepted), 'run-exceptions'),
      stat('attempts', fmt(s?.attempts ?? doc.attempts.length), 'run-attempts'),
      stat('duration', ms(s?.wallMs)),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Per-state timings'),
      states.length > 0
        ? table(['state', 'count', 'succeeded', 'failed', 'total', 'min', 'p50', 'max'], states, {
            'data-testid': 'state-table',
          })
        : h('p', { class: 'muted' }, 'not finalized yet'),
    ),
    h(
      'div',
      { class: 'card' },
      h(
        'h2',
        {},
        `Timeline: ${fmt(doc.attempts.length)} attempt(s)${doc.attemptsTruncated ? ' (the first ones)' : ''}`,
      ),
      gantt(doc.attempts),
    ),
  );
}

function refreshLater(root: HTMLElement, jobId: string, runId: string): void {
  const hash = location.hash;
  setTimeout(async () => {
    if (location.hash !== hash) return;
    try {
      const view = await runView(jobId, runId, root);
      if (location.hash === hash) root.replaceChildren(view);
    } catch {
      refreshLater(root, jobId, runId);
    }
  }, 1500);
}

const OUTCOME_COLOURS: Record<string, string> = {
  SUCCEEDED: '#2f9e44',
  FAILED: '#e03131',
  RETRY: '#f59f00',
  LEASE_EXPIRED: '#862e9c',
};

/** One row per batch, one bar per attempt from its start to its end, on a shared time axis. */
function gantt(attempts: readonly Attempt[]): HTMLElement {
  if (attempts.length === 0) return h('p', { class: 'muted' }, 'no attempt yet');
  const starts = [...new Set(attempts.map((a) => a.start))].sort((a, b) => a - b);
  const row = new Map(starts.map((s, i) => [s, i]));
  const t0 = Math.min(...attempts.map((a) => Date.parse(a.startedAt)));
  const t1 = Math.max(...attempts.map((a) => Date.parse(a.endedAt)));
  const span = Math.max(1, t1 - t0);
  const rowH = Math.max(2, Math.min(14, Math.floor(480 / starts.length)));
  const width = 1000;
  const left = 90;
  const canvas = h('canvas', {
    width,
    height: starts.length * rowH + 24,
    'data-testid': 'gantt',
    'data-rows': starts.length,
    class: 'gantt',
  });
  const g = canvas.getContext('2d') as CanvasRenderingContext2D;
  g.font = '10px sans-serif';
  g.fillStyle = '#495057';
  g.fillText('0 s', left, starts.length * rowH + 14);
  g.fillText(`${(span / 1000).toFixed(1)} s`, width - 40, starts.length * rowH + 14);
  for (const a of attempts) {
    const y = (row.get(a.start) ?? 0) * rowH;
    const x = left + ((Date.parse(a.startedAt) - t0) / span) * (width - left - 10);
    const w = Math.max(1, ((Date.parse(a.endedAt) - Date.parse(a.startedAt)) / span) * (width - left - 10));
    g.fillStyle = OUTCOME_COLOURS[a.outcome] ?? '#868e96';
    g.fillRect(x, y + 1, w, Math.max(1, rowH - 2));
    if (rowH >= 10) {
      g.fillStyle = '#495057';
      g.fillText(`${a.start}..${a.end}`, 2, y + rowH - 3);
    }
  }
  return h(
    'div',
    { class: 'gantt-wrap' },
    canvas,
    h(
      'div',
      { class: 'legend' },
      ...Object.entries(OUTCOME_COLOURS).map(([k, c]) =>
        h('span', { class: 'key' }, h('i', { style: `background:${c}` }), k),
      ),
    ),
  );
}
