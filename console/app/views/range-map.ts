import { get, jobPath } from '../api.ts';
import { errorBox, fmt, h } from '../dom.ts';
import type { Gap, MapDoc } from '../types.ts';

/** Colours of the classes, in the server's order (console/range-map.ts); sample draws as a strip on top. */
export const COLOURS: Record<string, string> = {
  done: '#2f9e44',
  failed: '#e03131',
  leased: '#1c7ed6',
  pending: '#f59f00',
  stale: '#9c36b5',
  never: '#ced4da',
  sample: '#0ca678',
};
const LABELS: Record<string, string> = {
  done: 'done',
  failed: 'failed',
  leased: 'leased',
  pending: 'pending',
  stale: 'stale config',
  never: 'never processed',
  sample: 'sample',
};
const HEIGHT = 120;
const SAMPLE_STRIP = 8;

declare global {
  interface Window {
    /** When the map was asked for and first drawn (performance.now()): the range-map benchmark reads it. */
    __bkMapRender?: { askedAt: number; drawnAt: number; buckets: number; batches: number };
  }
}

/**
 * The range map over a job's whole id space: one column per pixel, its classes stacked by share of the bucket's
 * ids, drawn from the buckets the server aggregates for the window. Drag to zoom in, buttons to zoom out, reset
 * and jump to the next gap; `onWindow` tells the page which ids are shown (the batch list follows).
 */
export function rangeMap(jobId: string, onWindow: (w: { from: number; to: number }) => void): HTMLElement {
  const canvas = h('canvas', { height: HEIGHT, 'data-testid': 'range-map', class: 'map' });
  const legend = h('div', { class: 'legend', 'data-testid': 'map-legend' });
  const caption = h('div', { class: 'muted', 'data-testid': 'map-window' });
  const tip = h('div', { class: 'tip', hidden: true });
  const gapsBox = h('div', { class: 'gaps' });
  let doc: MapDoc | undefined;
  let win: { from?: number; to?: number } = {};
  let drag: number | undefined;

  async function load(next: { from?: number; to?: number }) {
    win = next;
    const width = Math.max(200, Math.floor(canvas.parentElement?.clientWidth ?? 1000));
    const askedAt = performance.now();
    doc = await get<MapDoc>(jobPath(jobId, '/map'), { from: win.from, to: win.to, buckets: width });
    drawBuckets(canvas, doc, width);
    window.__bkMapRender ??= {
      askedAt,
      drawnAt: performance.now(),
      buckets: doc.buckets,
      batches: doc.batches,
    };
    canvas.dataset.rendered = String(doc.buckets);
    caption.textContent = `ids ${fmt(doc.from)}..${fmt(doc.to)} of ${fmt(doc.space.from)}..${fmt(doc.space.to)}, ${fmt(doc.width)} id(s) per column, ${fmt(doc.batches)} batches in the job`;
    legend.replaceChildren(
      ...doc.classes.map((c) =>
        h(
          'span',
          { class: 'key' },
          h('i', { style: `background:${COLOURS[c]}` }),
          `${LABELS[c]} `,
          h('b', { 'data-testid': `total-${c}` }, fmt(doc?.totals[c] ?? 0)),
        ),
      ),
    );
    onWindow({ from: doc.from, to: doc.to });
  }

  const idAt = (x: number) => {
    if (!doc) return 0;
    const rect = canvas.getBoundingClientRect();
    const i = Math.min(
      doc.buckets - 1,
      Math.max(0, Math.floor(((x - rect.left) / rect.width) * doc.buckets)),
    );
    return doc.from + i * doc.width;
  };
  canvas.addEventListener('mousedown', (e) => {
    drag = idAt(e.clientX);
  });
  canvas.addEventListener('mouseup', (e) => {
    if (drag === undefined || !doc) return;
    const a = Math.min(drag, idAt(e.clientX));
    const b = Math.max(drag, idAt(e.clientX)) + doc.width - 1;
    drag = undefined;
    if (b - a >= 1) void load({ from: a, to: b });
  });
  canvas.addEventListener('mousemove', (e) => {
    if (!doc) return;
    const i = Math.min(
      doc.buckets - 1,
      Math.floor(
        ((e.clientX - canvas.getBoundingClientRect().left) / canvas.getBoundingClientRect().width) *
          doc.buckets,
      ),
    );
    const from = doc.from + i * doc.width;
    const parts = doc.classes
      .filter((c) => (doc?.counts[c]?.[i] ?? 0) > 0)
      .map((c) => `${LABELS[c]} ${fmt(doc?.counts[c]?.[i])}`);
    tip.hidden = false;
    tip.textContent = `ids ${fmt(from)}..${fmt(Math.min(doc.to, from + doc.width - 1))}: ${parts.join(', ') || 'nothing'}`;
  });
  canvas.addEventListener('mouseleave', () => {
    tip.hidden = true;
  });

  const zoom = (factor: number) => {
    if (!doc) return;
    const mid = (doc.from + doc.to) / 2;
    const half = Math.max(1, ((doc.to - doc.from + 1) * factor) / 2);
    void load({ from: Math.max(doc.space.from, Math.floor(mid - half)), to: Math.ceil(mid + half) });
  };
  const showGap = (g: Gap) => {
    const pad = Math.max(1, Math.floor((g.end - g.start + 1) / 4));
    void load({ from: Math.max(1, g.start - pad), to: g.end + pad });
  };
  async function findGaps(after: number) {
    const out = await get<{ gaps: Gap[]; total: number }>(jobPath(jobId, '/gaps'), {
      after: Math.max(1, after),
      limit: 20,
    });
    gapsBox.replaceChildren(
      h('div', { 'data-testid': 'gap-count' }, `${fmt(out.total)} gap(s) in the job; from id ${fmt(after)}:`),
      h(
        'ul',
        { 'data-testid': 'gap-list' },
        ...out.gaps.map((g) =>
          h(
            'li',
            {},
            h('button', { class: 'link', onclick: () => showGap(g) }, `${fmt(g.start)}..${fmt(g.end)}`),
            ` ${fmt(g.ids)} ids (${g.classes.join(', ')})`,
          ),
        ),
      ),
    );
    return out;
  }
  const nextGap = async () => {
    const out = await findGaps(doc ? doc.from + 1 : 0);
    const g = out.gaps.find((x) => !doc || x.start > doc.from) ?? out.gaps[0];
    if (g) showGap(g);
  };

  const shown = (e: unknown) => gapsBox.replaceChildren(errorBox(e));
  const bar = h(
    'div',
    { class: 'toolbar' },
    h('button', { onclick: () => zoom(0.25), 'data-testid': 'zoom-in' }, 'zoom in'),
    h('button', { onclick: () => zoom(4), 'data-testid': 'zoom-out' }, 'zoom out'),
    h('button', { onclick: () => void load({}), 'data-testid': 'zoom-reset' }, 'whole id space'),
    h('button', { onclick: () => void nextGap().catch(shown), 'data-testid': 'next-gap' }, 'next gap'),
    h('button', { onclick: () => void findGaps(1).catch(shown), 'data-testid': 'find-gaps' }, 'list gaps'),
    h('span', { class: 'muted' }, ' drag over the map to zoom into a range'),
  );
  const box = h(
    'div',
    { class: 'card' },
    h('h2', {}, 'Range map'),
    bar,
    h('div', { class: 'map-wrap' }, canvas),
    tip,
    caption,
    legend,
    gapsBox,
  );
  // After the page has mounted the box, so that the map is as wide as its column.
  setTimeout(() => void load({}).catch((e) => box.append(errorBox(e))), 0);
  return box;
}

