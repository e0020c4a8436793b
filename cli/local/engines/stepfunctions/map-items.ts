import { GetObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import type { LocalMap } from './asl-local.ts';
import { evaluate, stateError } from './interpreter.ts';
import type { Json } from './json.ts';
import type { MapScope, MapSettings } from './map-types.ts';

/**
 * What a Map iterates over and how: items from its ItemReader (an S3 object of JSON or JSON Lines, or an S3
 * listing) or its ItemsPath, and MaxConcurrency and the tolerated failures from their fields or paths.
 */

/** Concurrency when the Map sets none (0 means no limit on AWS): what one machine sensibly runs at once. */
const LOCAL_MAX_CONCURRENCY = 40;

/** MaxConcurrency and the tolerated failures, from the Map's fields or the paths that replace them. */
export async function readSettings(
  state: Record<string, unknown>,
  input: Json,
  scope: MapScope,
): Promise<MapSettings> {
  const concurrency = await numberField(state, 'MaxConcurrency', input, scope, { integer: true });
  const toleratedPercentage = await numberField(state, 'ToleratedFailurePercentage', input, scope, {
    max: 100,
  });
  const toleratedCount = await numberField(state, 'ToleratedFailureCount', input, scope, { integer: true });
  return { concurrency: concurrency || LOCAL_MAX_CONCURRENCY, toleratedPercentage, toleratedCount };
}

async function numberField(
  source: Record<string, unknown>,
  field: string,
  input: Json,
  scope: MapScope,
  rule: { integer?: boolean; max?: number },
): Promise<number | undefined> {
  const path = source[`${field}Path`];
  const value =
    typeof path === 'string'
      ? await evaluate({ 'value.$': path }, input, scope.context).then((v) => (v as { value: unknown }).value)
      : source[field];
  if (value === undefined) return undefined;
  const ok =
    typeof value === 'number' &&
    value >= 0 &&
    (!rule.integer || Number.isInteger(value)) &&
    (rule.max === undefined || value <= rule.max);
  if (!ok) {
    const expected = `${rule.integer ? 'an integer' : 'a number'} >= 0${rule.max === undefined ? '' : ` and <= ${rule.max}`}`;
    throw stateError(
      'States.Runtime',
      `${typeof path === 'string' ? `${field}Path ${path}` : field} is ${JSON.stringify(value)}, expected ${expected}`,
      { final: true },
    );
  }
  return value;
}

export async function readItems(map: LocalMap, input: Json, scope: MapScope): Promise<Json[]> {
  const reader = map.state.ItemReader as
    | { Resource: string; ReaderConfig?: Record<string, unknown>; Parameters?: Json }
    | undefined;
  if (reader === undefined) {
    const items = await evaluate({ 'items.$': String(map.state.ItemsPath ?? '$') }, input, scope.context);
    const value = (items as { items: unknown }).items;
    if (!Array.isArray(value))
      throw stateError('States.Runtime', `the Map's ItemsPath does not point to an array`, { final: true });
    return value;
  }
  const params = (await evaluate(reader.Parameters ?? {}, input, scope.context)) as {
    Bucket?: string;
    Key?: string;
    Prefix?: string;
  };
  let items: unknown;
  try {
    items = reader.Resource.endsWith(':getObject')
      ? await readObject(scope.s3, params, reader.ReaderConfig?.InputType === 'JSONL')
      : await listObjects(scope.s3, params);
  } catch (error) {
    const { name, message } = error as Error;
    throw stateError(
      'States.ItemReaderFailed',
      `could not read items from s3://${params.Bucket}/${params.Key ?? params.Prefix ?? ''}: ${name}: ${message}`,
    );
  }
  if (!Array.isArray(items))
    throw stateError(
      'States.ItemReaderFailed',
      `s3://${params.Bucket}/${params.Key} does not hold a JSON array`,
    );
  const max = await numberField(reader.ReaderConfig ?? {}, 'MaxItems', input, scope, { integer: true });
  return max ? items.slice(0, max) : items;
}

async function readObject(
  s3: S3Client,
  params: { Bucket?: string; Key?: string },
  lines: boolean,
): Promise<unknown> {
  const out = await s3.send(new GetObjectCommand({ Bucket: params.Bucket, Key: params.Key }));
  const text = (await out.Body?.transformToString('utf8')) ?? '';
  if (!lines) return JSON.parse(text);
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as unknown);
}

async function listObjects(s3: S3Client, params: { Bucket?: string; Prefix?: string }): Promise<Json[]> {
  const items: Json[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: params.Bucket, Prefix: params.Prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) {
      items.push({
        Etag: o.ETag ?? '',
        Key: o.Key ?? '',
        LastModified: o.LastModified?.toISOString() ?? '',
        Size: o.Size ?? 0,
        StorageClass: o.StorageClass ?? 'STANDARD',
      });
    }
    token = page.NextContinuationToken;
  } while (token);
  return items;
}
