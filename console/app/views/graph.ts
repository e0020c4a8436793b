import { get } from '../api.ts';
import { badge, errorBox, fmt, h, stat } from '../dom.ts';
import { type Layout, layered, SIZES } from '../graph-layout.ts';
import type { GraphDoc, GraphJob } from '../types.ts';

const SVG = 'http://www.w3.org/2000/svg';
/** Room around the drawing for the arrow heads and the boxes' shadows. */
const PAD = 12;

const svg = (tag: string, attrs: Record<string, string | number>, ...children: (Node | string)[]) => {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  el.append(...children);
  return el;
};

const redo = (j: GraphJob) => (j.staleBatches ?? 0) + (j.reopenedBatches ?? 0);

/**
 * The jobs in columns by depth (producers left, consumers right), each with its backlog, waiting, open and stale
 * counts, an arrow per dependency (marked when a producer's commit triggers the consumer's run); a job opens its
 * own view. Below, the Mermaid text of `batchkeeper graph --format mermaid`, to paste into Markdown.
 */
export async function graphView(): Promise<HTMLElement> {
  const doc = await get<GraphDoc>('/api/graph');
  if (doc.jobs.length === 0)
    return h(
      'section',
      { 'data-testid': 'graph-view' },
      h('h1', {}, 'Dependencies'),
      h('p', { class: 'muted' }, 'No job yet: create one with batchkeeper jobs create.'),
    );
  const layout = layered(
    doc.jobs.map((j) => j.jobId),
    doc.edges,
  );
  const stale = doc.jobs.reduce((n, j) => n + redo(j), 0);
  return h(
    'section',
    { 'data-testid': 'graph-view' },
    h('h1', {}, 'Dependencies'),
    h(
      'div',
      { class: 'stats' },
      stat('jobs', fmt(doc.jobs.length), 'graph-jobs'),
      stat('dependencies', fmt(doc.edges.length), 'graph-edges'),
      stat('batches stale against producers', fmt(stale), 'graph-stale'),
    ),
    h(
      'div',
      { class: 'card' },
      h('h2', {}, 'Who waits on whom'),
      doc.edges.length === 0
        ? h(
            'p',
            { class: 'muted' },
            'No job depends on another: a job over <job>.outputs, or created with --depends-on JOB[:trigger], does.',
          )
        : null,
      drawing(doc, layout),
      legend(),
      nextSteps(doc.jobs),
    ),
    mermaidCard(doc.mermaid),
  );
}

function drawing(doc: GraphDoc, layout: Layout): HTMLElement {
  const byId = new Map(doc.jobs.map((j) => [j.jobId, j]));
  const width = layout.width + 2 * PAD;
  const height = layout.height + 2 * PAD;
  const lines = svg(
    'svg',
    { class: 'graph-edges', width, height, viewBox: `${-PAD} ${-PAD} ${width} ${height}` },
    svg(
      'defs',
      {},
      svg(
        'marker',
        {
          id: 'arrow',
          viewBox: '0 0 10 10',
          refX: 9,
          refY: 5,
          // In the drawing's units: the same head on a thin and a thick (trigger) line.
          markerUnits: 'userSpaceOnUse',
          markerWidth: 9,
          markerHeight: 9,
          orient: 'auto',
        },
        svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'arrow-head' }),
      ),
    ),
    ...layout.edges.flatMap((e) => {
      const trigger = doc.edges.some((d) => d.from === e.from && d.to === e.to && d.trigger);
      const path = svg('path', {
        d: e.path,
        class: trigger ? 'edge trigger' : 'edge',
        'marker-end': 'url(#arrow)',
        'data-testid': `graph-edge-${e.from}-${e.to}`,
        'data-trigger': String(trigger),
      });
      return trigger
        ? [path, svg('text', { x: e.mid.x, y: e.mid.y - 6, class: 'edge-label' }, 'trigger')]
        : [path];
    }),
  );
  const boxes = layout.boxes.map((b) =>
    jobBox(byId.get(b.id) as GraphJob, `left:${b.x + PAD}px;top:${b.y + PAD}px`),
  );
  return h(
    'div',
    { class: 'graph-scroll' },
    h(
      'div',
      { class: 'graph', 'data-testid': 'graph', style: `width:${width}px;height:${height}px` },
      lines,
      ...boxes,
    ),
  );
}