/** Draw the buckets: one column per bucket, its classes stacked by their share of its ids; sample on top. */
function drawBuckets(canvas: HTMLCanvasElement, d: MapDoc, width: number): void {
  const ratio = window.devicePixelRatio || 1;
  canvas.width = width * ratio;
  canvas.height = HEIGHT * ratio;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${HEIGHT}px`;
  const g = canvas.getContext('2d') as CanvasRenderingContext2D;
  g.scale(ratio, ratio);
  g.clearRect(0, 0, width, HEIGHT);
  const col = width / d.buckets;
  const stacked = d.classes.filter((c) => c !== 'sample');
  for (let i = 0; i < d.buckets; i++) {
    const total = stacked.reduce((n, c) => n + (d.counts[c]?.[i] ?? 0), 0);
    if (total === 0) continue;
    // Whole pixels: columns that meet at fractions leave faint seams between them.
    const x = Math.floor(i * col);
    const w = Math.max(1, Math.floor((i + 1) * col) - x);
    let y = HEIGHT;
    for (const c of stacked) {
      const v = d.counts[c]?.[i] ?? 0;
      if (v === 0) continue;
      const hgt = ((HEIGHT - SAMPLE_STRIP) * v) / total;
      g.fillStyle = COLOURS[c] as string;
      g.fillRect(x, y - hgt, w, hgt);
      y -= hgt;
    }
    if ((d.counts.sample?.[i] ?? 0) > 0) {
      g.fillStyle = COLOURS.sample as string;
      g.fillRect(x, 0, w, SAMPLE_STRIP - 2);
    }
  }
}
