import { get, jobPath } from '../api.ts';
import { badge, errorBox, fmt, h, ms, stat, table } from '../dom.ts';
import type { Attempt, Batch, Overview } from '../types.ts';
import { dependenciesCard } from './graph.ts';
import { rangeMap } from './range-map.ts';

interface Summary {
  job: Overview['job'];
  batches: Record<string, number>;
  itemsDone: number;
  itemsExcepted: number;
  drifted: number;
  effectiveConfigHash: string;
}

const QUESTIONS = ['ready', 'right', 'where', 'safe', 'valid'];
/** Batches per page of the list. */
const PAGE = 25;

/** A job: its figures, the range map with zoom and gap finder, and the batches of the shown window. */
export async function jobView(jobId: string): Promise<HTMLElement> {
  // The map asks for its buckets at once; the job's figures (a read of every batch) fill in when they come.
  const head = h('div', {}, h('h1', {}, `Job ${jobId}`), h('p', { class: 'muted' }, 'reading the job...'));
  get<{ summary: Summary; overview: Overview }>(jobPath(jobId))
    .then(({ summary, overview }) => head.replaceChildren(...headOf(summary, overview)))
    .catch((e) => head.replaceChildren(errorBox(e)));
  const batchesBox = h('div', { class: 'card' });
  let shown = { from: 0, to: 0 };
  const loadBatches = async (from: number) => {
    const out = await get<{ batches: Batch[]; next?: number }>(jobPath(jobId, '/batches'), {
      from,
      limit: PAGE,
    });
    batchesBox.replaceChildren(
      h('h2', {}, `Batches from id ${fmt(from)}`),
      batchTable(out.batches),
      out.next !== undefined
        ? h(
            'button',
            { onclick: () => void loadBatches(out.next as number), 'data-testid': 'batches-next' },
            `next ${PAGE}`,
          )
        : '',
    );
  };
  const map = rangeMap(jobId, (w) => {
    if (w.from === shown.from && w.to === shown.to) return;
    shown = w;
    void loadBatches(w.from);
  });
  return h('section', {}, head, map, batchesBox, dependenciesCard(jobId));
}

/** The job's line and figures: what `jobs show` prints, with the backlog and the ranges to redo. */
function headOf(summary: Summary, overview: Overview): (HTMLElement | string)[] {
  const j = summary.job;
  return [
    h('h1', {}, `Job ${j.jobId}`),
    h(
      'p',
      { class: 'muted' },
      `data set ${j.datasetId}, processor ${j.processor.name} v${j.processor.version}, `,
      j.batching.by === 'count'
        ? `${fmt(j.batching.size)} items per batch`
        : `weight ${fmt(j.batching.target)} per batch`,
      `, config ${summary.effectiveConfigHash.replace(/^sha256:/, '').slice(0, 12)}`,
    ),
    h(
      'div',
      { class: 'stats' },
      stat('items done', fmt(summary.itemsDone), 'items-done'),
      stat('set aside', fmt(summary.itemsExcepted), 'items-excepted'),
      stat('backlog (ids)', fmt(overview.backlog), 'backlog'),
      stat('batches succeeded', fmt(summary.batches.SUCCEEDED), 'batches-succeeded'),
      stat('batches failed', fmt(summary.batches.FAILED), 'batches-failed'),
      stat('drifted', fmt(summary.drifted), 'drifted'),
      stat('open exceptions', fmt(overview.exceptions.OPEN), 'open-exceptions'),
    ),
    overview.redo.length > 0
      ? h(
          'p',
          {},
          'to redo (stale or drifted): ',
          ...overview.redo.map((r) => h('code', {}, `${fmt(r.start)}..${fmt(r.end)} `)),
        )
      : '',
  ];
}

function batchTable(batches: readonly Batch[]): HTMLElement {
  const rows = batches.flatMap((b) => {
    const details = h(
      'tr',
      { hidden: true, class: 'details' },
      h('td', { colspan: 7 }, attemptsTable(b.attempts)),
    );
    const toggle = h(
      'button',
      {
        class: 'link',
        onclick: () => (details.hidden = !details.hidden),
        'data-testid': `attempts-${b.start}`,
      },
      `${b.attempts.length} attempt(s)`,
    );
    const row = h(
      'tr',
      { 'data-testid': `batch-${b.start}` },
      ...[
        `${fmt(b.start)}..${fmt(b.end)}`,
        fmt(b.count),
        badge(b.shownAs.toUpperCase()),
        b.status,
        (b.configHash ?? '').replace(/^sha256:/, '').slice(0, 12) || '-',
        b.completedRunId ?? '-',
        toggle,
      ].map((c) => h('td', {}, c)),
    );
    return [row, details];
  });
  return h(
    'table',
    { 'data-testid': 'batch-table' },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        ...['range', 'items', 'shown as', 'status', 'config', 'completed by', 'attempts'].map((x) =>
          h('th', {}, x),
        ),
      ),
    ),
    h('tbody', {}, ...rows),
  );
}

function attemptsTable(attempts: readonly Attempt[]): HTMLElement {
  if (attempts.length === 0) return h('span', { class: 'muted' }, 'no attempt yet');
  return table(
    ['#', 'run', 'outcome', 'duration', 'items', ...QUESTIONS, 'error'],
    attempts.map((a) => [
      a.attempt,
      a.runId,
      badge(a.outcome),
      ms(a.durationMs),
      `${fmt(a.itemsSucceeded)} + ${fmt(a.itemsExcepted)} set aside`,
      ...QUESTIONS.map((q) => {
        const answer = a.preflight?.[q];
        return answer
          ? h(
              'span',
              { class: answer.ok ? 'yes' : 'no', title: answer.detail ?? '' },
              answer.ok ? 'yes' : 'NO',
            )
          : '-';
      }),
      a.error ? `${a.error.name}: ${a.error.message}` : '',
    ]),
    { class: 'attempts' },
  );
}
