import { get, jobPath, post } from '../api.ts';
import { errorBox, fmt, h, table, usd } from '../dom.ts';
import type { Overview } from '../types.ts';

interface Preview {
  preview: {
    batches: number;
    items: number;
    newBatches: number;
    skippedBusy: number;
    truncated: boolean;
    maxBatches: number;
    ranges: { start: number; end: number; batches: number; items: number; kind: string }[];
    rangesTruncated: boolean;
  };
  cost: {
    lines: { what: string; quantity: number; unit: string; unitPrice: number; usd: number }[];
    totalUsd: number;
    assumptions: string[];
    pricesAsOf: string;
  };
}

const MODES = ['incremental', 'backfill', 'retry-failed', 'sample'] as const;

/** Start a run: choose the mode and its bounds, look at the dry-run preview and its cost, then start it. */
export async function startView(jobId: string): Promise<HTMLElement> {
  const { overview } = await get<{ overview: Overview }>(jobPath(jobId));
  const field = (name: string, label: string, placeholder = '') =>
    h(
      'label',
      { class: `f-${name}` },
      label,
      h('input', { name, type: 'number', min: 1, placeholder, 'data-testid': `input-${name}` }),
    );
  const mode = h(
    'select',
    { name: 'mode', 'data-testid': 'input-mode' },
    ...MODES.map((m) => h('option', { value: m }, m)),
  );
  const form = h(
    'form',
    { class: 'card run-form', onsubmit: (e: Event) => e.preventDefault() },
    h('label', {}, 'mode ', mode),
    field('idStart', 'from id ', String(overview.job.firstId)),
    field('idEnd', 'to id ', String(overview.highId)),
    field('every', 'every n-th id '),
    field('limit', 'at most (items) '),
    field('maxBatches', 'at most (batches) '),
  );
  const out = h('div', { 'data-testid': 'preview' });
  const startButton = h(
    'button',
    { disabled: true, 'data-testid': 'start-run', class: 'primary' },
    'Start run',
  );
  let previewed: string | undefined;
  const inputOf = () => {
    const data = new FormData(form);
    const m = String(data.get('mode'));
    const body: Record<string, unknown> = { mode: m };
    const wanted =
      m === 'backfill' ? ['idStart', 'idEnd'] : m === 'sample' ? ['idStart', 'idEnd', 'every', 'limit'] : [];
    for (const k of [...wanted, 'maxBatches']) {
      const v = String(data.get(k) ?? '');
      if (v !== '') body[k] = Number(v);
    }
    return body;
  };
  const showFields = () => {
    const m = mode.value;
    for (const [k, modes] of Object.entries({
      idStart: ['backfill', 'sample'],
      idEnd: ['backfill', 'sample'],
      every: ['sample'],
      limit: ['sample'],
    }))
      (form.querySelector(`.f-${k}`) as HTMLElement).hidden = !modes.includes(m);
  };
  mode.addEventListener('change', () => {
    showFields();
    previewed = undefined;
    startButton.disabled = true;
  });
  form.addEventListener('input', () => {
    previewed = undefined;
    startButton.disabled = true;
  });
  showFields();
  const previewButton = h(
    'button',
    {
      'data-testid': 'preview-run',
      onclick: async () => {
        const body = inputOf();
        try {
          const doc = await post<Preview>(jobPath(jobId, '/preview'), body);
          out.replaceChildren(previewOf(doc));
          previewed = JSON.stringify(body);
          startButton.disabled = doc.preview.batches === 0;
        } catch (e) {
          out.replaceChildren(errorBox(e));
        }
      },
    },
    'Preview (dry run)',
  );
  startButton.addEventListener('click', async () => {
    const body = inputOf();
    if (JSON.stringify(body) !== previewed) return;
    startButton.disabled = true;
    try {
      const { started } = await post<{ started: { runId: string } }>(jobPath(jobId, '/runs'), body);
      location.hash = `#/jobs/${encodeURIComponent(jobId)}/runs/${encodeURIComponent(started.runId)}`;
    } catch (e) {
      out.append(errorBox(e));
    }
  });
  return h(
    'section',
    {},
    h('h1', {}, `Start a run of ${jobId}`),
    h(
      'p',
      { class: 'muted' },
      `ids ${fmt(overview.job.firstId)}..${fmt(overview.highId)}, watermark ${fmt(overview.job.watermark)}, ${fmt(overview.backlog)} not yet processed`,
    ),
    form,
    h('div', { class: 'toolbar' }, previewButton, startButton),
    out,
  );
}

function previewOf(doc: Preview): HTMLElement {
  const p = doc.preview;
  const c = doc.cost;
  return h(
    'div',
    { class: 'card' },
    h('h2', {}, 'Preview'),
    h(
      'p',
      {},
      h('b', { 'data-testid': 'preview-batches' }, fmt(p.batches)),
      ' batch(es), ',
      h('b', { 'data-testid': 'preview-items' }, fmt(p.items)),
      ' item(s); ',
      `${fmt(p.newBatches)} new past the watermark, ${fmt(p.skippedBusy)} busy (left out)`,
      p.truncated ? `; stops at ${fmt(p.maxBatches)} batches, the next run takes the rest` : '',
    ),
    table(
      ['kind', 'ids', 'batches', 'items'],
      p.ranges.map((r) => [r.kind, `${fmt(r.start)}..${fmt(r.end)}`, fmt(r.batches), fmt(r.items)]),
      { 'data-testid': 'preview-ranges' },
    ),
    p.rangesTruncated ? h('p', { class: 'muted' }, 'more ranges not shown') : '',
    h('h2', {}, 'Estimated AWS cost ', h('span', { 'data-testid': 'preview-cost' }, usd(c.totalUsd))),
    table(
      ['what', 'quantity', 'unit price', 'USD'],
      c.lines.map((l) => [
        l.what,
        `${fmt(Math.round(l.quantity * 100) / 100)} ${l.unit}`,
        `$${l.unitPrice.toExponential(3)}`,
        usd(l.usd),
      ]),
    ),
    h(
      'ul',
      { class: 'muted' },
      ...c.assumptions.map((a) => h('li', {}, a)),
      h('li', {}, `prices: ${c.pricesAsOf} (console/prices.ts)`),
    ),
  );
}
