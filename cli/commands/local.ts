import { z } from 'zod';
import { BatchkeeperError } from '../../core/errors.ts';
import { isAlive } from '../local/engines/processes.ts';
import { envFor, type LocalState, localStatePath, readLocalState } from '../local/local-state.ts';
import { fields, type Io, jsonLine } from '../output.ts';
import { defineCommand, plainArgs } from './args.ts';

/** The local mode did not go away after it was asked to. */
export class LocalStopError extends BatchkeeperError {
  constructor(ctx: { pid: number; waitedMs: number }) {
    super(`the local mode (pid ${ctx.pid}) is still running ${ctx.waitedMs} ms after SIGTERM`, ctx);
  }
}

const DataDir = z.string().min(1, { error: 'must not be empty' }).optional();
const dataDirFlag = {
  type: 'string',
  help: '--data-dir DIR  where the local mode keeps its state (default: <tmp>/batchkeeper-local)',
} as const;

/** What `local up` prints once everything answers: the contract of its `--json` line. */
export function readyDocument(
  state: LocalState,
  stateFile: string | undefined,
  processors: readonly string[],
) {
  return {
    event: 'ready' as const,
    /** The processors runs can name (the project's module, loaded again at the start of every run). */
    processors: [...processors],
    pid: state.pid,
    stateFile: stateFile ?? null,
    dataDir: state.dataDir ?? null,
    region: state.region,
    endpoints: state.endpoints,
    stateMachineArn: state.stateMachineArn,
    tables: state.tables,
    buckets: state.buckets,
    kmsKeyId: state.kmsKeyId,
    env: envFor(state),
  };
}

function readyText(doc: ReturnType<typeof readyDocument>): string {
  const exports = Object.entries(doc.env)
    .map(([k, v]) => `export ${k}=${JSON.stringify(v)}\n`)
    .join('');
  return (
    `batchkeeper local mode is up (pid ${doc.pid}); Ctrl-C stops it\n\n` +
    fields([
      ...Object.entries(doc.endpoints).map(([k, v]) => [k, v] as const),
      ['state machine', doc.stateMachineArn],
      ['state file', doc.stateFile],
      ['processors', doc.processors.join(', ')],
    ]) +
    `\nPoint the AWS SDK or the AWS CLI at it:\n${exports}\n` +
    `Then e.g.: batchkeeper jobs list --local${doc.dataDir ? ` --data-dir ${doc.dataDir}` : ''}\n`
  );
}

/** Start the local mode and hold the foreground until SIGINT or SIGTERM, then stop every engine it started. */
async function localUp(dataDir: string | undefined, io: Io, json: boolean): Promise<void> {
  // Loaded here: the local mode pulls in the engines and the interpreter, which no other command needs.
  const { startLocal } = await import('../local/local-up.ts');
  // Handler logs at INFO would bury the command line; POWERTOOLS_LOG_LEVEL still wins.
  const mode = await startLocal({ dataDir, logLevel: 'WARN' });
  const doc = readyDocument(mode.state, mode.stateFile, mode.deps.processors.names());
  io.out(json ? jsonLine(doc) : readyText(doc));
  const keepAlive = setInterval(() => {}, 1 << 30);
  await new Promise<void>((resolve) => {
    const stop = (signal: NodeJS.Signals) => {
      io.err(`${signal}: stopping the local mode\n`);
      void mode.stop().finally(resolve);
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  clearInterval(keepAlive);
  io.err('local mode stopped\n');
}

export const localUpCommand = defineCommand({
  words: ['local', 'up'],
  usage: '[--data-dir DIR]',
  summary: 'start the local mode in the foreground (DynamoDB Local, S3, Secrets Manager/KMS, Step Functions)',
  positionals: [],
  flags: { 'data-dir': dataDirFlag },
  schema: plainArgs({ 'data-dir': DataDir }),
  needsTarget: false,
  async run(a, ctx) {
    await localUp(a['data-dir'], ctx.io, ctx.json);
    return { json: undefined, text: '' };
  },
});

const STOP_WAIT_MS = 20_000;

export const localDownCommand = defineCommand({
  words: ['local', 'down'],
  usage: '[--data-dir DIR]',
  summary: 'stop the local mode started with this data dir (SIGTERM to the pid in its state file)',
  positionals: [],
  flags: { 'data-dir': dataDirFlag },
  schema: plainArgs({ 'data-dir': DataDir }),
  needsTarget: false,
  async run(a) {
    let state: LocalState | undefined;
    try {
      state = readLocalState(a['data-dir'], { requireRunning: false });
    } catch {
      state = undefined;
    }
    if (!state || !isAlive(state.pid)) {
      const json = { pid: state?.pid ?? null, wasRunning: false, stopped: true };
      return { json, text: `no local mode running (${localStatePath(a['data-dir'])})\n` };
    }
    process.kill(state.pid, 'SIGTERM');
    const deadline = Date.now() + STOP_WAIT_MS;
    while (isAlive(state.pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (isAlive(state.pid)) throw new LocalStopError({ pid: state.pid, waitedMs: STOP_WAIT_MS });
    return {
      json: { pid: state.pid, wasRunning: true, stopped: true },
      text: `stopped the local mode (pid ${state.pid})\n`,
    };
  },
});
