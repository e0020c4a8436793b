import { describe, expect, it } from 'vitest';
import { outputKeyOf } from '../../../../core/contracts/s3-keys.ts';
import {
  CommandFailedError,
  CommandOutputError,
  LeaseLostError,
  RetryableError,
} from '../../../../core/errors.ts';
import { STDERR_TAIL_BYTES } from '../../../../core/processing/command-batch.ts';
import { processBatch } from '../../../../core/processing/process-batch.ts';
import type { FakeCommandEnd } from '../../../support/fakes/fake-command-host.ts';
import { Gate } from '../../../support/gate.ts';
import { collect, quietWorker, takeBatch } from '../../../support/seed-data.ts';
import { ARN, batchOf, commandEnv, evenOdd, SECRET } from './command-env.ts';

const INVENTORY = { kind: 'inventory' } as const;
const KEY = outputKeyOf('j', INVENTORY, { start: 1, end: 10 });

/** The error a batch failed with; a batch that succeeded fails the test. */
const failureOf = (p: Promise<unknown>): Promise<Error> =>
  p.then(
    (out) => {
      throw new Error(`expected a failure, got ${JSON.stringify(out)}`);
    },
    (e: unknown) => e as Error,
  );

/** Run batch 1..10 with a command that ends as told; returns the error and what the attempt recorded. */
async function failWith(end: FakeCommandEnd, o: { secretArn?: string } = {}) {
  const { deps, event, host } = await commandEnv(() => end, { secret: 'file', ...o });
  const error = await failureOf(processBatch(deps, event(0), quietWorker('w1')));
  const [attempt] = await collect(deps.attempts.list('j', INVENTORY, 1));
  return { error, attempt, deps, host };
}

describe('processBatch with a command processor: exit codes', () => {
  it('maps exit code 2 to RetryableError and gives the lease back for a retry, keeping the stderr tail', async () => {
    const { error, attempt, host } = await failWith({ exitCode: 2, stderr: 'upstream throttled\n' });

    expect(error).toBeInstanceOf(RetryableError);
    expect(attempt).toMatchObject({ outcome: 'RETRY', error: { name: 'RetryableError' } });
    expect(attempt?.error?.message).toContain('exit code 2');
    expect(attempt?.error?.message).toContain('upstream throttled');
    expect(host.dirs.size).toBe(0);
  });

  it('fails the attempt on any other exit code, with the tail of stderr', async () => {
    const { error, attempt, deps, host } = await failWith({ exitCode: 1, stderr: 'Traceback: KeyError\n' });

    expect(error).toBeInstanceOf(CommandFailedError);
    expect(attempt).toMatchObject({ outcome: 'FAILED', error: { name: 'CommandFailedError' } });
    expect(attempt?.error?.message).toMatch(/exited with code 1; stderr ends with:\nTraceback: KeyError/);
    expect(await deps.objects.get(deps.buckets.work, KEY)).toBeUndefined();
    expect(host.dirs.size).toBe(0);
  });

  it('fails the attempt when a signal ended the command', async () => {
    const { error } = await failWith({ signal: 'SIGKILL' });

    expect(error).toBeInstanceOf(CommandFailedError);
    expect((error as Error).message).toContain('was ended by signal SIGKILL; stderr was empty');
  });

  it('fails the attempt when the program cannot be started', async () => {
    const { error, host } = await failWith({ spawnError: 'spawn python3 ENOENT' });

    expect((error as Error).message).toContain('could not be started: spawn python3 ENOENT');
    expect(host.dirs.size).toBe(0);
  });

  it('keeps only the last few KiB of stderr', async () => {
    const stderr = `${'x'.repeat(10_000)}THE END`;
    const { attempt, host } = await failWith({ exitCode: 3, stderr });

    expect(host.launches[0]?.stderrTailBytes).toBe(STDERR_TAIL_BYTES);
    expect(attempt?.error?.message.endsWith('THE END')).toBe(true);
    expect(attempt?.error?.message.length).toBeLessThan(STDERR_TAIL_BYTES + 200);
  });

  it('redacts the secret where the command printed it to stderr', async () => {
    const { attempt } = await failWith(
      { exitCode: 1, stderr: `connecting with ${SECRET} failed` },
      { secretArn: ARN },
    );

    expect(attempt?.error?.message).toContain('connecting with [redacted] failed');
    expect(JSON.stringify(attempt)).not.toContain(SECRET);
  });

  it('removes the work folder when staging fails, before any command starts', async () => {
    const { deps, event, host } = await commandEnv(evenOdd);
    host.writeFile = async () => {
      throw new Error('disk full');
    };

    const error = await failureOf(processBatch(deps, event(0), quietWorker('w1')));

    expect(error.message).toBe('disk full');
    expect(host.launches).toEqual([]);
    expect(host.dirs.size).toBe(0);
  });

  it('kills the command at its timeout and fails the attempt', async () => {
    let killed = false;
    const { deps, event, host } = await commandEnv(
      async (run) => {
        await run.killed;
        killed = true;
        return { exitCode: 0 };
      },
      { timeoutMs: 1_000 },
    );

    const error = await failureOf(processBatch(deps, event(0), quietWorker('w1')));

    expect(error).toBeInstanceOf(CommandFailedError);
    expect(error.message).toContain('was killed at its timeout of 1000 ms');
    expect(killed).toBe(true);
    expect(host.dirs.size).toBe(0);
  });
});

