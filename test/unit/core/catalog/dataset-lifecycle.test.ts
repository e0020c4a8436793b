import { describe, expect, it } from 'vitest';
import { acceptObject } from '../../../../core/catalog/accept-object.ts';
import { deleteDataset } from '../../../../core/catalog/delete-dataset.ts';
import { registerPrefix } from '../../../../core/catalog/register-objects.ts';
import { sourceFor } from '../../../../core/catalog/sources.ts';
import { sha256 } from '../../../../core/checksum.ts';
import {
  DatasetDeletingError,
  DatasetInUseError,
  DatasetNotFoundError,
  InjectedFaultError,
  ValidationError,
} from '../../../../core/errors.ts';
import type { ManifestItem } from '../../../../core/events.ts';
import { createJob } from '../../../../core/jobs/jobs.ts';
import { listBatches } from '../../../../core/jobs/stats.ts';
import { planRun } from '../../../../core/planning/plan-run.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { type FakeDeps, fakeDeps } from '../../../support/fakes/fake-deps.ts';
import { FaultSwitch } from '../../../support/fakes/fault-switch.ts';
import { manifestOf } from '../../../support/inventory-checks.ts';
import { collect, quietWorker } from '../../../support/seed-data.ts';

const lines = (from: number, n: number, tag = '') =>
  Array.from({ length: n }, (_, k) => `{"n":${from + k}${tag}}\n`).join('');
const key = (name: string) => `datasets/ds/${name}`;
const loc = (name: string) => `s3://data/${key(name)}`;

/** Data set `ds` registered from the data bucket: a.jsonl (ids 1-10) and b.jsonl (ids 11-20). */
async function registered(faults?: FaultSwitch): Promise<FakeDeps> {
  const deps = fakeDeps({ faults: faults?.hook });
  await deps.objects.put('data', key('a.jsonl'), lines(1, 10));
  await deps.objects.put('data', key('b.jsonl'), lines(11, 10));
  await deps.catalog.createDataset({ datasetId: 'ds' }, '2026-01-01T00:00:00.000Z');
  await registerPrefix(deps, 'data', 'datasets/ds/', 'ds');
  return deps;
}

const jobOver = (deps: FakeDeps, jobId = 'j') =>
  createJob(deps, {
    jobId,
    datasetId: 'ds',
    processor: { name: 'noop' },
    batching: { by: 'count', size: 5 },
  });

/** One run of job `j` of the given mode, every batch of its manifest processed. */
async function runAll(deps: FakeDeps, runId: string, input: Record<string, unknown> = {}) {
  const plan = await planRun(deps, { jobId: 'j', mode: 'incremental', ...input }, runId);
  const manifest = await manifestOf(deps, plan.manifestKey);
  for (const item of manifest) {
    const mode = (input.mode as 'incremental' | 'backfill' | undefined) ?? 'incremental';
    await processBatch(deps, { jobId: 'j', runId, mode, batch: item as ManifestItem }, quietWorker('w'));
  }
  deps.clock.advance(1000);
}

describe('deleteDataset', () => {
  it('refuses while a job reads the data set, naming the jobs, and changes nothing', async () => {
    const deps = await registered();
    await jobOver(deps, 'j');
    await jobOver(deps, 'k');

    const error = await deleteDataset(deps, 'ds').catch((e: unknown) => e);

    expect(error).toBeInstanceOf(DatasetInUseError);
    expect((error as DatasetInUseError).context).toMatchObject({ datasetId: 'ds', jobIds: ['j', 'k'] });
    expect(await deps.catalog.getDataset('ds')).toMatchObject({ highId: 20 });
    expect((await deps.catalog.getDataset('ds'))?.state).toBeUndefined();
  });

  it('deletes with force, leaving the objects in S3, and refuses an unknown data set', async () => {
    const deps = await registered();
    await jobOver(deps);

    const report = await deleteDataset(deps, 'ds', { force: true });

    expect(report).toEqual({ datasetId: 'ds', records: 4, forcedPast: ['j'], resumed: false });
    expect(await deps.catalog.getDataset('ds')).toBeUndefined();
    expect((await deps.catalog.listDatasets()).items).toEqual([]);
    expect(await deps.objects.get('data', key('a.jsonl'))).toBeDefined();
    await expect(deleteDataset(deps, 'ds')).rejects.toBeInstanceOf(DatasetNotFoundError);
    await expect(deleteDataset(deps, 'no spaces')).rejects.toMatchObject({ field: 'datasetId' });
  });

  it('finishes a delete that crashed half way when run again; meanwhile nothing reads or registers into it', async () => {
    const faults = new FaultSwitch();
    const deps = await registered(faults);
    faults.crashAt('datasetDelete.page');

    await expect(deleteDataset(deps, 'ds')).rejects.toBeInstanceOf(InjectedFaultError);

    expect(await deps.catalog.getDataset('ds')).toMatchObject({ state: 'DELETING' });
    await expect(sourceFor(deps, 'ds')).rejects.toBeInstanceOf(DatasetDeletingError);
    await expect(jobOver(deps)).rejects.toBeInstanceOf(DatasetDeletingError);
    await deps.objects.put('data', key('c.jsonl'), lines(21, 3));
    await expect(registerPrefix(deps, 'data', 'datasets/ds/', 'ds')).rejects.toBeInstanceOf(
      DatasetDeletingError,
    );
    const again = await deleteDataset(deps, 'ds');
    expect(again).toMatchObject({ datasetId: 'ds', resumed: true, forcedPast: [] });
    expect(await deps.catalog.getDataset('ds')).toBeUndefined();
    expect(await deps.catalog.findLocation('ds', loc('a.jsonl'))).toBeUndefined();
  });
});

