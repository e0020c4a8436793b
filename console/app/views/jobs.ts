import { get } from '../api.ts';
import { badge, fmt, h, stat, table } from '../dom.ts';
import type { Overview } from '../types.ts';

const jobLink = (id: string, rest = '') => `#/jobs/${encodeURIComponent(id)}${rest}`;

/** Every job: status, backlog, stale and drifted ranges, open exceptions, last run. */
export async function jobsView(): Promise<HTMLElement> {
  const { jobs } = await get<{ jobs: Overview[] }>('/api/jobs');
  if (jobs.length === 0)
    return h(
      'section',
      {},
      h('h1', {}, 'Jobs'),
      h('p', { class: 'muted' }, 'No job yet: create one with batchkeeper jobs create.'),
    );
  const rows = jobs.map((o) => [
    h('a', { href: jobLink(o.job.jobId), 'data-testid': `job-${o.job.jobId}` }, o.job.jobId),
    o.job.datasetId,
    statusOf(o),
    h('span', { 'data-testid': `backlog-${o.job.jobId}` }, fmt(o.backlog)),
    h(
      'span',
      { 'data-testid': `batches-${o.job.jobId}` },
      `${fmt(o.batches.done)} done, ${fmt(o.batches.failed)} failed`,
    ),
    h(
      'span',
      { 'data-testid': `redo-${o.job.jobId}` },
      o.redoRanges === 0
        ? '-'
        : `${fmt(o.drifted)} drifted, ${fmt(o.stale)} stale in ${fmt(o.redoRanges)} range(s)`,
    ),
    h(
      'a',
      { href: jobLink(o.job.jobId, '/exceptions'), 'data-testid': `open-${o.job.jobId}` },
      fmt(o.exceptions.OPEN),
    ),
    o.lastRun
      ? h(
          'a',
          { href: jobLink(o.job.jobId, `/runs/${encodeURIComponent(o.lastRun.runId)}`) },
          `${o.lastRun.mode} `,
          badge(o.lastRun.executionStatus ?? o.lastRun.status),
        )
      : '-',
  ]);
  const totals = jobs.reduce(
    (t, o) => ({ backlog: t.backlog + o.backlog, open: t.open + o.exceptions.OPEN }),
    { backlog: 0, open: 0 },
  );
  return h(
    'section',
    {},
    h('h1', {}, 'Jobs'),
    h(
      'div',
      { class: 'stats' },
      stat('jobs', fmt(jobs.length)),
      stat('ids not yet processed', fmt(totals.backlog)),
      stat('open exceptions', fmt(totals.open)),
    ),
    table(
      [
        'job',
        'data set',
        'status',
        'backlog (ids)',
        'batches',
        'stale / drifted',
        'open exceptions',
        'last run',
      ],
      rows,
      { 'data-testid': 'jobs-table' },
    ),
  );
}

/** What a job is doing: running (a live lease or a run not finalized), failing, or idle. */
function statusOf(o: Overview): HTMLElement {
  if (o.job.state === 'DELETING') return badge('DELETING');
  if (o.batches.leased > 0 || (o.lastRun?.status === 'PLANNED' && !o.lastRun.executionStatus))
    return badge('RUNNING');
  if (o.batches.failed > 0) return badge('FAILED');
  if (o.backlog > 0 || o.redoRanges > 0) return badge('BEHIND');
  return badge('UP-TO-DATE');
}
