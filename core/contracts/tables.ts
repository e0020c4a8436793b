/**
 * The physical layout shared by the DynamoDB adapters, the local mode (which creates the tables) and the CDK
 * app (which declares them). Every table has a string partition key `pk` and sort key `sk`.
 *
 * catalog     DS#<datasetId> / META              data set, its id counter (highId)
 *             DS#<datasetId> / E#<start>         one entry: an object, or a chunk of records
 *             DS#<datasetId> / L#<location>      dedupe marker: a location registers once
 *             DATASETS / <datasetId>             listing
 * inventory   J#<jobId> / META                   job: spec, configHash, watermark, state
 *             J#<jobId> / B#<start>              batch of the real inventory (with cuts, tiles [firstId, watermark))
 *             J#<jobId> / S#<runId>#B#<start>    batch of a sample run, apart from the inventory
 *             J#<jobId> / A#<scope>#<start>#<end>#<attempt>   attempt, written once
 *             J#<jobId> / R#<runId>              run
 *             J#<jobId> / C#<iso time>           config history
 *             J#<jobId> / H#<iso time>#<start>   batch status change not carried by an attempt (split)
 *             J#<jobId> / M#<start>#<end>        output move of a split batch, until its parts own their objects
 *             J#<jobId> / N#<start>              new ranges cut past the watermark, until their batches are created
 *             J#<jobId> / P#<batch sk>#<token>   staged exceptions of a committed attempt, until they are written
 *             JOBS / <jobId>                     listing
 *   GSI open     openPk = J#<jobId>, openSk = <start>: batches not yet SUCCEEDED (sparse)
 *   GSI byRun    runPk = J#<jobId>#<runId>, runSk = sk: attempts of one run (sparse)
 * exceptions  J#<jobId> / X#<itemId>                       an item set aside: one record per item, its latest state
 *             J#<jobId> / XO#<itemId>#<runId>#<start>#<token>   one occurrence (the attempt that set it aside)
 *             J#<jobId> / XS#<runId>#<itemId>              a sample run's item set aside, apart from the queue
 *             J#<jobId> / XSO#<runId>#<itemId>#<start>#<token>  one occurrence of a sample run's exception
 *   GSI byStatus statusPk = J#<jobId>#<status>, statusSk = sk: the job's records (X#) only, not samples
 */
export interface TableNames {
  readonly catalog: string;
  readonly inventory: string;
  readonly exceptions: string;
}

export interface IndexSpec {
  readonly indexName: string;
  readonly partitionKey: string;
  readonly sortKey: string;
}

export interface TableSpec {
  readonly role: keyof TableNames;
  readonly indexes: readonly IndexSpec[];
}

export const OPEN_INDEX: IndexSpec = { indexName: 'open', partitionKey: 'openPk', sortKey: 'openSk' };
export const BY_RUN_INDEX: IndexSpec = { indexName: 'byRun', partitionKey: 'runPk', sortKey: 'runSk' };
export const BY_STATUS_INDEX: IndexSpec = {
  indexName: 'byStatus',
  partitionKey: 'statusPk',
  sortKey: 'statusSk',
};

export const TABLE_SPECS: readonly TableSpec[] = [
  { role: 'catalog', indexes: [] },
  { role: 'inventory', indexes: [OPEN_INDEX, BY_RUN_INDEX] },
  { role: 'exceptions', indexes: [BY_STATUS_INDEX] },
];

/** Environment variables that carry the deployment's resource names into the functions and the CLI. */
export const ENV = {
  catalogTable: 'BATCHKEEPER_CATALOG_TABLE',
  inventoryTable: 'BATCHKEEPER_INVENTORY_TABLE',
  exceptionsTable: 'BATCHKEEPER_EXCEPTIONS_TABLE',
  dataBucket: 'BATCHKEEPER_DATA_BUCKET',
  workBucket: 'BATCHKEEPER_WORK_BUCKET',
  stateMachineArn: 'BATCHKEEPER_STATE_MACHINE_ARN',
} as const;

/** Width of zero-padded ids in sort keys: Number.MAX_SAFE_INTEGER has 16 digits. */
export const ID_WIDTH = 16;

export const pad = (n: number): string => String(n).padStart(ID_WIDTH, '0');

