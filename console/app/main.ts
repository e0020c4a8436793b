import { get, setToken, takeToken } from './api.ts';
import { errorBox, h, mount } from './dom.ts';
import { exceptionsView } from './views/exceptions.ts';
import { graphView } from './views/graph.ts';
import { jobView } from './views/job.ts';
import { jobsView } from './views/jobs.ts';
import { runsView, runView } from './views/runs.ts';
import { startView } from './views/start.ts';

/**
 * The console's single page: views by the URL's hash, data from the JSON API.
 *   #/                            jobs
 *   #/jobs/:job                   a job: range map, gap finder, batches with attempts
 *   #/jobs/:job/runs[/:run]       runs, one run with its timeline
 *   #/jobs/:job/start             start a run after a dry-run preview
 *   #/jobs/:job/exceptions        the review queue
 *   #/graph                       the dependency graph of jobs: who waits on whom, with backlogs
 */
const root = document.getElementById('view') as HTMLElement;
const nav = document.getElementById('nav') as HTMLElement;

async function route(): Promise<void> {
  const parts = location.hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  const [first, jobId, section, runId] = parts;
  nav.replaceChildren(h('a', { href: '#/' }, 'jobs'));
  if (first === 'jobs' && jobId) {
    const base = `#/jobs/${encodeURIComponent(jobId)}`;
    nav.append(
      ...[
        ['', jobId],
        ['/runs', 'runs'],
        ['/start', 'start a run'],
        ['/exceptions', 'exceptions'],
      ].map(([path, label]) =>
        h(
          'a',
          {
            href: `${base}${path}`,
            class: (section ?? '') === (path ?? '').slice(1) ? 'active' : '',
            'data-testid': `nav-${path ? (path as string).slice(1) : 'job'}`,
          },
          label as string,
        ),
      ),
    );
  }
  nav.append(
    h(
      'a',
      { href: '#/graph', class: first === 'graph' ? 'active' : '', 'data-testid': 'nav-graph' },
      'dependencies',
    ),
  );
  mount(root, h('p', { class: 'muted' }, 'loading...'));
  try {
    const view =
      first === 'graph'
        ? await graphView()
        : first !== 'jobs' || !jobId
          ? await jobsView()
          : section === 'runs' && runId
            ? await runView(jobId, runId, root)
            : section === 'runs'
              ? await runsView(jobId)
              : section === 'start'
                ? await startView(jobId)
                : section === 'exceptions'
                  ? await exceptionsView(jobId)
                  : await jobView(jobId);
    mount(root, view);
  } catch (e) {
    mount(root, errorBox(e));
  }
}

setToken(takeToken());
window.addEventListener('hashchange', () => void route());
void get<{ kind: string; region: string }>('/api/info')
  .then((info) => {
    (document.getElementById('target') as HTMLElement).textContent =
      info.kind === 'local' ? 'local mode' : `AWS ${info.region}`;
  })
  .catch(() => {});
void route();
