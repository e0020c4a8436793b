import { readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isAlive } from '../local/engines/processes.ts';
import { readLocalState } from '../local/local-state.ts';

export const DEMO_DIR_PREFIX = 'batchkeeper-demo-';

/**
 * Remove the data dirs of earlier demos whose local mode is gone. A demo cleans up after itself, but `tsx`
 * SIGKILLs a busy child a few milliseconds after relaying Ctrl-C, and then nothing of ours runs; the engines die
 * with it (their guard sees the pipe close), only the directory stays. A dir without a state file may be a demo
 * still starting, so it is left alone.
 */
export async function removeStaleDemoDirs(root = tmpdir()): Promise<number> {
  let removed = 0;
  for (const name of await readdir(root)) {
    if (!name.startsWith(DEMO_DIR_PREFIX)) continue;
    const dir = join(root, name);
    try {
      const state = readLocalState(dir, { requireRunning: false });
      if (isAlive(state.pid)) continue;
    } catch {
      continue;
    }
    await rm(dir, { recursive: true, force: true });
    removed++;
  }
  return removed;
}
