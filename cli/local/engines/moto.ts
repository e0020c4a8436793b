import { LocalServiceError } from './errors.ts';
import { findExecutable, type ManagedProcess, spawnManaged, startError, stopManaged } from './processes.ts';
import { freePort } from './tcp.ts';
import { sleep } from './timing.ts';

export interface MotoOptions {
  /** TCP port on 127.0.0.1. @default a free port */
  readonly port?: number;
  /** @default 30_000 */
  readonly startTimeoutMs?: number;
}

export interface Moto {
  /** One endpoint for S3, Secrets Manager and KMS. */
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  readonly startedInMs: number;
  readonly process: ManagedProcess;
  stop(): Promise<void>;
  /** Wipe every resource of every service. Not for a server shared by concurrent tests. */
  reset(): Promise<void>;
}

const HOST = '127.0.0.1';
const INSTALL_HINT = 'install it with: python3 -m pip install "moto[server]"';
/** Attempts on a port picked by freePort, which another process may take before moto binds it. */
const PORT_ATTEMPTS = 3;

/**
 * Start moto's server on 127.0.0.1: S3, Secrets Manager and KMS on one port, state in memory only.
 * @example const moto = await startMoto(); makeClients({ endpoints: { s3: moto.endpoint } });
 */
export async function startMoto(options: MotoOptions = {}): Promise<Moto> {
  const started = Date.now();
  const commands = motoCommands();
  let lastError: unknown;
  for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt += 1) {
    const port = options.port ?? (await freePort());
    for (const [command, prefix] of commands) {
      try {
        const proc = await startOn(command, [...prefix, '-H', HOST, '-p', String(port)], port, options);
        return handle(proc, port, started);
      } catch (error) {
        lastError = error;
        // A taken port is worth another port, not another command.
        if (isAddressInUse(error)) break;
      }
    }
    if (options.port !== undefined || !isAddressInUse(lastError)) break;
  }
  throw lastError;
}

function handle(proc: ManagedProcess, port: number, started: number): Moto {
  const endpoint = `http://${HOST}:${port}`;
  return {
    endpoint,
    port,
    pid: proc.pid,
    startedInMs: Date.now() - started,
    process: proc,
    stop: () => stopManaged(proc),
    reset: async () => {
      const response = await fetch(`${endpoint}/moto-api/reset`, { method: 'POST' });
      if (!response.ok) {
        throw new LocalServiceError(`moto reset answered ${response.status}`, { service: 'moto', endpoint });
      }
    },
  };
}

/** `moto_server` as asked for; `python3 -m moto.server` where the shim is missing or broken. */
function motoCommands(): Array<[string, string[]]> {
  const commands: Array<[string, string[]]> = [];
  const shim = findExecutable('moto_server');
  if (shim !== undefined) commands.push([shim, []]);
  const python = findExecutable('python3');
  if (python !== undefined) commands.push([python, ['-m', 'moto.server']]);
  if (commands.length === 0) {
    throw new LocalServiceError(`neither moto_server nor python3 is on PATH: ${INSTALL_HINT}`, {
      service: 'moto',
    });
  }
  return commands;
}

async function startOn(
  command: string,
  args: string[],
  port: number,
  options: MotoOptions,
): Promise<ManagedProcess> {
  const proc = spawnManaged(command, args, { name: 'moto', env: { ...process.env, PYTHONUNBUFFERED: '1' } });
  try {
    await waitForMoto(proc, `http://${HOST}:${port}`, options.startTimeoutMs ?? 30_000);
    return proc;
  } catch (error) {
    await stopManaged(proc);
    throw error;
  }
}

/** Ready means an HTTP answer from moto itself, not just an open socket. */
async function waitForMoto(proc: ManagedProcess, endpoint: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (!proc.isRunning()) {
      const missing = /No module named|command not found|not found/i.test(proc.output());
      throw startError(proc, missing ? `is not installed (${INSTALL_HINT})` : 'exited before it answered');
    }
    try {
      const response = await fetch(`${endpoint}/moto-api/data.json`, { signal: AbortSignal.timeout(2_000) });
      await response.body?.cancel();
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw startError(proc, `did not answer within ${timeoutMs} ms`);
    await sleep(50);
  }
}

function isAddressInUse(error: unknown): boolean {
  return error instanceof LocalServiceError && /Address already in use|EADDRINUSE/i.test(error.message);
}
