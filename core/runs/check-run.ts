import { readableDataset } from '../catalog/delete-dataset.ts';
import type { Deps } from '../deps.ts';
import { JobDeletingError, ValidationError } from '../errors.ts';
import type { RunInput } from '../events.ts';
import { getJob } from '../jobs/jobs.ts';

/**
 * What can be known about a run before its execution starts: the job exists and is not being deleted, its data
 * set exists and is not being deleted, and a backfill's bounds lie within the ids the data set has. A caller that starts executions (the CLI, the console)
 * asks this first, so that a mistyped job or range is a clear error, not a failed execution.
 */
export async function checkRun(deps: Pick<Deps, 'jobs' | 'catalog'>, input: RunInput): Promise<void> {
  const job = await getJob(deps, input.jobId);
  if (job.state === 'DELETING') throw new JobDeletingError({ jobId: job.jobId });
  const dataset = await readableDataset(deps, job.datasetId);
  if (input.mode !== 'backfill') return;
  const last = dataset.highId;
  const beyond = (field: 'idStart' | 'idEnd', id: number | undefined) =>
    id !== undefined && id > last
      ? [{ field, rule: `must be <= ${last}, the last id of data set ${dataset.datasetId}` }]
      : [];
  const violations = [...beyond('idStart', input.idStart), ...beyond('idEnd', input.idEnd)];
  if (violations.length > 0) throw new ValidationError(violations, { what: 'run input' });
}
