import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { LocalMap } from './asl-local.ts';
import { evaluate, stateError } from './interpreter.ts';
import type { Json } from './json.ts';
import type { ChildResult, MapRunIds, MapScope } from './map-types.ts';

/**
 * A Map's ResultWriter, as a Distributed Map writes it: `<Prefix>/<map run id>/` holds SUCCEEDED_0.json and
 * FAILED_0.json (one entry per child execution) and manifest.json naming them; the Map's result is then
 * `{ MapRunArn, ResultWriterDetails: { Bucket, Key } }` instead of the children's outputs.
 */
export async function writeMapResults(
  map: LocalMap,
  results: readonly ChildResult[],
  run: MapRunIds,
  input: Json,
  scope: MapScope,
): Promise<Json> {
  const writer = map.state.ResultWriter as { Parameters?: Json };
  const params = (await evaluate(writer.Parameters ?? {}, input, scope.context)) as {
    Bucket?: string;
    Prefix?: string;
  };
  const bucket = String(params.Bucket);
  const base = params.Prefix ? `${params.Prefix.replace(/\/$/, '')}/${run.id}` : run.id;
  const succeeded = results.filter((r) => r.outcome.status === 'SUCCEEDED').map((r) => entry(r, run));
  const failed = results.filter((r) => r.outcome.status === 'FAILED').map((r) => entry(r, run));
  const files = { SUCCEEDED: [] as Json[], FAILED: [] as Json[], PENDING: [] as Json[] };
  try {
    for (const [status, entries] of [
      ['SUCCEEDED', succeeded],
      ['FAILED', failed],
    ] as const) {
      if (entries.length === 0) continue;
      const key = `${base}/${status}_0.json`;
      const body = JSON.stringify(entries);
      await put(scope, bucket, key, body);
      files[status].push({ Key: key, Size: Buffer.byteLength(body) });
    }
    const manifest = { DestinationBucket: bucket, MapRunArn: run.arn, ResultFiles: files };
    await put(scope, bucket, `${base}/manifest.json`, JSON.stringify(manifest));
  } catch (error) {
    const { name, message } = error as Error;
    throw stateError(
      'States.ResultWriterFailed',
      `could not write the Map results to s3://${bucket}/${base}/: ${name}: ${message}`,
    );
  }
  return { MapRunArn: run.arn, ResultWriterDetails: { Bucket: bucket, Key: `${base}/manifest.json` } };
}

function entry(r: ChildResult, run: MapRunIds): Json {
  const base = {
    ExecutionArn: r.arn,
    Input: JSON.stringify(r.input),
    InputDetails: { Included: true },
    Name: r.name,
    StartDate: new Date(r.startDate).toISOString(),
    StateMachineArn: `${run.childPrefix}${run.id}`,
    StopDate: new Date(r.stopDate).toISOString(),
  };
  const o = r.outcome;
  if (o.status === 'SUCCEEDED') {
    return {
      ...base,
      Output: JSON.stringify(o.output),
      OutputDetails: { Included: true },
      Status: 'SUCCEEDED',
    };
  }
  return { ...base, Status: o.status, ...(o.status === 'FAILED' ? { Error: o.error, Cause: o.cause } : {}) };
}

async function put(scope: MapScope, bucket: string, key: string, body: string): Promise<void> {
  await scope.s3.send(
    new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json' }),
  );
}
