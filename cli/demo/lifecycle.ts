import { rm } from 'node:fs/promises';
import type { LocalMode } from '../local/local-up.ts';
import { processIo } from '../output.ts';

/**
 * Stop the local mode and remove the data dir once, whoever asks first: the end of the story, a failure, or
 * SIGINT/SIGTERM (from the moment the demo starts: engines half started are killed by the local mode's exit hook).
 */
export function lifecycle(dataDir: string) {
  let mode: LocalMode | undefined;
  let stopping: Promise<void> | undefined;
  let interrupted = false;
  const stop = () => {
    stopping ??= (mode?.stop() ?? Promise.resolve()).finally(() =>
      rm(dataDir, { recursive: true, force: true }),
    );
    return stopping;
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (interrupted) return;
    interrupted = true;
    processIo.err(`\n${signal}: stopping the local mode\n`);
    void stop().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  return {
    started: (m: LocalMode) => {
      mode = m;
    },
    stop,
    get interrupted() {
      return interrupted;
    },
  };
}
