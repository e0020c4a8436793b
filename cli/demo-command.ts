import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtinProcessors } from '../core/processors/builtin.ts';
import { createRegistry } from '../core/processors/registry.ts';
import { commandOutputs, commandRun, createCommandJob, loadCompanyIds } from './demo/command-scenario.ts';
import { companyRecords } from './demo/company-records.ts';
import { DEMO_DIR_PREFIX, removeStaleDemoDirs } from './demo/leftovers.ts';
import { lifecycle } from './demo/lifecycle.ts';
import { Narrator } from './demo/report.ts';
import type { DemoContext } from './demo/scenario.ts';
import { processIo } from './output.ts';
import { targetFromLocalState } from './target.ts';

/**
 * `npm run demo:command`: a command processor in Python (examples/python-command) on a fresh local mode, run by
 * the same batch runner and descriptor as on AWS, then every process it started is stopped. Exit code 0 when
 * every step turned out as told, 1 otherwise, 130 on Ctrl-C.
 */
async function demo(): Promise<number> {
  const say = new Narrator(processIo);
  const stale = await removeStaleDemoDirs();
  const dataDir = await mkdtemp(join(tmpdir(), DEMO_DIR_PREFIX));
  const life = lifecycle(dataDir);
  try {
    say.step(`start the local mode (data dir ${dataDir})`);
    if (stale > 0) say.say(`removed ${stale} data dir(s) left by interrupted demos`);
    const processors = createRegistry([...builtinProcessors, companyRecords]);
    const { startLocal } = await import('./local/local-up.ts');
    const mode = await startLocal({ dataDir, logLevel: 'WARN', processors });
    life.started(mode);
    const target = targetFromLocalState(mode.state, processors);
    const ctx: DemoContext = { target, cliTarget: target, dataDir, say };
    for (const step of [loadCompanyIds, createCommandJob, commandRun, commandOutputs]) await step(ctx);
    say.step(`done in ${say.elapsed().trim()}; stopping the local mode`);
    return 0;
  } catch (e) {
    if (life.interrupted) return 130;
    const error = e instanceof Error ? e : new Error(String(e));
    processIo.err(`\ndemo failed: ${error.name}: ${error.message}\n`);
    if (process.env.BATCHKEEPER_DEBUG) processIo.err(`${error.stack}\n`);
    return 1;
  } finally {
    await life.stop();
  }
}

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const code = await demo().catch((e: unknown) => {
  processIo.err(`demo failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}\n`);
  return 1;
});
process.stdout.write('', () => process.exit(code));
