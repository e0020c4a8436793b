import { outputsDatasetOf, outputsProducerOf } from '../catalog/sources.ts';
import type { Deps } from '../deps.ts';
import { ValidationError } from '../errors.ts';
import type { Job, JobSpec } from '../model.ts';
import { producersOf } from './dependencies.ts';

/** How deep a chain of jobs over each other's outputs may go before it is taken for a cycle. */
const MAX_DEPTH = 50;

/**
 * The checks of a new job's producers (core/jobs/dependencies.ts), before anything is written: each is another
 * job, active, over the same ids, and none depends on this one (no cycle). Returns the outputs data set to create
 * when the job reads a producer's outputs and nobody read them before.
 */
export async function checkDependencies(
  deps: Pick<Deps, 'jobs' | 'catalog'>,
  spec: JobSpec,
): Promise<{ createOutputsOf?: string }> {
  const what = { what: 'job spec' };
  const fail = (field: string, rule: string) => new ValidationError([{ field, rule }], what);
  let createOutputsOf: string | undefined;
  const fromOutputs = outputsProducerOf(spec.datasetId);
  if (fromOutputs !== undefined) {
    const dataset = await deps.catalog.getDataset(spec.datasetId);
    if (dataset && dataset.outputsOf !== fromOutputs)
      throw fail('datasetId', `is a data set of its own, not the outputs of job ${fromOutputs}`);
    const producer = await deps.jobs.getJob(fromOutputs);
    if (fromOutputs === spec.jobId) throw fail('datasetId', 'must not be the outputs of the job itself');
    if (producer?.state !== 'ACTIVE')
      throw fail('datasetId', `names the outputs of job ${fromOutputs}, which does not exist`);
    if (!dataset) createOutputsOf = fromOutputs;
  }
  for (const [i, d] of (spec.dependsOn ?? []).entries())
    if (d.jobId === spec.jobId) throw fail(`dependsOn[${i}].jobId`, 'must not be the job itself');
  const cycle = await findCycle(deps, spec);
  if (cycle) throw fail('dependsOn', `must not make a cycle: ${cycle.join(' -> ')}`);
  const ownSpace = await idSpaceOf(deps, spec.datasetId);
  for (const [i, d] of (spec.dependsOn ?? []).entries()) {
    const field = `dependsOn[${i}].jobId`;
    const producer = await deps.jobs.getJob(d.jobId);
    if (producer?.state !== 'ACTIVE') throw fail(field, `must name an existing job (${d.jobId})`);
    const space = await idSpaceOf(deps, producer.datasetId);
    if (space !== ownSpace)
      throw fail(
        field,
        `must be a job over the same ids: ${d.jobId} reads data set ${space}, this job reads ${ownSpace}`,
      );
  }
  return createOutputsOf === undefined ? {} : { createOutputsOf };
}

/** The data set whose ids a data set's items carry: a job's outputs carry its own source's ids. */
async function idSpaceOf(deps: Pick<Deps, 'jobs'>, datasetId: string): Promise<string> {
  let id = datasetId;
  for (let depth = 0; depth < MAX_DEPTH; depth++) {
    const producer = outputsProducerOf(id);
    const job = producer === undefined ? undefined : await deps.jobs.getJob(producer);
    if (!job) return id;
    id = job.datasetId;
  }
  return id;
}

/** A path from the new job through its producers back to itself, if there is one. */
async function findCycle(deps: Pick<Deps, 'jobs'>, spec: JobSpec): Promise<string[] | undefined> {
  const seen = new Set<string>();
  const walk = async (
    job: Pick<Job, 'datasetId' | 'dependsOn'>,
    path: string[],
  ): Promise<string[] | undefined> => {
    if (path.length > MAX_DEPTH) return path;
    for (const p of producersOf(job)) {
      if (p.jobId === spec.jobId) return [...path, p.jobId];
      if (seen.has(p.jobId)) continue;
      seen.add(p.jobId);
      const producer = await deps.jobs.getJob(p.jobId);
      const found = producer && (await walk(producer, [...path, p.jobId]));
      if (found) return found;
    }
    return undefined;
  };
  return walk(spec, [spec.jobId]);
}

/** The outputs data set of a producer, created the first time a job reads it. */
export const outputsDatasetSpec = (producer: string) => ({
  datasetId: outputsDatasetOf(producer),
  description: `outputs of job ${producer}`,
  outputsOf: producer,
});
