import { z } from 'zod';
import type { Deps } from '../deps.ts';
import { DatasetDeletingError, DatasetInUseError, DatasetNotFoundError } from '../errors.ts';
import type { Dataset } from '../model.ts';
import { Name, parse } from '../validation.ts';

export interface DatasetDeleteReport {
  readonly datasetId: string;
  /** Entries and location markers deleted by this call (a re-run after a crash counts only its own). */
  readonly records: number;
  /** Jobs that read the data set and were let be because of force: their runs now fail. */
  readonly forcedPast: readonly string[];
  /** True when this call finished a delete that an earlier one started (and did not finish). */
  readonly resumed: boolean;
}

/** Catalog records deleted per page: one Query and four BatchWriteItem calls. */
const PAGE = 100;

/**
 * A data set that can be read: DatasetNotFoundError when there is none, DatasetDeletingError while a delete of
 * it has not finished. Every reader of items (planning, job creation, registration) asks this.
 */
export async function readableDataset(deps: Pick<Deps, 'catalog'>, datasetId: string): Promise<Dataset> {
  const dataset = await deps.catalog.getDataset(datasetId);
  if (!dataset) throw new DatasetNotFoundError({ datasetId });
  if (dataset.state === 'DELETING') throw new DatasetDeletingError({ datasetId });
  return dataset;
}

/** The ids of the jobs whose items come from the data set (`job.datasetId`), in id order. */
export async function jobsReading(deps: Pick<Deps, 'jobs'>, datasetId: string): Promise<string[]> {
  const out: string[] = [];
  let next: string | undefined;
  do {
    const page = await deps.jobs.listJobs({ limit: 100, next });
    out.push(...page.items.filter((j) => j.datasetId === datasetId).map((j) => j.jobId));
    next = page.next;
  } while (next);
  return out;
}

/**
 * Delete a data set's catalog records: marked DELETING first (registration into it and reads of it are refused
 * from then on), then its entries and location markers page by page, then its listing row and its record last,
 * so that a delete that crashed half way leaves the data set findable and running it again finishes the work.
 * Refused with DatasetInUseError while a job reads it, unless forced; a delete already under way is finished
 * without asking again. The objects in S3 are the user's and are never touched.
 * @example await deleteDataset(deps, 'registry'); // DatasetInUseError while job `addresses` reads it
 */
export async function deleteDataset(
  deps: Deps,
  datasetId: unknown,
  options: { force?: boolean } = {},
): Promise<DatasetDeleteReport> {
  const { datasetId: id } = parse(z.object({ datasetId: Name }), { datasetId }, 'datasets delete');
  const dataset = await deps.catalog.getDataset(id);
  if (!dataset) throw new DatasetNotFoundError({ datasetId: id });
  const resumed = dataset.state === 'DELETING';
  const users = resumed ? [] : await jobsReading(deps, id);
  if (users.length > 0 && !options.force) throw new DatasetInUseError({ datasetId: id, jobIds: users });
  if (!resumed) await deps.catalog.markDatasetDeleting(id, new Date(deps.clock.now()).toISOString());
  await deps.faults('datasetDelete.afterMark');
  let records = 0;
  for (let n = await deps.catalog.deleteDatasetPage(id, PAGE); n > 0; ) {
    records += n;
    await deps.faults('datasetDelete.page');
    n = await deps.catalog.deleteDatasetPage(id, PAGE);
  }
  await deps.catalog.deleteDatasetRecord(id);
  return { datasetId: id, records, forcedPast: users, resumed };
}
