import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEMO_DIR_PREFIX, removeStaleDemoDirs } from './demo/leftovers.ts';
import { lifecycle } from './demo/lifecycle.ts';
import { Narrator } from './demo/report.ts';
import { reviewExceptions } from './demo/review.ts';
import {
  closing,
  configChangeAndBackfill,
  createAddressJob,
  type DemoContext,
  firstRun,
  loadFirstRecords,
  newRecordsRun,
} from './demo/scenario.ts';
import { processIo } from './output.ts';
import { targetFromLocalState } from './target.ts';

/**
 * `npm run demo`: the whole story on a fresh local mode, then every process it started is stopped, also on
 * Ctrl-C and on failure. Exit code 0 when every step turned out as told, 1 otherwise, 130 on Ctrl-C.
 */
async function demo(): Promise<number> {
  const say = new Narrator(processIo);
  const stale = await removeStaleDemoDirs();
  const dataDir = await mkdtemp(join(tmpdir(), DEMO_DIR_PREFIX));
  const life = lifecycle(dataDir);
  try {
    say.step(`start the local mode (data dir ${dataDir})`);
    if (stale > 0) say.say(`removed ${stale} data dir(s) left by interrupted demos`);
    const { startLocal } = await import('./local/local-up.ts');
    const mode = await startLocal({ dataDir, logLevel: 'WARN' });
    life.started(mode);
    say.say(
      `Step Functions endpoint ${mode.state.endpoints.sfn}, state machine ${mode.state.stateMachineArn}`,
    );
    const ctx: DemoContext = { target: targetFromLocalState(mode.state), dataDir, say };
    for (const step of STEPS) await step(ctx);
    say.step(`done in ${say.elapsed().trim()}; stopping the local mode`);
    return 0;
  } catch (e) {
    // After Ctrl-C the engines go away under the running step: that is not a failure to report.
    if (life.interrupted) return 130;
    const error = e instanceof Error ? e : new Error(String(e));
    processIo.err(`\ndemo failed: ${error.name}: ${error.message}\n`);
    if (process.env.BATCHKEEPER_DEBUG) processIo.err(`${error.stack}\n`);
    return 1;
  } finally {
    await life.stop();
  }
}

const STEPS = [
  loadFirstRecords,
  createAddressJob,
  firstRun,
  newRecordsRun,
  configChangeAndBackfill,
  reviewExceptions,
  closing,
];

// The SDK clients are pinned; their warning about Node versions of future SDK releases is noise here.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = await demo().catch((e: unknown) => {
  processIo.err(`demo failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  return 1;
});
process.stdout.write('', () => process.exit(code));
