import { z } from 'zod';
import { mermaidOf } from '../../cli/commands/graph.ts';
import { jobGraph } from '../../core/jobs/graph.ts';
import { queryOf, type Route } from './router.ts';

/**
 * The dependency graph of the jobs, as `batchkeeper graph --format mermaid --json` prints it: the jobs (producers
 * first) with their backlog, waiting, open, stale and reopened counts, the edges producer -> consumer with
 * whether they trigger, and the same Mermaid text.
 */
export const GRAPH_ROUTES: readonly Route[] = [
  {
    method: 'GET',
    path: '/api/graph',
    async handle(call) {
      queryOf(z.strictObject({}), call.query);
      const graph = await jobGraph(call.backend.deps);
      return { ...graph, mermaid: mermaidOf(graph) };
    },
  },
];
