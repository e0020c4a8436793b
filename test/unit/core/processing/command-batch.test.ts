import { describe, expect, it } from 'vitest';
import { outputKeyOf } from '../../../../core/contracts/s3-keys.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import { DESCRIPTOR_ENV, WORK_DIR_ENV } from '../../../../core/processors/command-spec.ts';
import { quietWorker } from '../../../support/seed-data.ts';
import { ARN, batchOf, commandEnv, evenOdd, SECRET } from './command-env.ts';

const INVENTORY = { kind: 'inventory' } as const;
const KEY = outputKeyOf('j', INVENTORY, { start: 1, end: 10 });

const rowsOf = (body: Uint8Array | undefined) =>
  Buffer.from(body ?? new Uint8Array())
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l));

describe('processBatch with a command processor', () => {
  it('stages the items and the descriptor, runs the command, commits its outputs and exceptions, and cleans up', async () => {
    let seen: ReturnType<typeof batchOf> | undefined;
    const { deps, event, host } = await commandEnv((run) => {
      seen = batchOf(run);
      return evenOdd(run);
    });

    const out = await processBatch(deps, event(0), quietWorker('w1'));

    expect(out).toMatchObject({ outcome: 'SUCCEEDED', itemsSucceeded: 5, itemsExcepted: 5 });
    expect(rowsOf(await deps.objects.get(deps.buckets.work, KEY))).toEqual(
      [2, 4, 6, 8, 10].map((n) => ({ id: n, output: { half: n / 2 } })),
    );
    const open = await deps.exceptions.list('j', { status: 'OPEN' });
    expect(open.items.map((x) => [x.itemId, x.kind, x.details])).toEqual(
      [1, 3, 5, 7, 9].map((n) => [n, 'odd', { n }]),
    );
    const batch = await deps.batches.getBatch('j', INVENTORY, 1);
    expect(batch).toMatchObject({ status: 'SUCCEEDED', itemsSucceeded: 5, itemsExcepted: 5, outputKey: KEY });
    const d = seen?.descriptor;
    expect(d).toMatchObject({
      version: 1,
      jobId: 'j',
      runId: 'run-1',
      processor: { name: 'cmd', version: '1' },
      batch: { scope: 'inventory', start: 1, end: 10, items: 10 },
      config: { tag: 'a' },
      configHash: batch?.configHash,
      attempt: 1,
      token: batch?.token,
      secret: null,
    });
    expect([d?.inputs, d?.outputs, d?.exceptions]).toEqual(
      ['items.jsonl', 'outputs.jsonl', 'exceptions.jsonl'].map((f) => `${d?.workDir}/${f}`),
    );
    expect(seen?.items).toEqual(Array.from({ length: 10 }, (_, k) => ({ id: k + 1, item: { n: k + 1 } })));
    const [launch] = host.launches;
    expect(launch).toMatchObject({ argv: ['python3', 'main.py'], cwd: '/opt/processor' });
    expect(launch?.env).toEqual({
      MODE: 'test',
      [DESCRIPTOR_ENV]: `${d?.workDir}/batch.json`,
      [WORK_DIR_ENV]: d?.workDir,
    });
    expect(host.dirs.size).toBe(0);
    expect(host.files.size).toBe(0);
  });

  it('sets aside items that fail the item schema without staging them', async () => {
    let staged: number[] = [];
    const { deps, event } = await commandEnv(
      (run) => {
        staged = batchOf(run).items.map((i) => i.id);
        return evenOdd(run);
      },
      { maxN: 8 },
    );

    const out = await processBatch(deps, event(0), quietWorker('w1'));

    expect(staged).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(out).toMatchObject({ outcome: 'SUCCEEDED', itemsSucceeded: 4, itemsExcepted: 6 });
    const kinds = (await deps.exceptions.list('j', { status: 'OPEN' })).items.map((x) => [x.itemId, x.kind]);
    expect(kinds.slice(-2)).toEqual([
      [9, 'invalid-item'],
      [10, 'invalid-item'],
    ]);
  });

  it('writes the secret to a file of mode 0600 for a processor that asks, naming only its path', async () => {
    let secretFile: string | null | undefined;
    let descriptorText = '';
    const { deps, event, host } = await commandEnv(
      (run) => {
        const { descriptor } = batchOf(run);
        secretFile = descriptor.secret;
        descriptorText = run.read(run.launch.env[DESCRIPTOR_ENV] as string) ?? '';
        return evenOdd(run);
      },
      { secret: 'file', secretArn: ARN },
    );

    await processBatch(deps, event(0), quietWorker('w1'));

    expect(secretFile).toMatch(/\/secret$/);
    expect(host.staged[0]?.get(secretFile as string)).toEqual({ text: SECRET, mode: 0o600 });
    expect(descriptorText).not.toContain(SECRET);
    expect(JSON.stringify(host.launches)).not.toContain(SECRET);
    expect(host.files.size).toBe(0);
  });

  it('gives no secret to a processor that does not ask for it, even when the data set has one', async () => {
    let secretFile: string | null | undefined;
    const { deps, event, host } = await commandEnv(
      (run) => {
        secretFile = batchOf(run).descriptor.secret;
        return evenOdd(run);
      },
      { secretArn: ARN },
    );

    await processBatch(deps, event(0), quietWorker('w1'));

    expect(secretFile).toBeNull();
    expect([...(host.staged[0]?.values() ?? [])].some((f) => f.text.includes(SECRET))).toBe(false);
  });
});
