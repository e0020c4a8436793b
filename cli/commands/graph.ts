import { z } from 'zod';
import { type GraphJob, type JobGraph, jobGraph } from '../../core/jobs/graph.ts';
import { formatCount, table } from '../output.ts';
import { defineCommand, targetArgs } from './args.ts';
import { dependenciesText } from './dependency-flags.ts';

const FORMATS = ['text', 'mermaid'] as const;

export const graph = defineCommand({
  words: ['graph'],
  usage: `[--format ${FORMATS.join('|')}]`,
  summary:
    'the dependency graph of the jobs (producer -> consumer), each with its backlog, open and stale batches',
  positionals: [],
  flags: {
    format: {
      type: 'string',
      help: '--format F  text (a table, producers first) or mermaid (a flowchart LR block for Markdown)',
    },
  },
  schema: targetArgs({
    format: z
      .preprocess(
        (v) => (typeof v === 'string' ? v.toLowerCase() : v),
        z.enum(FORMATS, { error: `must be one of ${FORMATS.join(', ')}` }),
      )
      .optional(),
  }),
  needsTarget: true,
  async run(a, ctx) {
    const g = await jobGraph((await ctx.target()).deps);
    if (a.format === 'mermaid') {
      const mermaid = mermaidOf(g);
      return { json: { ...g, mermaid }, text: `\`\`\`mermaid\n${mermaid}\`\`\`\n` };
    }
    return { json: g, text: graphText(g) };
  },
});

/** A number of the graph, `-` when unknown. */
const n = (v: number | null) => (v === null ? '-' : formatCount(v));

/** Producers first: one row per job, what it waits on, its backlog and batches; then what to do next. */
export function graphText(g: JobGraph): string {
  if (g.jobs.length === 0) return 'no jobs\n';
  const rows = g.jobs.map((j) => [
    j.jobId,
    j.datasetId,
    dependenciesText(j.producers),
    j.backlog,
    j.waiting,
    j.openBatches,
    j.staleBatches,
    j.reopenedBatches,
    j.state,
  ]);
  const header = ['job', 'data set', 'waits on', 'backlog', 'waiting', 'open', 'stale', 'reopened', 'state'];
  const head = `${g.jobs.length} job(s), ${g.edges.length} dependenc${g.edges.length === 1 ? 'y' : 'ies'}\n`;
  return `${head}${table(header, rows)}${g.jobs.map(nextStep).join('')}`;
}

/** A line for a job with work that a person may want to start: stale batches, or a backlog with no trigger. */
function nextStep(j: GraphJob): string {
  if (j.state === 'MISSING') return `${j.jobId}: gone; the jobs that wait on it get nothing new from it\n`;
  const redo = (j.staleBatches ?? 0) + (j.reopenedBatches ?? 0);
  if (redo > 0)
    return `${j.jobId}: ${redo} batch(es) stale against producers: batchkeeper batches ${j.jobId} --stale; batchkeeper run ${j.jobId} takes them again\n`;
  return '';
}

/**
 * A Mermaid `flowchart LR`: one node per job (its id, backlog, open and stale batches), an arrow per
 * dependency from producer to consumer, labelled `trigger` when a commit starts the consumer's run. Node names
 * are positional (`j0`, `j1`, ...): job ids may hold dots, which Mermaid reads otherwise.
 */
export function mermaidOf(g: JobGraph): string {
  const names = new Map(g.jobs.map((j, i) => [j.jobId, `j${i}`]));
  const name = (jobId: string) => names.get(jobId) ?? jobId;
  const nodes = g.jobs.map((j) => `  ${name(j.jobId)}["${label(j)}"]`);
  const edges = g.edges.map((e) => `  ${name(e.from)} ${e.trigger ? '-->|trigger|' : '-->'} ${name(e.to)}`);
  const stale = g.jobs.filter((j) => (j.staleBatches ?? 0) + (j.reopenedBatches ?? 0) > 0);
  const gone = g.jobs.filter((j) => j.state === 'MISSING');
  const classes = [
    ...(stale.length > 0
      ? [
          '  classDef stale stroke:#c0392b,stroke-width:2px',
          `  class ${stale.map((j) => name(j.jobId)).join(',')} stale`,
        ]
      : []),
    ...(gone.length > 0
      ? [
          '  classDef missing stroke-dasharray:4 4',
          `  class ${gone.map((j) => name(j.jobId)).join(',')} missing`,
        ]
      : []),
  ];
  return `${['flowchart LR', ...nodes, ...edges, ...classes].join('\n')}\n`;
}

function label(j: GraphJob): string {
  if (j.state === 'MISSING') return `${j.jobId}<br/>missing`;
  if (j.state !== 'ACTIVE') return `${j.jobId}<br/>${j.state.toLowerCase()}`;
  const waiting = j.waiting ? ` (+${n(j.waiting)} waiting)` : '';
  const reopened = j.reopenedBatches ? `, ${n(j.reopenedBatches)} reopened` : '';
  return `${j.jobId}<br/>backlog ${n(j.backlog)}${waiting}<br/>open ${n(j.openBatches)}, stale ${n(j.staleBatches)}${reopened}`;
}
