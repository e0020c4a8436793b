import { readableDataset } from '../catalog/delete-dataset.ts';
import { jobPrefixes } from '../contracts/s3-keys.ts';
import type { Deps } from '../deps.ts';
import {
  JobBusyError,
  JobConflictError,
  JobInUseError,
  JobNotFoundError,
  ValidationError,
} from '../errors.ts';
import type { Job } from '../model.ts';
import { JobSpec } from '../model.ts';
import type { Page, PageRequest } from '../ports/index.ts';
import { type Json, Name, parse } from '../validation.ts';
import { configHash } from './config-hash.ts';
import { dependentsOf } from './dependencies.ts';
import { checkDependencies, outputsDatasetSpec } from './dependency-checks.ts';

/**
 * Create a job. The config is validated by the processor's schema (defaults applied) and hashed with the
 * processor's name and version. Creating the same spec again is a no-op; another spec under the id is a
 * JobConflictError. Nothing is written before every check passed.
 * @example await createJob(deps, { jobId: 'addr', datasetId: 'registry', processor: { name: 'normalize-address' }, batching: { by: 'count', size: 1000 } })
 */
export async function createJob(deps: Deps, raw: unknown): Promise<{ job: Job; created: boolean }> {
  const spec = parse(JobSpec, raw, 'job spec');
  const processor = deps.processors.get(spec.processor.name);
  if (spec.processor.version !== undefined && spec.processor.version !== processor.version) {
    throw new ValidationError(
      [{ field: 'processor.version', rule: `must be the deployed version ${processor.version}` }],
      { what: 'job spec' },
    );
  }
  const config = processor.parseConfig(spec.config) as Record<string, Json>;
  const { createOutputsOf } = await checkDependencies(deps, spec);
  // A producer's outputs data set comes with its first reader, once every check has passed.
  if (createOutputsOf !== undefined)
    await deps.catalog.createDataset(
      outputsDatasetSpec(createOutputsOf),
      new Date(deps.clock.now()).toISOString(),
    );
  await readableDataset(deps, spec.datasetId);
  const ref = { name: processor.name, version: processor.version };
  const at = new Date(deps.clock.now()).toISOString();
  const job: Job = {
    ...spec,
    processor: ref,
    config,
    configHash: configHash({ ...ref, command: processor.command }, config),
    state: 'ACTIVE',
    watermark: 1,
    firstId: 1,
    createdAt: at,
    updatedAt: at,
  };
  const out = await deps.jobs.putJob(job);
  if (out.created) return { job, created: true };
  if (sameSpec(out.existing, job)) return { job: out.existing, created: false };
  throw new JobConflictError({
    jobId: job.jobId,
    existingHash: out.existing.configHash,
    requestedHash: job.configHash,
    differs: differences(out.existing, job),
  });
}

/** The parts of a spec a second create must repeat exactly (the config through its hash), by their names. */
const SPEC_PARTS: readonly [string, (j: Job) => unknown][] = [
  ['datasetId', (j) => j.datasetId],
  ['config (configHash)', (j) => j.configHash],
  ['batching', (j) => j.batching],
  ['description', (j) => j.description ?? null],
  ['maxConcurrency', (j) => j.maxConcurrency],
  ['toleratedFailurePercentage', (j) => j.toleratedFailurePercentage],
  ['leaseSeconds', (j) => j.leaseSeconds],
  ['dependsOn', (j) => j.dependsOn ?? []],
  ['routing', (j) => j.routing ?? null],
];

/** The names of the spec parts in which two jobs differ; none for the same spec. */
function differences(a: Job, b: Job): string[] {
  return SPEC_PARTS.filter(([, of]) => JSON.stringify(of(a)) !== JSON.stringify(of(b))).map(([name]) => name);
}

function sameSpec(a: Job, b: Job): boolean {
  return differences(a, b).length === 0;
}

export async function getJob(deps: Pick<Deps, 'jobs'>, jobId: unknown): Promise<Job> {
  const id = parse(Name, jobId, 'jobId');
  const job = await deps.jobs.getJob(id);
  if (!job) throw new JobNotFoundError({ jobId: id });
  return job;
}

export function listJobs(deps: Pick<Deps, 'jobs'>, page?: PageRequest): Promise<Page<Job>> {
  return deps.jobs.listJobs(page);
}

/**
 * A new config from now on: batches completed before keep the hash they completed with (see drift).
 * The processor version moves to the deployed one.
 */
export async function updateJobConfig(deps: Deps, jobId: unknown, rawConfig: unknown): Promise<Job> {
  const job = await getJob(deps, jobId);
  const processor = deps.processors.get(job.processor.name);
  const config = processor.parseConfig(rawConfig) as Record<string, Json>;
  const hash = configHash(processor, config);
  const at = new Date(deps.clock.now()).toISOString();
  return deps.jobs.updateJobConfig(
    job.jobId,
    { config, configHash: hash, processorVersion: processor.version },
    at,
  );
}

export interface DeleteReport {
  readonly existed: boolean;
  readonly inventoryItems: number;
  readonly exceptions: number;
  readonly objects: number;
}

const PAGE = 100;

/**
 * Delete all of a job's data: batches, attempts and runs, exceptions, outputs, manifests and staged exceptions
 * in S3, and last the job record, so that a crash half way leaves the job findable and a re-run finishes the
 * work.
 * Refused while a lease is live unless forced.
 */
export async function deleteJob(
  deps: Deps,
  jobId: unknown,
  options: { force?: boolean } = {},
): Promise<DeleteReport> {
  const id = parse(Name, jobId, 'jobId');
  const job = await deps.jobs.getJob(id);
  if (!job) return { existed: false, inventoryItems: 0, exceptions: 0, objects: 0 };
  if (!options.force) {
    const dependents = await dependentsOf(deps, id);
    if (dependents.length > 0)
      throw new JobInUseError({ jobId: id, dependents: dependents.map((d) => d.job.jobId) });
    const live = await deps.batches.findLiveLease(id);
    if (live)
      throw new JobBusyError({ jobId: id, batchStart: live.start, leaseExpiresAt: live.leaseExpiresAt ?? 0 });
  }
  await deps.jobs.markJobDeleting(id, new Date(deps.clock.now()).toISOString());
  await deps.faults('delete.afterMark');
  // Batches first: once a batch is gone no worker can commit it (and one that tries drops what it wrote), so
  // no exception or output of this job appears after the phases below have run.
  const inventoryItems = await drain(
    () => deps.jobs.deletePage(id, PAGE),
    () => deps.faults('delete.inventoryPage'),
  );
  const exceptions = await drain(
    () => deps.exceptions.deletePage(id, PAGE),
    () => deps.faults('delete.exceptionsPage'),
  );
  let objects = 0;
  for (const prefix of jobPrefixes(id)) {
    objects += await drain(
      () => deps.objects.deletePrefixPage(deps.buckets.work, prefix),
      () => deps.faults('delete.objectsPage'),
    );
  }
  await deps.jobs.deleteJobRecord(id);
  return { existed: true, inventoryItems, exceptions, objects };
}

async function drain(page: () => Promise<number>, between: () => unknown): Promise<number> {
  let total = 0;
  for (let n = await page(); n > 0; n = await page()) {
    total += n;
    await between();
  }
  return total;
}
