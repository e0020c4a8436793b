import { get, jobPath, post } from '../api.ts';
import { badge, errorBox, fmt, h } from '../dom.ts';
import type { ItemException } from '../types.ts';

interface Listing {
  exceptions: ItemException[];
  more: boolean;
  openByKind: Record<string, number>;
  counts: Record<string, number>;
}

interface Report {
  reviewed?: number;
  requeued?: number;
  alreadyReviewed: number;
  datasetId?: string;
}

const STATUSES = ['OPEN', 'RESOLVED', 'REQUEUED', 'SUPERSEDED'];
/** Exceptions listed at most; the bulk actions take every match, listed or not. */
const SHOWN = 100;

/** The review queue: filter by kind, run and range; resolve with a note or requeue, one, the ticked, or all filtered. */
export async function exceptionsView(jobId: string): Promise<HTMLElement> {
  const first = await get<Listing>(jobPath(jobId, '/exceptions'), { status: 'OPEN', limit: 1 });
  const kinds = h(
    'select',
    {
      multiple: true,
      name: 'kind',
      'data-testid': 'filter-kind',
      size: Math.min(6, Math.max(2, Object.keys(first.openByKind).length)),
    },
    ...Object.entries(first.openByKind).map(([k, n]) => h('option', { value: k }, `${k} (${fmt(n)} open)`)),
  );
  const status = h(
    'select',
    { name: 'status', 'data-testid': 'filter-status' },
    ...STATUSES.map((s) => h('option', { value: s }, s)),
  );
  const input = (name: string, type = 'text') =>
    h('input', { name, type, 'data-testid': `filter-${name}`, ...(type === 'number' ? { min: 1 } : {}) });
  const run = input('run');
  const from = input('from', 'number');
  const to = input('to', 'number');
  const note = h('input', {
    name: 'note',
    placeholder: 'what was decided (required to resolve)',
    'data-testid': 'note',
    class: 'wide',
  });
  const list = h('div', { 'data-testid': 'exception-list' });
  const message = h('div', { 'data-testid': 'review-result' });
  const counts = h('div', { class: 'muted', 'data-testid': 'exception-counts' });

  const filter = () => {
    const f: Record<string, unknown> = {};
    const picked = [...kinds.selectedOptions].map((o) => o.value);
    if (picked.length > 0) f.kinds = picked;
    if (run.value) f.runId = run.value;
    if (from.value) f.from = Number(from.value);
    if (to.value) f.to = Number(to.value);
    return f;
  };
  // The bulk actions take what the list shows: the filter last applied, not fields edited since.
  let applied: Record<string, unknown> = {};
  async function load() {
    const f = filter();
    applied = f;
    const doc = await get<Listing>(jobPath(jobId, '/exceptions'), {
      status: status.value,
      kind: f.kinds as string[] | undefined,
      run: f.runId as string | undefined,
      from: f.from as number | undefined,
      to: f.to as number | undefined,
      limit: SHOWN,
    });
    counts.textContent = `${fmt(doc.counts.OPEN)} open, ${fmt(doc.counts.RESOLVED)} resolved, ${fmt(doc.counts.REQUEUED)} requeued, ${fmt(doc.counts.SUPERSEDED)} superseded in the job`;
    list.replaceChildren(
      listTable(doc),
      doc.more
        ? h(
            'p',
            { class: 'muted' },
            'more match: narrow the filter to see them; bulk actions take every match',
          )
        : '',
    );
  }
  const ticked = () =>
    [...list.querySelectorAll<HTMLInputElement>('input[type=checkbox][data-id]:checked')].map(
      (c) => c.dataset.id as string,
    );
  async function act(what: 'resolve' | 'requeue', selection: Record<string, unknown>) {
    try {
      const body = what === 'resolve' ? { ...selection, note: note.value } : selection;
      const r = await post<Report>(jobPath(jobId, `/exceptions/${what}`), body);
      message.replaceChildren(
        h(
          'div',
          { class: 'ok' },
          what === 'resolve'
            ? `resolved ${fmt(r.reviewed)}`
            : `requeued ${fmt(r.requeued)} into data set ${r.datasetId}`,
          `; ${fmt(r.alreadyReviewed)} already reviewed`,
        ),
      );
      await load();
    } catch (e) {
      message.replaceChildren(errorBox(e));
    }
  }
  const matching = () => (Object.keys(applied).length > 0 ? { filter: applied } : { all: true });
  const bar = h(
    'div',
    { class: 'toolbar' },
    h(
      'button',
      { 'data-testid': 'resolve-ticked', onclick: () => void act('resolve', { ids: ticked() }) },
      'resolve ticked',
    ),
    h(
      'button',
      { 'data-testid': 'resolve-filtered', onclick: () => void act('resolve', matching()) },
      'resolve all open matching the filter',
    ),
    h(
      'button',
      { 'data-testid': 'requeue-ticked', onclick: () => void act('requeue', { ids: ticked() }) },
      'requeue ticked',
    ),
    h(
      'button',
      { 'data-testid': 'requeue-filtered', onclick: () => void act('requeue', matching()) },
      'requeue all open matching the filter',
    ),
  );
  const filters = h(
    'form',
    {
      class: 'card filters',
      onsubmit: (e: Event) => {
        e.preventDefault();
        void load().catch((err) => message.replaceChildren(errorBox(err)));
      },
    },
    h('label', {}, 'kind ', kinds),
    h('label', {}, 'status ', status),
    h('label', {}, 'run ', run),
    h('label', {}, 'item ids from ', from),
    h('label', {}, 'to ', to),
    h('button', { type: 'submit', 'data-testid': 'apply-filter' }, 'apply'),
  );
  setTimeout(() => void load().catch((e) => message.replaceChildren(errorBox(e))), 0);
  return h(
    'section',
    {},
    h('h1', {}, `Exceptions of ${jobId}`),
    counts,
    filters,
    h('div', { class: 'card' }, note, bar, message),
    list,
  );
}

function listTable(doc: Listing): HTMLElement {
  if (doc.exceptions.length === 0)
    return h('p', { class: 'muted', 'data-testid': 'no-exceptions' }, 'no exception matches');
  const all = h('input', {
    type: 'checkbox',
    'data-testid': 'tick-all',
    onchange: (e: Event) => {
      const on = (e.target as HTMLInputElement).checked;
      for (const c of document.querySelectorAll<HTMLInputElement>('input[type=checkbox][data-id]'))
        c.checked = on;
    },
  });
  return h(
    'table',
    { 'data-testid': 'exceptions-table', 'data-rows': doc.exceptions.length },
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        h('th', {}, all),
        ...['item', 'batch', 'run', 'kind', 'status', 'seen', 'reason', 'note'].map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      ...doc.exceptions.map((x) =>
        h(
          'tr',
          { 'data-testid': `exception-${x.exceptionId}` },
          h('td', {}, x.status === 'OPEN' ? h('input', { type: 'checkbox', 'data-id': x.exceptionId }) : ''),
          ...[
            fmt(x.itemId),
            fmt(x.batchStart),
            x.runId,
            x.kind,
            badge(x.status),
            fmt(x.occurrences),
            typeof x.details.reason === 'string' ? x.details.reason : x.kind,
            x.note ?? '',
          ].map((c) => h('td', {}, c)),
        ),
      ),
    ),
  );
}
