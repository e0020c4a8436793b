import { afterAll, describe, expect, it } from 'vitest';
import { handler } from '../../../functions/register-objects.ts';
import { useDeps } from '../../../functions/support/runtime.ts';
import { collect, coreEnv } from '../../support/core-env.ts';

const context = {
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 30_000,
  functionName: 'register-objects',
};

describe('the register-objects handler', () => {
  afterAll(() => useDeps(undefined));

  it('registers objects landing under datasets/<id>/ from EventBridge and S3 notification events, once each', async () => {
    const { deps, env } = await coreEnv('fn-register');
    useDeps(deps);
    await deps.catalog.createDataset({ datasetId: 'registry' }, 'x');
    await deps.objects.put(env.dataBucket, 'datasets/registry/part 1.jsonl', '{"a":1}\n{"a":2}\n{"a":3}\n');
    await deps.objects.put(env.dataBucket, 'datasets/registry/scan.pdf', 'PDF');
    const bridge = {
      detail: {
        bucket: { name: env.dataBucket },
        object: { key: 'datasets/registry/part 1.jsonl', size: 24 },
      },
    };
    const notification = {
      Records: [
        { s3: { bucket: { name: env.dataBucket }, object: { key: 'datasets/registry/scan.pdf', size: 3 } } },
      ],
    };

    expect(await handler(bridge, context as never)).toMatchObject({ registered: 1, items: 3 });
    expect(await handler(notification, context as never)).toMatchObject({ registered: 1, items: 1 });
    // The same event delivered again registers nothing.
    expect(await handler(bridge, context as never)).toMatchObject({ registered: 0, items: 0 });

    const entries = await collect(deps.catalog.entries('registry', 1, 10));
    expect(entries.map((e) => [e.start, e.count, e.format])).toEqual([
      [1, 3, 'jsonl'],
      [4, 1, 'object'],
    ]);
    expect(entries[0]?.checksum).toMatch(/^sha256:[0-9a-f]{64}$/);
  });

  it('refuses a malformed event with a ValidationError before anything is written', async () => {
    const { deps } = await coreEnv('fn-register-bad');
    useDeps(deps);
    await expect(handler({ Records: [{ s3: {} }] }, context as never)).rejects.toMatchObject({
      name: 'ValidationError',
    });
  });

  it('passes by an object with bad lines, naming its first one, and registers the others', async () => {
    const { deps, env } = await coreEnv('fn-register-lines');
    useDeps(deps);
    await deps.catalog.createDataset({ datasetId: 'registry' }, 'x');
    await deps.objects.put(env.dataBucket, 'datasets/registry/bad.jsonl', '{"a":1}\n[1,2]\n');
    await deps.objects.put(env.dataBucket, 'datasets/registry/good.jsonl', '{"a":1}\n');
    const event = (key: string) => ({
      detail: { bucket: { name: env.dataBucket }, object: { key, size: 1 } },
    });

    expect(await handler(event('datasets/registry/bad.jsonl'), context as never)).toMatchObject({
      registered: 0,
      items: 0,
      skipped: [
        {
          key: 'datasets/registry/bad.jsonl',
          reason: 'bad lines, first datasets/registry/bad.jsonl:2: must be a JSON object (is an array)',
        },
      ],
    });
    expect(await handler(event('datasets/registry/good.jsonl'), context as never)).toMatchObject({
      registered: 1,
      items: 1,
    });
    expect((await deps.catalog.getDataset('registry'))?.highId).toBe(1);
  });
});
