import type { Deps } from '../deps.ts';
import type { CommandExit, RunningCommand } from '../ports/index.ts';
import { type Lease, sendHeartbeat } from './batch-steps.ts';

/** How a supervised command ended: its exit, and whether the runner killed it at its timeout. */
export interface SupervisedExit extends CommandExit {
  readonly timedOut: boolean;
}

/**
 * Wait for a command while a timer heartbeats the lease every third of it. A heartbeat that fails (the lease
 * lost to another owner, or the store unreachable) kills the command's process group and is thrown once the
 * command has ended: nothing of this attempt may be committed then. The timeout kills it too.
 */
export async function superviseCommand(
  deps: Deps,
  lease: Lease,
  running: RunningCommand,
  o: { leaseMs: number; timeoutMs: number },
): Promise<SupervisedExit> {
  let lost: unknown;
  let timedOut = false;
  let beating: Promise<void> | undefined;
  const beat = async () => {
    try {
      await sendHeartbeat(deps, lease, o.leaseMs);
    } catch (error) {
      lost ??= error;
      running.kill();
    }
  };
  const heartbeats = setInterval(
    () => {
      // One heartbeat at a time: a slow store does not pile them up.
      beating ??= beat().finally(() => {
        beating = undefined;
      });
    },
    Math.max(1, Math.floor(o.leaseMs / 3)),
  );
  const timeout = setTimeout(() => {
    timedOut = true;
    running.kill();
  }, o.timeoutMs);
  try {
    const exit = await running.exited;
    await beating;
    if (lost !== undefined) throw lost;
    return { ...exit, timedOut };
  } finally {
    clearInterval(heartbeats);
    clearTimeout(timeout);
  }
}
