import type { BatchScope } from '../model.ts';
import { pad } from './tables.ts';

/**
 * The S3 key layout, shared by the core (which writes and reads the objects), the CLI and the local mode, and
 * the CDK app (which scopes grants, lifecycle rules and the registration rule by the same prefixes). Ids are
 * zero-padded (`pad`), so keys list in id order.
 *
 * data bucket  datasets/<datasetId>/<name>                         an object of a data set, registered on arrival
 * work bucket  manifests/<jobId>/<runId>.json                      a run's manifest (the Map's ItemReader)
 *              outputs/<jobId>/<start>-<end>.jsonl                 a batch's output
 *              samples/<jobId>/<runId>/<start>-<end>.jsonl         a batch's output in a sample run
 *              staging/<jobId>/<scope>/<start>.<token>.jsonl       exceptions staged before their commit
 *              map-results/<Map Run id>/…                          the Map's ResultWriter (Step Functions names it)
 */

/** Key prefixes of the work bucket: the grants and the lifecycle rules are scoped by them. */
export const WORK_PREFIXES = {
  manifests: 'manifests/',
  outputs: 'outputs/',
  /** Outputs of sample runs, apart from the inventory's. */
  samples: 'samples/',
  mapResults: 'map-results/',
  /** Exceptions of a batch beyond what its commit carries, staged until the commit is in. */
  staging: 'staging/',
} as const;

/** Key prefix of the data bucket under which new objects are registered (`datasets/<datasetId>/...`). */
export const DATASETS_PREFIX = 'datasets/';

/**
 * The Map's ResultWriter prefix, `${MapResultsPrefix}` of statemachines/run-job.asl.json: Step Functions adds
 * `/<Map Run id>/` itself.
 */
export const MAP_RESULTS_WRITER_PREFIX = WORK_PREFIXES.mapResults.replace(/\/$/, '');

/** Where a data set's objects land in the data bucket. */
export const datasetPrefixOf = (datasetId: string): string => `${DATASETS_PREFIX}${datasetId}/`;

/** The key of a data set's object named `name`. */
export const datasetKeyOf = (datasetId: string, name: string): string =>
  `${datasetPrefixOf(datasetId)}${name}`;

const DATASET_KEY = new RegExp(`^${DATASETS_PREFIX}([^/]+)/.+`);

/** The data set segment of a key under `datasets/<datasetId>/`, unvalidated; undefined for any other key. */
export const datasetIdOfKey = (key: string): string | undefined => DATASET_KEY.exec(key)?.[1];

/** An object's location as the catalog records it: `s3://bucket/key`. */
export const locationOf = (bucket: string, key: string): string => `s3://${bucket}/${key}`;

/** `s3://bucket/key` into its parts. */
export function parseLocation(location: string): { bucket: string; key: string } | undefined {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(location);
  return m ? { bucket: m[1] as string, key: m[2] as string } : undefined;
}

/** A run's manifest: one per run, read by the Map's ItemReader. */
export const manifestKeyOf = (jobId: string, runId: string): string =>
  `${WORK_PREFIXES.manifests}${jobId}/${runId}.json`;

/** Where the outputs of a job's batches go: the inventory's, or a sample run's own. */
export const outputPrefixOf = (jobId: string, scope: BatchScope): string =>
  scope.kind === 'inventory'
    ? `${WORK_PREFIXES.outputs}${jobId}/`
    : `${WORK_PREFIXES.samples}${jobId}/${scope.runId}/`;

/**
 * Where a batch's output goes: derived from the job and the range alone, so a retry overwrites it. Samples keep
 * theirs apart, per run.
 */
export const outputKeyOf = (jobId: string, scope: BatchScope, b: { start: number; end: number }) =>
  `${outputPrefixOf(jobId, scope)}${pad(b.start)}-${pad(b.end)}.jsonl`;

/** The object an attempt stages its exceptions in before its commit (one per attempt: the token is in it). */
export function stagedKeyOf(jobId: string, scope: BatchScope, start: number, token: number): string {
  const scopePart = scope.kind === 'inventory' ? 'inventory' : `sample-${scope.runId}`;
  return `${WORK_PREFIXES.staging}${jobId}/${scopePart}/${pad(start)}.${token}.jsonl`;
}

/** Prefixes of the work bucket that hold a job's data: deleting the job empties each. */
export const jobPrefixes = (jobId: string): string[] => [
  `${WORK_PREFIXES.outputs}${jobId}/`,
  `${WORK_PREFIXES.samples}${jobId}/`,
  `${WORK_PREFIXES.manifests}${jobId}/`,
  `${WORK_PREFIXES.staging}${jobId}/`,
];

/** An output object's body: one JSON line per item, or nothing. */
export const jsonLines = (lines: readonly string[]): string =>
  lines.length > 0 ? `${lines.join('\n')}\n` : '';

/** The non-empty lines of a JSON Lines object. */
export const linesOf = (body: Uint8Array): string[] =>
  new TextDecoder().decode(body).split('\n').filter(Boolean);

/** The item id of an output line (`{"id":…,"output":…}`). */
export function idOfLine(line: string): number {
  return (JSON.parse(line) as { id: number }).id;
}
