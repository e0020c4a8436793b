import { describe, expect, it } from 'vitest';
import { collect } from '../seed-data.ts';
import { acquireInput, granted, INVENTORY, jobWithBatches, leaseOf, type MakeEnv } from './contract-env.ts';

/** Job `j` with batches 1-10 and 11-20 reserved for run-1, and `take(owner)` asking for batch 1 for 10 s. */
async function setup(makeEnv: MakeEnv, label: string) {
  const env = await makeEnv(label);
  await jobWithBatches(env, 2);
  const take = async (owner: string, start = 1) =>
    granted(await env.deps.leases.acquire(acquireInput(start, owner)));
  return { ...env, take };
}

const error = { name: 'TypeError', message: 'bad' };

/**
 * AttemptStore: every try of a batch in batch order, the attempts of a run, and an abandoned attempt failed only
 * while its run still holds the batch. Runs on the fakes and on the DynamoDB adapter.
 */
export function describeAttemptContract(name: string, makeEnv: MakeEnv): void {
  describe(`AttemptStore on ${name}`, () => {
    it('lists attempts of one batch or of every batch in batch order, and the attempts of a run', async () => {
      const { take, deps } = await setup(makeEnv, 'attempts-list');
      const a = await take('a', 11);
      await deps.commits.fail({ ...leaseOf(a, 'a'), error, outcome: 'RETRY' });
      const b = await take('b', 1);
      await deps.commits.commit({
        ...leaseOf(b, 'b'),
        itemsSucceeded: 10,
        itemsExcepted: 0,
        exceptions: [],
      });
      const c = granted(await deps.leases.acquire(acquireInput(11, 'c', { runId: 'run-2' })));
      await deps.commits.fail({ ...leaseOf(c, 'c', 'run-2'), error, outcome: 'FAILED' });

      const all = await collect(deps.attempts.list('j', INVENTORY));
      const of11 = await collect(deps.attempts.list('j', INVENTORY, 11));
      const ofRun1 = await collect(deps.attempts.runAttempts('j', 'run-1'));

      expect(all.map((h) => [h.start, h.attempt, h.outcome])).toEqual([
        [1, 1, 'SUCCEEDED'],
        [11, 1, 'RETRY'],
        [11, 2, 'FAILED'],
      ]);
      expect(of11.map((h) => h.owner)).toEqual(['a', 'c']);
      expect(ofRun1.map((h) => h.owner)).toEqual(['b', 'a']);
      expect(await collect(deps.attempts.list('j', { kind: 'sample', runId: 'run-1' }))).toEqual([]);
    });

    it('fails an abandoned attempt once, and never one a newer owner holds', async () => {
      const { take, clock, deps } = await setup(makeEnv, 'attempts-abandoned');
      await take('a');
      const abandon = {
        jobId: 'j',
        scope: INVENTORY,
        start: 1,
        runId: 'run-1',
        error: { name: 'States.Timeout', message: 't' },
      };

      expect(await deps.attempts.failAbandoned(abandon)).toBe(true);
      expect(await deps.attempts.failAbandoned(abandon)).toBe(false);
      expect(await deps.batches.getBatch('j', INVENTORY, 1)).toMatchObject({
        status: 'FAILED',
        error: 'States.Timeout: t',
      });
      clock.advance(10);
      granted(await deps.leases.acquire(acquireInput(1, 'z', { runId: 'run-9' })));
      expect(await deps.attempts.failAbandoned(abandon)).toBe(false);
      expect((await deps.batches.getBatch('j', INVENTORY, 1))?.leaseOwner).toBe('z');
      const history = await collect(deps.attempts.list('j', INVENTORY, 1));
      expect(history.map((h) => [h.attempt, h.outcome, h.owner, h.runId])).toEqual([
        [1, 'FAILED', 'a', 'run-1'],
      ]);
    });
  });
}
