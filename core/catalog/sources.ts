import type { Deps } from '../deps.ts';
import type { Dataset } from '../model.ts';
import type { Source } from '../ports/index.ts';
import { CatalogSource } from './catalog-source.ts';
import { readableDataset } from './delete-dataset.ts';
import { OutputsSource } from './outputs-source.ts';

type SourceDeps = Pick<Deps, 'catalog' | 'batches' | 'buckets' | 'jobs'>;

/**
 * The source of a job's items. Every data set lives in the catalog, including a job's requeued exceptions
 * (data set `<jobId>.exceptions`, whose entries point back at the original items); a job's outputs (data set
 * `<jobId>.outputs`) are read from its batches and their output objects. A data set being deleted is refused
 * (DatasetDeletingError).
 */
export async function sourceFor(deps: SourceDeps, datasetId: string): Promise<Source> {
  const dataset = await readableDataset(deps, datasetId);
  if (dataset.outputsOf) return new OutputsSource(deps, datasetId, dataset.outputsOf);
  return new CatalogSource(deps.catalog, datasetId, dataset.highId);
}

/** The source of a data set already read (saves a lookup on the hot path of a batch). */
export const sourceOfDataset = (
  deps: SourceDeps,
  dataset: Pick<Dataset, 'datasetId' | 'outputsOf'>,
): Source =>
  dataset.outputsOf
    ? new OutputsSource(deps, dataset.datasetId, dataset.outputsOf)
    : new CatalogSource(deps.catalog, dataset.datasetId);

/** The data set that holds a job's requeued exceptions. */
export const exceptionsDatasetOf = (jobId: string) => `${jobId}.exceptions`;

/** The data set of a job's outputs: one item per output line, under the job's ids. */
export const outputsDatasetOf = (jobId: string) => `${jobId}.outputs`;

/** The job whose outputs a data set id names (`<jobId>.outputs`), if it names one. */
export const outputsProducerOf = (datasetId: string): string | undefined =>
  datasetId.endsWith(OUTPUTS_SUFFIX) ? datasetId.slice(0, -OUTPUTS_SUFFIX.length) : undefined;

const OUTPUTS_SUFFIX = '.outputs';
