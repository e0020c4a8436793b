import { existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DeleteObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { findExecutable } from '../../../cli/local/engines/processes.ts';
import { sfnClientFor, waitForExecution } from '../local-engine/support.ts';
import { type CliEnv, type RunDoc, registryJob, runProcess, startCliEnv } from './harness.ts';

type Answer = { ok: boolean; detail: string } | null;
type Exception = { exceptionId: string; status: string; note?: string; itemId: number };

/** Debian's AWS CLI v2 when installed, else whichever `aws` is on PATH. */
const AWS = existsSync('/usr/bin/aws') ? '/usr/bin/aws' : findExecutable('aws');

describe('batchkeeper CLI on the local mode: failures, diagnosis and exceptions', () => {
  let env: CliEnv;
  let missing: { file: string; key: string };
  const job = 'normalise';

  beforeAll(async () => {
    env = await startCliEnv('failures');
    const folder = await registryJob(env, {
      jobId: job,
      processor: 'normalize-address',
      batchSize: 25,
      records: { start: 1, count: 200, perFile: 100, badRate: 0.1 },
    });
    // The second object disappears from S3 after registration: the preflight question "where" must fail.
    const file = folder.files[1] as string;
    missing = { file, key: `datasets/registry/${basename(file)}` };
    await env.mode.clients.s3.send(
      new DeleteObjectCommand({ Bucket: env.mode.state.buckets.data, Key: missing.key }),
    );
  });

  afterAll(async () => {
    await env?.stop();
  });

  it('fails the batches whose object is gone, and exits 1 naming BatchesFailedError', async () => {
    const { code, doc, stderr } = await env.json<RunDoc>('run', job, '--wait');
    expect(code).toBe(1);
    expect(doc).toMatchObject({
      status: 'FAILED',
      runStatus: 'PARTIAL',
      error: { name: 'BatchesFailedError' },
    });
    expect(doc.batches).toMatchObject({ planned: 8, succeeded: 4, failed: 4 });
    expect(stderr).toContain('"name":"BatchesFailedError"');
  });

  it('diagnoses a failed batch: ready yes, where NO, and the error of the last attempt', async () => {
    const { code, doc } = await env.json<{
      preflight: Record<string, Answer>;
      error: { name: string };
      batch: { status: string };
    }>('diagnose', job, '101');
    expect(code).toBe(0);
    expect(doc.batch.status).toBe('FAILED');
    expect(doc.preflight.ready?.ok).toBe(true);
    expect(doc.preflight.where).toMatchObject({
      ok: false,
      detail: expect.stringContaining('does not exist'),
    });
    expect(doc.preflight.valid).toBeNull();
    expect(doc.error.name).toBe('PreflightFailedError');
    const text = await env.cli('diagnose', job, '110');
    expect(text.stdout).toMatch(/where\s+NO\s+s3:\/\/.*does not exist/);
    expect(text.stdout).toMatch(/ready\s+yes/);
  });

  it('retries only the failed batches once the object is back', async () => {
    const body = readFileSync(missing.file);
    await env.mode.clients.s3.send(
      new PutObjectCommand({ Bucket: env.mode.state.buckets.data, Key: missing.key, Body: body }),
    );
    const { code, doc } = await env.json<RunDoc>('run', job, '--retry-failed', '--wait');
    expect(code).toBe(0);
    expect(doc.input.mode).toBe('retry-failed');
    expect(doc.batches).toEqual({ planned: 4, succeeded: 4, failed: 0, notDone: 0 });
    const failed = await env.json<{ batches: unknown[] }>('batches', job, '--status', 'FAILED');
    expect(failed.doc.batches).toEqual([]);
    const diagnosis = await env.json<{ preflight: Record<string, Answer>; error: unknown }>(
      'diagnose',
      job,
      '101',
    );
    expect(diagnosis.doc.preflight.where?.ok).toBe(true);
    expect(diagnosis.doc.preflight.valid?.ok).toBe(true);
    expect(diagnosis.doc.error).toBeNull();
  });

  it('lists, shows, resolves and requeues exceptions', async () => {
    const listed = await env.json<{ exceptions: Exception[] }>('exceptions', 'list', job);
    const open = listed.doc.exceptions;
    expect(open.length).toBeGreaterThan(2);
    expect(open.every((x) => x.status === 'OPEN')).toBe(true);
    const [first] = open as [Exception, ...Exception[]];
    const shown = await env.json<{ exception: Exception }>('exceptions', 'show', job, first.exceptionId);
    expect(shown.doc.exception.itemId).toBe(first.itemId);
    const resolved = await env.json<{ exception: Exception }>(
      'exceptions',
      'resolve',
      job,
      first.exceptionId,
      '--note',
      'dissolved company',
    );
    expect(resolved.doc.exception).toMatchObject({ status: 'RESOLVED', note: 'dissolved company' });
    const requeued = await env.json<{ requeued: number; datasetId: string }>('exceptions', 'requeue', job);
    expect(requeued.doc).toMatchObject({
      jobId: job,
      requeued: open.length - 1,
      reviewed: open.length - 1,
      alreadyReviewed: 0,
      datasetId: `${job}.exceptions`,
    });
    const after = await env.json<{ exceptions: Exception[] }>(
      'exceptions',
      'list',
      job,
      '--status',
      'REQUEUED',
    );
    expect(after.doc.exceptions).toHaveLength(open.length - 1);
    expect(
      (await env.json<{ exceptions: unknown[] }>('exceptions', 'list', job, '--status', 'OPEN')).doc
        .exceptions,
    ).toEqual([]);
    const dataset = await env.json<{ dataset: { highId: number; exceptionsOf: string } }>(
      'datasets',
      'show',
      `${job}.exceptions`,
    );
    expect(dataset.doc.dataset).toMatchObject({ highId: open.length - 1, exceptionsOf: job });
  });

  it('lets the AWS CLI start a backfill on the local endpoint and watch it succeed', async () => {
    // .ci/run installs Debian's awscli when it is missing: an absent CLI is a failure, not a skip.
    expect(AWS, 'the AWS CLI (apt-get install awscli)').toBeDefined();
    const { state } = env.mode;
    const awsEnv = {
      AWS_ACCESS_KEY_ID: state.credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: state.credentials.secretAccessKey,
      AWS_DEFAULT_REGION: state.region,
      AWS_PAGER: '',
    };
    const sfn = (...args: string[]) =>
      runProcess(
        AWS as string,
        ['stepfunctions', ...args, '--endpoint-url', state.endpoints.sfn, '--output', 'json'],
        awsEnv,
      );
    const input = JSON.stringify({ jobId: job, mode: 'backfill', idStart: 1, idEnd: 100 });
    const started = await sfn(
      'start-execution',
      '--state-machine-arn',
      state.stateMachineArn,
      '--input',
      input,
    );
    expect(started.code, started.stderr).toBe(0);
    const { executionArn } = JSON.parse(started.stdout) as { executionArn: string };
    // The execution's end, then what the AWS CLI describes of it.
    await waitForExecution(sfnClientFor(env.mode), executionArn);
    const out = await sfn('describe-execution', '--execution-arn', executionArn);
    expect(out.code, out.stderr).toBe(0);
    const described = JSON.parse(out.stdout) as { status: string; output?: string };
    expect(described.status).toBe('SUCCEEDED');
    expect(JSON.parse(described.output as string)).toMatchObject({
      jobId: job,
      status: 'SUCCEEDED',
      batchesSucceeded: 4,
      batchesFailed: 0,
    });
  });
});