/** A job's box: a link to its view (a job that is gone has none), its figures, red when stale. */
function jobBox(j: GraphJob, position: string): HTMLElement {
  const id = j.jobId;
  const classes = ['graph-job', redo(j) > 0 ? 'stale' : '', j.state === 'MISSING' ? 'missing' : '']
    .filter(Boolean)
    .join(' ');
  const figure = (label: string, value: number | null, key: string) =>
    h('span', {}, `${label} `, h('b', { 'data-testid': `graph-${key}-${id}` }, fmt(value)));
  const attrs = {
    class: classes,
    style: `${position};width:${SIZES.boxWidth}px;height:${SIZES.boxHeight}px`,
    'data-testid': `graph-job-${id}`,
    title: j.state === 'MISSING' ? `${id}: deleted; the jobs that wait on it get nothing new from it` : id,
  };
  const content = [
    h('div', { class: 'name' }, h('strong', {}, id), j.state === 'ACTIVE' ? null : badge(j.state)),
    h('div', { class: 'dataset muted' }, j.datasetId ?? '-'),
    h(
      'div',
      { class: 'figures' },
      figure('backlog', j.backlog, 'backlog'),
      figure('waiting', j.waiting, 'waiting'),
      figure('open', j.openBatches, 'open'),
      figure('stale', j.staleBatches, 'stale'),
      j.reopenedBatches ? figure('reopened', j.reopenedBatches, 'reopened') : null,
    ),
  ];
  return j.state === 'MISSING'
    ? h('div', attrs, ...content)
    : h('a', { ...attrs, href: `#/jobs/${encodeURIComponent(id)}` }, ...content);
}

const legend = () =>
  h(
    'div',
    { class: 'legend' },
    h('span', {}, 'producer → consumer: the consumer takes only ids its producers finished (READY)'),
    h('span', {}, h('span', { class: 'edge-label' }, 'trigger'), ': a commit of the producer starts a run'),
    h('span', {}, h('i', { class: 'key-stale' }), 'batches stale against producers'),
    h('span', {}, 'backlog: ids a run would take now; waiting: ids that wait on a producer'),
  );

function nextSteps(jobs: readonly GraphJob[]): HTMLElement | null {
  const lines = jobs
    .filter((j) => redo(j) > 0)
    .map((j) =>
      h(
        'li',
        {},
        `${j.jobId}: ${fmt(redo(j))} batch(es) stale against producers; `,
        h('code', {}, `batchkeeper run ${j.jobId}`),
        ' takes them again',
      ),
    );
  return lines.length === 0 ? null : h('ul', { class: 'next-steps', 'data-testid': 'graph-next' }, ...lines);
}

/** The fenced block `graph --format mermaid` prints, and a button that copies it. */
function mermaidCard(mermaid: string): HTMLElement {
  const text = `\`\`\`mermaid\n${mermaid}\`\`\`\n`;
  const pre = h('pre', { class: 'mermaid-text', 'data-testid': 'graph-mermaid' }, text);
  const status = h('span', { class: 'muted', 'data-testid': 'copy-status' });
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      status.textContent = 'copied';
    } catch {
      // No clipboard for this page (a browser that refuses it): select the text for Ctrl+C instead.
      getSelection()?.selectAllChildren(pre);
      status.textContent = 'selected: press Ctrl+C to copy';
    }
  };
  return h(
    'div',
    { class: 'card' },
    h('h2', {}, 'Mermaid'),
    h(
      'p',
      { class: 'muted' },
      'The same graph as batchkeeper graph --format mermaid, for Markdown (GitHub and most wikis draw it).',
    ),
    h(
      'div',
      { class: 'toolbar' },
      h('button', { type: 'button', onclick: () => void copy(), 'data-testid': 'copy-mermaid' }, 'copy'),
      status,
    ),
    pre,
  );
}

/**
 * A job's producers and consumers, from the graph (read after the job's own figures): each a link to its job,
 * triggers marked, and the job's batches stale against its producers.
 */
export function dependenciesCard(jobId: string): HTMLElement {
  const card = h(
    'div',
    { class: 'card', 'data-testid': 'job-dependencies' },
    h('h2', {}, 'Dependencies'),
    h('p', { class: 'muted' }, 'reading the graph...'),
  );
  const link = (id: string, trigger: boolean) =>
    h('span', {}, h('a', { href: `#/jobs/${encodeURIComponent(id)}` }, id), trigger ? ' (trigger)' : '');
  const list = (ids: readonly [string, boolean][]) =>
    ids.length === 0 ? '-' : ids.flatMap(([id, t], i) => [i > 0 ? ', ' : '', link(id, t)]);
  get<GraphDoc>('/api/graph')
    .then((doc) => {
      const job = doc.jobs.find((j) => j.jobId === jobId);
      const producers = doc.edges
        .filter((e) => e.to === jobId)
        .map((e): [string, boolean] => [e.from, e.trigger]);
      const consumers = doc.edges
        .filter((e) => e.from === jobId)
        .map((e): [string, boolean] => [e.to, e.trigger]);
      card.replaceChildren(
        h('h2', {}, 'Dependencies'),
        h('p', { 'data-testid': 'job-producers' }, 'waits on: ', ...[list(producers)].flat()),
        h('p', { 'data-testid': 'job-consumers' }, 'waited on by: ', ...[list(consumers)].flat()),
        job && redo(job) > 0
          ? h(
              'p',
              {},
              `${fmt(redo(job))} batch(es) stale against producers: an incremental run takes them again`,
            )
          : '',
        h('a', { href: '#/graph' }, 'the whole graph'),
      );
    })
    .catch((e) => card.replaceChildren(h('h2', {}, 'Dependencies'), errorBox(e)));
  return card;
}
