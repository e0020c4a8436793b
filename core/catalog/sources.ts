import type { Deps } from '../deps.ts';
import { DatasetNotFoundError } from '../errors.ts';
import type { Source } from '../ports/index.ts';
import { CatalogSource } from './catalog-source.ts';

/**
 * The source of a job's items. Every data set lives in the catalog, including a job's requeued exceptions
 * (data set `<jobId>.exceptions`, whose entries point back at the original items).
 */
export async function sourceFor(deps: Pick<Deps, 'catalog'>, datasetId: string): Promise<Source> {
  const dataset = await deps.catalog.getDataset(datasetId);
  if (!dataset) throw new DatasetNotFoundError({ datasetId });
  return new CatalogSource(deps.catalog, datasetId, dataset.highId);
}

/** The source of a data set already read (saves a lookup on the hot path of a batch). */
export const sourceOfDataset = (deps: Pick<Deps, 'catalog'>, dataset: { datasetId: string }): Source =>
  new CatalogSource(deps.catalog, dataset.datasetId);

/** The data set that holds a job's requeued exceptions. */
export const exceptionsDatasetOf = (jobId: string) => `${jobId}.exceptions`;