describe('registration of locations already registered, and of content already registered', () => {
  it('reports a changed object at a registered location, and registers it no more', async () => {
    const deps = await registered();
    await deps.objects.put('data', key('a.jsonl'), lines(1, 10, ',"fixed":true'));

    const report = await registerPrefix(deps, 'data', 'datasets/ds/', 'ds');

    expect(report.registered).toBe(0);
    expect(report.changed).toEqual([
      {
        location: loc('a.jsonl'),
        ids: { start: 1, end: 10 },
        registered: { size: lines(1, 10).length, checksum: sha256(Buffer.from(lines(1, 10))) },
        found: {
          size: lines(1, 10, ',"fixed":true').length,
          checksum: sha256(Buffer.from(lines(1, 10, ',"fixed":true'))),
        },
      },
    ]);
    expect(report.skipped).toEqual([{ key: loc('b.jsonl'), reason: 'already registered' }]);
  });

  it('reports content registered again from a second location, and registers it, when asked', async () => {
    const deps = await registered();
    await deps.objects.put('data', key('copy-of-a.jsonl'), lines(1, 10));
    const { entriesOf, registerPlanned, objectsUnder } = await import(
      '../../../../core/catalog/register-objects.ts'
    );
    const planned = await entriesOf(deps, await objectsUnder(deps, 'data', 'datasets/ds/'), 'ds');

    const report = await registerPlanned(deps, planned, { duplicates: true });

    expect(report).toMatchObject({ registered: 1, items: 10, changed: [] });
    expect(report.duplicates).toEqual([{ location: loc('copy-of-a.jsonl'), sameAs: loc('a.jsonl') }]);
    expect((await deps.catalog.getDataset('ds'))?.highId).toBe(30);
  });
});

describe('acceptObject', () => {
  it('records the corrected object; batches over it done before are stale until a backfill redoes them', async () => {
    const deps = await registered();
    await jobOver(deps);
    await runAll(deps, 'run-1');
    await deps.objects.put('data', key('b.jsonl'), lines(11, 10, ',"fixed":true'));

    const report = await acceptObject(deps, { datasetId: 'ds', location: loc('b.jsonl') });

    expect(report).toMatchObject({
      accepted: true,
      ids: { start: 11, end: 20 },
      stale: [{ jobId: 'j', batches: 2, backfills: [{ start: 11, end: 20 }] }],
    });
    const stale = await collect(listBatches(deps, 'j', { stale: true }));
    expect(stale.map((b) => [b.start, b.end])).toEqual([
      [11, 15],
      [16, 20],
    ]);
    await runAll(deps, 'run-2', { mode: 'backfill', idStart: 11, idEnd: 20 });
    expect(await collect(listBatches(deps, 'j', { stale: true }))).toEqual([]);
    const done = await collect(listBatches(deps, 'j', { status: 'SUCCEEDED' }));
    expect(done.map((b) => b.completedRunId)).toEqual(['run-1', 'run-1', 'run-2', 'run-2']);
  });

  it('accepts nothing when the object holds what its entry records', async () => {
    const deps = await registered();

    const report = await acceptObject(deps, { datasetId: 'ds', location: loc('a.jsonl') });

    expect(report).toMatchObject({ accepted: false, stale: [] });
    expect((await deps.catalog.getDataset('ds'))?.lastAcceptedAt).toBeUndefined();
  });

  it('refuses each bad input naming the field and the rule, writing nothing', async () => {
    const deps = await registered();
    const accept = (location: string, body?: string) =>
      acceptObject(
        deps,
        { datasetId: 'ds', location },
        body === undefined ? undefined : Buffer.from(body),
      ).catch((e: unknown) => e);
    const cases: [Promise<unknown>, string, RegExp][] = [
      [accept('not-a-location'), 'location', /must be s3:\/\/bucket\/key/],
      [accept(loc('nope.jsonl')), 'location', /must be a location registered in data set ds/],
      [accept(loc('a.jsonl'), lines(1, 9)), 'location', /must hold 10 lines, as registered \(holds 9\)/],
      [accept(loc('a.jsonl'), `${lines(1, 9)}[1]\n`), `${loc('a.jsonl')}:10`, /must be a JSON object/],
    ];
    for (const [pending, field, rule] of cases) {
      const error = await pending;
      expect(error, field).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations).toEqual([{ field, rule: expect.stringMatching(rule) }]);
    }
    await deps.objects.delete('data', key('b.jsonl'));
    expect(await accept(loc('b.jsonl'))).toMatchObject({ field: 'location' });
    await expect(acceptObject(deps, { datasetId: 'nope', location: loc('a.jsonl') })).rejects.toBeInstanceOf(
      DatasetNotFoundError,
    );
    expect(Buffer.from((await deps.objects.get('data', key('a.jsonl'))) ?? []).toString()).toBe(lines(1, 10));
    expect((await deps.catalog.getDataset('ds'))?.lastAcceptedAt).toBeUndefined();
  });

  it('uploads a corrected file first, only to a location of the data bucket', async () => {
    const deps = await registered();
    const fixed = lines(1, 10, ',"v":2');

    const report = await acceptObject(
      deps,
      { datasetId: 'ds', location: loc('a.jsonl') },
      Buffer.from(fixed),
    );

    expect(report).toMatchObject({ accepted: true, uploaded: true, current: { size: fixed.length } });
    expect(Buffer.from((await deps.objects.get('data', key('a.jsonl'))) ?? []).toString()).toBe(fixed);
    const entry = (await collect(deps.catalog.entries('ds', 1, 1)))[0];
    expect(entry).toMatchObject({ checksum: sha256(Buffer.from(fixed)), acceptedAt: expect.any(String) });
  });
});
