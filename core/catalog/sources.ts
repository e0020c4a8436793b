import type { Deps } from '../deps.ts';
import type { Source } from '../ports/index.ts';
import { CatalogSource } from './catalog-source.ts';
import { readableDataset } from './delete-dataset.ts';

/**
 * The source of a job's items. Every data set lives in the catalog, including a job's requeued exceptions
 * (data set `<jobId>.exceptions`, whose entries point back at the original items). A data set being deleted
 * is refused (DatasetDeletingError).
 */
export async function sourceFor(deps: Pick<Deps, 'catalog'>, datasetId: string): Promise<Source> {
  const dataset = await readableDataset(deps, datasetId);
  return new CatalogSource(deps.catalog, datasetId, dataset.highId);
}

/** The source of a data set already read (saves a lookup on the hot path of a batch). */
export const sourceOfDataset = (deps: Pick<Deps, 'catalog'>, dataset: { datasetId: string }): Source =>
  new CatalogSource(deps.catalog, dataset.datasetId);

/** The data set that holds a job's requeued exceptions. */
export const exceptionsDatasetOf = (jobId: string) => `${jobId}.exceptions`;
