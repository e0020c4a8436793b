import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deleteDataset } from '../../../core/catalog/delete-dataset.ts';
import { InjectedFaultError } from '../../../core/errors.ts';
import { FaultSwitch } from '../../support/fakes/fault-switch.ts';
import {
  type CliEnv,
  type CliResult,
  type RunDoc,
  recordsFolder,
  registryJob,
  startCliEnv,
} from './harness.ts';

type Batch = { start: number; end: number; status: string; stale: boolean; completedRunId?: string };
type Dataset = { datasetId: string; highId: number; state?: string; lastAcceptedAt?: string };

/**
 * The data-set lifecycle through the CLI on the local mode: delete (refused while a job reads the data set,
 * forced, finished after a crash), a changed object and duplicate content reported at registration, and a
 * corrected object accepted, after which the batches done over it are stale until a backfill redoes them.
 */
describe('batchkeeper CLI on the local mode: the data-set lifecycle', () => {
  let env: CliEnv;
  let files: string[] = [];
  const job = 'addresses';
  const dataKey = (datasetId: string, file: string) => `datasets/${datasetId}/${basename(file)}`;
  const location = (file: string) => `s3://${env.mode.state.buckets.data}/${dataKey('registry', file)}`;

  beforeAll(async () => {
    env = await startCliEnv('datasets-lifecycle');
    const folder = await registryJob(env, {
      jobId: job,
      processor: 'noop',
      batchSize: 10,
      records: { start: 1, count: 40, perFile: 20 },
    });
    files = folder.files;
    const ran = await env.json<RunDoc>('run', job, '--wait');
    expect(ran.doc.batches).toMatchObject({ planned: 4, succeeded: 4 });
  });

  afterAll(async () => {
    await env?.stop();
  });

  /** The one JSON error document of stderr, with stdout empty and no stack trace anywhere. */
  function jsonError(r: CliResult): { name: string; message: string } {
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    return (JSON.parse(lines[0] as string) as { error: { name: string; message: string } }).error;
  }

  const shown = async (datasetId: string) =>
    (await env.json<{ dataset: Dataset }>('datasets', 'show', datasetId)).doc.dataset;

  const objectsUnder = async (datasetId: string) =>
    (
      await env.mode.clients.s3.send(
        new ListObjectsV2Command({ Bucket: env.mode.state.buckets.data, Prefix: `datasets/${datasetId}/` }),
      )
    ).KeyCount ?? 0;

  const staleBatches = async () =>
    (await env.json<{ batches: Batch[] }>('batches', job, '--stale')).doc.batches.map((b) => [
      b.start,
      b.end,
    ]);

  it('refuses to delete a data set a job reads, naming the job, and changes nothing', async () => {
    const before = await shown('registry');

    const error = jsonError(await env.cli('datasets', 'delete', 'registry', '--json'));

    expect(error.name).toBe('DatasetInUseError');
    expect(error.message).toContain('used by job(s) addresses');
    expect(await shown('registry')).toEqual(before);
  });

  it('refuses to delete a data set that does not exist', async () => {
    expect(jsonError(await env.cli('datasets', 'delete', 'no-such-set', '--json')).name).toBe(
      'DatasetNotFoundError',
    );
  });

  it('reports a changed object at a registered location, with a warning line, and registers it no more', async () => {
    const first = files[0] as string;
    const corrected = readFileSync(first, 'utf8').replaceAll('":', '" :');
    await env.mode.deps.objects.put(env.mode.state.buckets.data, dataKey('registry', first), corrected);
    const prefix = `s3://${env.mode.state.buckets.data}/datasets/registry/`;

    const text = await env.cli('datasets', 'register', 'registry', prefix);
    const json = await env.json<{ registered: number; changed: { location: string; ids: unknown }[] }>(
      'datasets',
      'register',
      'registry',
      prefix,
    );

    expect(text.code).toBe(0);
    expect(text.stdout).toContain('warning: 1 registered location(s) changed');
    expect(text.stdout).toContain(`warning: changed ${location(first)} (ids 1..20): registered `);
    expect(text.stdout).toContain(`datasets accept registry <location>`);
    expect(json.code).toBe(0);
    expect(json.doc.registered).toBe(0);
    expect(json.doc.changed).toEqual([
      expect.objectContaining({ location: location(first), ids: { start: 1, end: 20 } }),
    ]);
    expect((await shown('registry')).highId).toBe(40);
  });

  it('fails the batches over the changed object until it is accepted', async () => {
    const ran = await env.json<RunDoc>('run', job, '--from', '1', '--to', '10', '--wait');
    expect(ran.doc.batches).toMatchObject({ planned: 1, failed: 1 });
  });

  it('refuses to accept a location that is not registered, writing nothing', async () => {
    const r = await env.cli('datasets', 'accept', 'registry', location('nope.jsonl'), '--json');
    expect(jsonError(r).message).toBe(
      'invalid datasets accept: location: must be a location registered in data set registry',
    );
    expect((await shown('registry')).lastAcceptedAt).toBeUndefined();
  });

  it('accepts the corrected object; the batches done over it before are stale until a backfill redoes them', async () => {
    const first = files[0] as string;

    const accepted = await env.json<{ accepted: boolean; stale: unknown[] }>(
      'datasets',
      'accept',
      'registry',
      location(first),
    );

    expect(accepted.code).toBe(0);
    // 1-10 failed its preflight (open: any run takes it again); 11-20 succeeded over the old object.
    expect(accepted.doc).toMatchObject({
      accepted: true,
      stale: [{ jobId: job, batches: 1, backfills: [{ start: 11, end: 20 }] }],
    });
    expect(await staleBatches()).toEqual([[11, 20]]);
    const listed = await env.cli('batches', job, '--stale');
    expect(listed.stdout).toContain(`stale: redo with  batchkeeper run ${job} --from 11 --to 20`);
    const redo = await env.json<RunDoc>('run', job, '--from', '1', '--to', '20', '--wait');
    expect(redo.doc.batches).toMatchObject({ planned: 2, succeeded: 2, failed: 0 });
    expect(await staleBatches()).toEqual([]);
    const all = await env.json<{ batches: Batch[] }>('batches', job);
    expect(all.doc.batches.map((b) => [b.start, b.status, b.completedRunId === redo.doc.runId])).toEqual([
      [1, 'SUCCEEDED', true],
      [11, 'SUCCEEDED', true],
      [21, 'SUCCEEDED', false],
      [31, 'SUCCEEDED', false],
    ]);
  });

  it('reports the same content registered from a second location, and registers it all the same', async () => {
    const dir = join(env.dataDir, 'copy');
    mkdirSync(dir);
    copyFileSync(files[1] as string, join(dir, 'copy-of-second.jsonl'));

    const r = await env.json<{ registered: number; duplicates: { location: string; sameAs: string }[] }>(
      'datasets',
      'register',
      'registry',
      dir,
    );

    expect(r.code).toBe(0);
    expect(r.doc.registered).toBe(1);
    expect(r.doc.duplicates).toEqual([
      {
        location: `s3://${env.mode.state.buckets.data}/datasets/registry/copy-of-second.jsonl`,
        sameAs: location(files[1] as string),
      },
    ]);
    const again = join(env.dataDir, 'copy-2');
    mkdirSync(again);
    copyFileSync(files[1] as string, join(again, 'another-copy.jsonl'));
    const text = await env.cli('datasets', 'register', 'registry', again);
    expect(text.stdout).toContain('warning: 1 object(s) hold content the data set already has');
    expect(text.stdout).toContain('registered all the same');
  });

  it('reports a changed local file of a folder registered before, and uploads it no more', async () => {
    const second = files[1] as string;
    const before = await env.mode.deps.objects.get(env.mode.state.buckets.data, dataKey('registry', second));
    writeFileSync(second, readFileSync(second, 'utf8').replaceAll('":', '" :'));

    const r = await env.cli('datasets', 'register', 'registry', join(env.dataDir, 'load'));

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('not registered again nor uploaded');
    expect(r.stdout).toContain(`warning: changed ${location(second)} (ids 21..40)`);
    expect(r.stdout).toContain(`datasets accept registry <location> --file <file>`);
    const after = await env.mode.deps.objects.get(env.mode.state.buckets.data, dataKey('registry', second));
    expect(Buffer.from(after ?? []).equals(Buffer.from(before ?? []))).toBe(true);
    const accepted = await env.json<{ accepted: boolean; uploaded: boolean }>(
      'datasets',
      'accept',
      'registry',
      location(second),
      '--file',
      second,
    );
    expect(accepted.doc).toMatchObject({ accepted: true, uploaded: true });
    expect(await staleBatches()).toEqual([
      [21, 30],
      [31, 40],
    ]);
  });

  it('finishes a delete that crashed half way when run again; meanwhile the data set is refused', async () => {
    const folder = await recordsFolder(env, 'scratch', { start: 1, count: 60, perFile: 1 });
    expect((await env.cli('datasets', 'register', 'scratch', folder.dir)).code).toBe(0);
    const faults = new FaultSwitch();
    faults.crashAt('datasetDelete.page');

    const crashed = deleteDataset({ ...env.mode.deps, faults: faults.hook }, 'scratch');

    await expect(crashed).rejects.toBeInstanceOf(InjectedFaultError);
    expect(await shown('scratch')).toMatchObject({ state: 'DELETING' });
    const more = join(env.dataDir, 'more');
    mkdirSync(more);
    writeFileSync(join(more, 'late.jsonl'), '{"late":true}\n');
    expect(jsonError(await env.cli('datasets', 'register', 'scratch', more, '--json')).name).toBe(
      'DatasetDeletingError',
    );
    const jobOver = await env.cli(
      'jobs',
      'create',
      'late',
      '--dataset',
      'scratch',
      '--processor',
      'noop',
      '--json',
    );
    expect(jsonError(jobOver).message).toContain('run datasets delete scratch again to finish it');
    const finished = await env.json<{ resumed: boolean }>('datasets', 'delete', 'scratch');
    expect(finished.code).toBe(0);
    expect(finished.doc.resumed).toBe(true);
    expect(jsonError(await env.cli('datasets', 'show', 'scratch', '--json')).name).toBe(
      'DatasetNotFoundError',
    );
    expect(await objectsUnder('scratch')).toBe(60);
  });

  it('deletes a data set a job reads with --force, leaving its objects in S3', async () => {
    const r = await env.cli('datasets', 'delete', 'registry', '--force');

    expect(r.code).toBe(0);
    expect(r.stdout).toContain('deleted data set registry');
    expect(r.stdout).toContain('warning: job(s) addresses read this data set');
    const listed = await env.json<{ datasets: Dataset[] }>('datasets', 'list');
    expect(listed.doc.datasets.map((d) => d.datasetId)).not.toContain('registry');
    expect(await objectsUnder('registry')).toBe(4);
  });
});
