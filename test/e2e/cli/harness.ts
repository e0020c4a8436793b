import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { writeChunks } from '../../../cli/demo/data.ts';
import { type LocalMode, type LocalOptions, startLocal } from '../../../cli/local/local-up.ts';

export const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TSX = join(ROOT, 'node_modules', '.bin', 'tsx');

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Run a command line as a user would (`tsx cli/bin.ts ...`) in a child process. `tsx` is the binary `npx tsx`
 * resolves to; calling it directly saves npx's start-up on every call.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: ROOT,
      env: { ...process.env, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString('utf8');
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString('utf8');
    });
    child.once('error', reject);
    child.once('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export const runCli = (args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> =>
  runProcess(TSX, ['cli/bin.ts', ...args], env);

/** A local mode started by this test file, and the CLI pointed at it. */
export interface CliEnv {
  readonly mode: LocalMode;
  readonly dataDir: string;
  /** `batchkeeper <args> --local --data-dir <dataDir>` */
  cli(...args: string[]): Promise<CliResult>;
  /** The same with `--json`, stdout parsed. */
  json<T = Record<string, unknown>>(...args: string[]): Promise<CliResult & { doc: T }>;
  stop(): Promise<void>;
}

/**
 * Start the local mode once for a test file (a fresh data dir, quiet handlers, any other `options`) and give the
 * CLI's flags for it.
 * @example const env = await startCliEnv('runs'); const { doc } = await env.json('jobs', 'list');
 */
export async function startCliEnv(
  label: string,
  options: Omit<LocalOptions, 'dataDir'> = {},
): Promise<CliEnv> {
  // The clients are pinned; the SDK's notice about the Node versions of its future releases is noise in the log.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const dataDir = await mkdtemp(join(tmpdir(), `bk-e2e-${label}-`));
  const mode = await startLocal({ logLevel: 'ERROR', ...options, dataDir });
  const cli = (...args: string[]) => runCli([...args, '--local', '--data-dir', dataDir]);
  return {
    mode,
    dataDir,
    cli,
    async json<T>(...args: string[]) {
      const result = await cli(...args, '--json');
      let doc: T;
      try {
        doc = JSON.parse(result.stdout) as T;
      } catch {
        throw new Error(`not one JSON document (exit ${result.code}): ${result.stdout}\n${result.stderr}`);
      }
      return { ...result, doc };
    },
    async stop() {
      await mode.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** JSON Lines files of generated company records in a fresh folder under the env's data dir. */
export function recordsFolder(
  env: CliEnv,
  name: string,
  o: { start: number; count: number; perFile: number; badRate?: number },
) {
  return writeChunks(join(env.dataDir, name), { seed: 11, ...o });
}

/**
 * The set-up most CLI tests start from: data set `registry` registered from a folder of records (`folder`), and
 * job `jobId` over it with `processor` and `batchSize`. Returns the folder's files.
 */
export async function registryJob(
  env: CliEnv,
  o: {
    jobId: string;
    processor: string;
    batchSize: number;
    records: { start: number; count: number; perFile: number; badRate?: number };
  },
) {
  const folder = await recordsFolder(env, 'load', o.records);
  const registered = await env.cli('datasets', 'register', 'registry', folder.dir);
  if (registered.code !== 0) throw new Error(`datasets register failed: ${registered.stderr}`);
  const args = ['--dataset', 'registry', '--processor', o.processor, '--batch-size', String(o.batchSize)];
  const created = await env.cli('jobs', 'create', o.jobId, ...args);
  if (created.code !== 0) throw new Error(`jobs create failed: ${created.stderr}`);
  return folder;
}

/** The `run --wait --json` document. */
export interface RunDoc {
  runId: string;
  executionArn: string;
  input: { mode: string; idStart?: number; idEnd?: number };
  status: string;
  runStatus?: string;
  batches: { planned: number; succeeded: number; failed: number; notDone: number };
  items: { succeeded: number; excepted: number };
  durationMs: number;
  error?: { name: string; message: string };
}
