import type { CatalogEntry, Dataset, DatasetSpec, EntryDescriptor, Item } from '../model.ts';
import type { Page, PageRequest } from './common.ts';

/** A data set to create: a user's, or one the framework keeps for a job (its requeued exceptions, its outputs). */
export type NewDataset = DatasetSpec & { readonly exceptionsOf?: string; readonly outputsOf?: string };

/** New entries to register; ids are handed out by the store. */
export interface NewEntry {
  readonly count: number;
  readonly location: string;
  readonly format: 'object' | 'jsonl';
  readonly weights: number | readonly number[];
  readonly checksum?: string;
  readonly size?: number;
  readonly ref?: { datasetId: string; id: number };
  readonly ready?: boolean;
}

export interface RegisterResult {
  /** First and last id handed out by this call; absent when every location was already registered. */
  readonly firstId?: number;
  readonly lastId?: number;
  readonly registered: number;
  readonly skippedLocations: string[];
  readonly highId: number;
}

/** What `datasets accept` records on an entry: the object now at its location (its line count unchanged). */
export interface AcceptedContent {
  readonly size: number;
  readonly checksum?: string;
  readonly weights: number | readonly number[];
}

/** The catalog: data sets and their items, with ids from an atomic counter. */
export interface CatalogStore {
  createDataset(spec: NewDataset, at: string): Promise<Dataset>;
  getDataset(datasetId: string): Promise<Dataset | undefined>;
  listDatasets(page?: PageRequest): Promise<Page<Dataset>>;
  /** One counter write per call (within a transaction with the entries); a location registers once. */
  register(datasetId: string, entries: readonly NewEntry[], at: string): Promise<RegisterResult>;
  /** Entries overlapping [start, end], in id order. */
  entries(datasetId: string, start: number, end: number): AsyncIterable<CatalogEntry>;
  /**
   * The same entries without their per-item weights, which are most of an entry's size (8 bytes an item when
   * they differ): for readers that need only where the items are, such as the planner's manifest.
   */
  descriptors(datasetId: string, start: number, end: number): AsyncIterable<EntryDescriptor>;
  markReady(datasetId: string, start: number, end: number): Promise<number>;
  /** The first id a location was registered under (from its L# marker), if it was. */
  findLocation(datasetId: string, location: string): Promise<number | undefined>;
  /**
   * Mark a data set DELETING: from then on a registration into it fails with DatasetDeletingError (the counter's
   * condition refuses it). DatasetNotFoundError when there is no such data set.
   */
  markDatasetDeleting(datasetId: string, at: string): Promise<void>;
  /** Delete up to `limit` of the data set's entries and location markers (META kept); returns how many. */
  deleteDatasetPage(datasetId: string, limit: number): Promise<number>;
  /** Delete the listing row and the META item: last, so that a delete that crashed finds the data set again. */
  deleteDatasetRecord(datasetId: string): Promise<void>;
  /**
   * Record `content` as what the entry starting at `start` holds, with `acceptedAt = at`. Refused with
   * DatasetDeletingError while the data set is being deleted, DatasetNotFoundError when there is no such data
   * set, a ValidationError on `start` when no entry starts there. Returns the entry as it now stands.
   */
  acceptEntry(datasetId: string, start: number, content: AcceptedContent, at: string): Promise<CatalogEntry>;
}

/** Anything a job can read items from: the catalog, or another job's requeued exceptions (via the catalog). */
export interface Source {
  readonly datasetId: string;
  highId(): Promise<number>;
  /** Items with ids in [start, end] stepping by stride, in order. */
  items(start: number, end: number, stride?: number): AsyncIterable<Item>;
}