export const keys = {
  dataset: (datasetId: string) => ({ pk: `DS#${datasetId}`, sk: 'META' }),
  datasetListing: (datasetId: string) => ({ pk: 'DATASETS', sk: datasetId }),
  entry: (datasetId: string, start: number) => ({ pk: `DS#${datasetId}`, sk: `E#${pad(start)}` }),
  location: (datasetId: string, location: string) => ({ pk: `DS#${datasetId}`, sk: `L#${location}` }),
  job: (jobId: string) => ({ pk: `J#${jobId}`, sk: 'META' }),
  jobListing: (jobId: string) => ({ pk: 'JOBS', sk: jobId }),
  jobPk: (jobId: string) => `J#${jobId}`,
  batchPrefix: (scope: ScopeLike) => (scope.kind === 'inventory' ? 'B#' : `S#${scope.runId}#B#`),
  batch: (jobId: string, scope: ScopeLike, start: number) => ({
    pk: `J#${jobId}`,
    sk: `${keys.batchPrefix(scope)}${pad(start)}`,
  }),
  attempt: (jobId: string, scope: ScopeLike, start: number, end: number, attempt: number) => ({
    pk: `J#${jobId}`,
    sk: `A#${scope.kind === 'inventory' ? 'I' : `S#${scope.runId}`}#${pad(start)}#${pad(end)}#${String(attempt).padStart(6, '0')}`,
  }),
  run: (jobId: string, runId: string) => ({ pk: `J#${jobId}`, sk: `R#${runId}` }),
  runPk: (jobId: string, runId: string) => `J#${jobId}#${runId}`,
  openPk: (jobId: string) => `J#${jobId}`,
  configHistory: (jobId: string, at: string) => ({ pk: `J#${jobId}`, sk: `C#${at}` }),
  history: (jobId: string, at: string, start: number) => ({ pk: `J#${jobId}`, sk: `H#${at}#${pad(start)}` }),
  move: (jobId: string, start: number, end: number) => ({
    pk: `J#${jobId}`,
    sk: `M#${pad(start)}#${pad(end)}`,
  }),
  cut: (jobId: string, start: number) => ({ pk: `J#${jobId}`, sk: `N#${pad(start)}` }),
  publish: (jobId: string, scope: ScopeLike, start: number, token: number) => ({
    pk: `J#${jobId}`,
    sk: `P#${keys.batchPrefix(scope)}${pad(start)}#${token}`,
  }),
  /** The prefix of a scope's exception records; the item id follows. */
  exceptionPrefix: (scope: ScopeLike) => (scope.kind === 'inventory' ? 'X#' : `XS#${scope.runId}#`),
  exception: (jobId: string, scope: ScopeLike, itemId: number) => ({
    pk: `J#${jobId}`,
    sk: `${keys.exceptionPrefix(scope)}${pad(itemId)}`,
  }),
  occurrencePrefix: (scope: ScopeLike, itemId: number) =>
    scope.kind === 'inventory' ? `XO#${pad(itemId)}#` : `XSO#${scope.runId}#${pad(itemId)}#`,
  occurrence: (
    jobId: string,
    scope: ScopeLike,
    itemId: number,
    o: { runId: string; start: number; token: number },
  ) => ({
    pk: `J#${jobId}`,
    sk: `${keys.occurrencePrefix(scope, itemId)}${o.runId}#${pad(o.start)}#${o.token}`,
  }),
  exceptionStatusPk: (jobId: string, status: string) => `J#${jobId}#${status}`,
};

type ScopeLike = { kind: 'inventory' } | { kind: 'sample'; runId: string };

/** Above every character of an ISO instant and of a zero-padded id: closes a range after its last key. */
const AFTER = '~';

/**
 * The sort key range of a window over records keyed `<prefix><iso time><tail>`: `tail` is what may follow the
 * instant in a key (`#<start>` for H#, nothing for C#), so the upper bound takes every key at `until`.
 * @example skRange('H#', { until: '2026-01-01T00:00:00.000Z' }, true) // ['H#', 'H#2026-01-01T00:00:00.000Z~']
 */
export function skRange(
  prefix: string,
  window: { readonly since?: string; readonly until?: string },
  tail: boolean,
): readonly [string, string] {
  const lo = `${prefix}${window.since ?? ''}`;
  const hi =
    window.until === undefined ? `${prefix}${AFTER}` : `${prefix}${window.until}${tail ? AFTER : ''}`;
  return [lo, hi];
}