describe('processBatch with a command processor: files', () => {
  const cases: [string, string | undefined, string | undefined, RegExp][] = [
    ['text that is not JSON', 'oops\n', '', /outputs\.jsonl line 1: must be one JSON object per line/],
    ['an id outside the batch', '{"id":11,"output":1}', '', /outputs\.jsonl line 1: id 11 is not an item/],
    ['an id twice', '{"id":2,"output":1}\n{"id":2,"output":2}', '', /line 2: id 2 appears again/],
    ['an unknown key', '{"id":2,"result":1}', '', /outputs\.jsonl line 1: key result is not allowed/],
    ['an exception without a kind', '', '{"id":1}', /exceptions\.jsonl line 1: kind must be a string/],
    [
      'an item in both files',
      '{"id":1,"output":1}',
      '{"id":1,"kind":"k"}',
      /exceptions\.jsonl line 1: id 1 appears again \(first at outputs\.jsonl line 1\)/,
    ],
    ['an item in neither file', undefined, undefined, /item 1 is in neither/],
  ];

  it.each(cases)(
    'fails the attempt on %s, naming the file, the line and the rule',
    async (_, outputs, exceptions, rule) => {
      const { deps, event, host } = await commandEnv((run) => {
        const { descriptor } = batchOf(run);
        if (outputs !== undefined) run.write(descriptor.outputs, outputs);
        if (exceptions !== undefined) run.write(descriptor.exceptions, exceptions);
        return { exitCode: 0 };
      });

      const error = await failureOf(processBatch(deps, event(0), quietWorker('w1')));

      expect(error).toBeInstanceOf(CommandOutputError);
      expect(error.message).toMatch(rule);
      const [attempt] = await collect(deps.attempts.list('j', INVENTORY, 1));
      expect(attempt).toMatchObject({ outcome: 'FAILED', error: { name: 'CommandOutputError' } });
      expect(await deps.objects.get(deps.buckets.work, KEY)).toBeUndefined();
      expect(host.dirs.size).toBe(0);
    },
  );
});

describe('processBatch with a command processor: the lease', () => {
  it('refuses the commit of a command that wrote its outputs after its lease was taken over', async () => {
    const gate = new Gate();
    const { deps, event, host } = await commandEnv(async (run) => {
      evenOdd(run);
      await gate.pass();
      return { exitCode: 0 };
    });
    const running = failureOf(processBatch(deps, event(0), quietWorker('w1')));
    await gate.arrived();
    deps.clock.advance(900_001);
    expect((await takeBatch(deps, 1, { owner: 'thief' })).outcome).toBe('ACQUIRED');
    gate.open();

    expect(await running).toBeInstanceOf(LeaseLostError);
    expect(await deps.batches.getBatch('j', INVENTORY, 1)).toMatchObject({
      status: 'RUNNING',
      leaseOwner: 'thief',
    });
    expect((await deps.exceptions.list('j', { status: 'OPEN' })).items).toEqual([]);
    expect(host.dirs.size).toBe(0);
  });

  it('heartbeats while the command runs and kills it once a heartbeat finds the lease lost', async () => {
    const gate = new Gate();
    let killed = false;
    const { deps, event, host } = await commandEnv(
      async (run) => {
        evenOdd(run);
        void gate.pass();
        await run.killed;
        killed = true;
        return { exitCode: 0 };
      },
      { leaseSeconds: 1 },
    );
    const running = failureOf(processBatch(deps, event(0), quietWorker('w1')));
    await gate.arrived();
    deps.clock.advance(1_001);
    expect((await takeBatch(deps, 1, { owner: 'thief' })).outcome).toBe('ACQUIRED');

    expect(await running).toBeInstanceOf(LeaseLostError);
    expect(killed).toBe(true);
    expect(await deps.objects.get(deps.buckets.work, KEY)).toBeUndefined();
    expect(host.dirs.size).toBe(0);
  });
});
