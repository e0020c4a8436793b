import type { Deps } from '../deps.ts';
import type { ProducerBatchRef } from '../model.ts';
import type { ReadLock } from '../ports/index.ts';
import type { Lease } from './batch-steps.ts';
import { type Preflight, preflightFailed } from './preflight.ts';

/**
 * The READY lock of a consumer's batch (core/jobs/dependencies.ts): every producer batch its items were read
 * from, locked as it was read, until the consumer's lease expires at most. A producer batch that changed since
 * (redone, leased, reserved by another run) fails the preflight's "ready" question: the batch waits for its
 * producer, and its next run reads the new output. Locks already taken are given back first.
 */
export async function lockProducers(
  deps: Pick<Deps, 'leases'>,
  lease: Lease,
  producers: readonly ProducerBatchRef[],
  until: number,
  answers: Preflight,
): Promise<ReadLock[]> {
  const locks: ReadLock[] = [];
  for (const ref of producers) {
    const lock = await deps.leases.lockRead({ ref, reservedBy: ref.reservedBy, until });
    if (lock) {
      locks.push(lock);
      continue;
    }
    await releaseProducers(deps, locks);
    const detail = `producer ${ref.jobId} batch ${ref.start}-${ref.end} changed since it was read (redone, leased or reserved)`;
    throw preflightFailed(lease, 'ready', { ...answers, ready: { ok: false, detail } });
  }
  return locks;
}

/** Give the locks back; one that cannot be (the store is down) lapses with the lease. */
export async function releaseProducers(
  deps: Pick<Deps, 'leases'>,
  locks: readonly ReadLock[],
): Promise<void> {
  await Promise.all(locks.map((lock) => deps.leases.releaseRead(lock).catch(() => undefined)));
}
