import { type ChildProcess, spawn } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';
import { LocalServiceError } from './errors.ts';
import { within } from './timing.ts';

export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly error?: Error;
}

export interface ManagedProcess {
  /** Human name used in messages, e.g. `DynamoDB Local`. */
  readonly name: string;
  /** Pid of the command, which is also the id of its process group. */
  readonly pid: number;
  readonly child: ChildProcess;
  /**
   * Settles when the command has exited (never rejects). Children are unref'd so that a forgotten stop cannot
   * keep Node alive: awaiting this alone does not hold the event loop open (a timer or server must).
   */
  readonly exited: Promise<ExitInfo>;
  isRunning(): boolean;
  /** The last few KiB of stdout and stderr, interleaved, for error messages. */
  output(): string;
  /** Calls `listener` with every chunk of stdout or stderr from now on; returns the unsubscribe function. */
  onOutput(listener: (text: string) => void): () => void;
}

export interface SpawnManagedOptions {
  readonly name: string;
  readonly cwd?: string;
  readonly env?: NodeJS.ProcessEnv;
}

const OUTPUT_KEPT = 64 * 1024;
const registry = new Map<number, ManagedProcess>();

/**
 * The command runs under `sh` in its own process group. A background reader holds the stdin pipe that only
 * this Node process writes to: when the pipe reaches EOF (this process is gone, even by SIGKILL, when no exit
 * hook can run) it kills the whole group, so no engine outlives its parent.
 */
const GUARD = 'exec 3<&0 </dev/null; (while read -r line <&3; do :; done; kill -9 0) & exec 3<&- "$@"';

/**
 * Start a command that is killed, with its whole process group, when it is stopped, when this process exits,
 * on SIGINT/SIGTERM and on an uncaught error.
 * @example const moto = spawnManaged('moto_server', ['-p', '5000'], { name: 'moto' }); await stopManaged(moto);
 */
export function spawnManaged(
  command: string,
  args: readonly string[],
  options: SpawnManagedOptions,
): ManagedProcess {
  installHooks();
  const child = spawn('/bin/sh', ['-c', GUARD, options.name, command, ...args], {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const pid = child.pid;
  if (pid === undefined) {
    throw new LocalServiceError(`could not start ${options.name} (${command})`, {
      service: options.name,
      command,
    });
  }
  const managed = track(child, pid, options.name);
  registry.set(pid, managed);
  void managed.exited.then(() => {
    registry.delete(pid);
    child.stdin?.destroy();
  });
  // A forgotten stop must not keep this process alive: the exit hook and the guard clean up instead.
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) unrefStream(stream);
  return managed;
}

function track(child: ChildProcess, pid: number, name: string): ManagedProcess {
  let kept = '';
  const listeners = new Set<(text: string) => void>();
  const onData = (chunk: Buffer) => {
    const text = chunk.toString('utf8');
    kept = (kept + text).slice(-OUTPUT_KEPT);
    for (const listener of listeners) listener(text);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  let running = true;
  // The guard reader shares the command's stdout and stderr: once the command exits, it goes too, and only
  // then do the pipes close ('close'), with every line of output read.
  child.once('exit', () => killGroup(pid, 'SIGKILL'));
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal }));
    child.once('error', (error) => resolve({ code: null, signal: null, error }));
  }).finally(() => {
    running = false;
  });
  return {
    name,
    pid,
    child,
    exited,
    isRunning: () => running,
    output: () => kept,
    onOutput: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

/**
 * SIGTERM the process group, wait up to `graceMs` for the command to exit, then SIGKILL whatever is left.
 * Resolves once the command has exited and the rest of its group has been sent SIGKILL; safe to call twice.
 */
export async function stopManaged(proc: ManagedProcess, graceMs = 3_000): Promise<void> {
  if (proc.isRunning()) {
    killGroup(proc.pid, 'SIGTERM');
    if ((await within(proc.exited, graceMs)) === undefined) killGroup(proc.pid, 'SIGKILL');
    await proc.exited;
  }
  // Whatever else is in the group (the guard reader) dies at once; its zombie is init's to reap.
  killGroup(proc.pid, 'SIGKILL');
}

/** Stop every process this module started. */
export async function stopAllManaged(graceMs?: number): Promise<void> {
  await Promise.all([...registry.values()].map((proc) => stopManaged(proc, graceMs)));
}

/** Processes started here and still running. */
export function managedProcesses(): readonly ManagedProcess[] {
  return [...registry.values()];
}

/** Whether a process (or, with a negative id, a process group) exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // ESRCH: the group is already gone, which is what we wanted.
  }
}

let hooksInstalled = false;

function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' handlers must be synchronous: SIGKILL is the only signal that needs no waiting.
  process.on('exit', () => {
    for (const pid of registry.keys()) killGroup(pid, 'SIGKILL');
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
  // The monitor observes without changing Node's crash behaviour; if someone handles the error, we stay up.
  process.on('uncaughtExceptionMonitor', () => {
    if (process.listenerCount('uncaughtException') > 0) return;
    for (const pid of registry.keys()) killGroup(pid, 'SIGKILL');
  });
}

function onSignal(signal: NodeJS.Signals): void {
  for (const pid of registry.keys()) killGroup(pid, 'SIGTERM');
  // Another listener (vitest, the CLI) owns the decision to exit; the exit hook kills stragglers then.
  if (process.listenerCount(signal) > 1) return;
  void stopAllManaged(1_500).finally(() => {
    process.removeListener(signal, onSignal);
    process.kill(process.pid, signal);
  });
}

function unrefStream(stream: unknown): void {
  (stream as { unref?: () => void } | null)?.unref?.();
}

/**
 * Resolves with the first match of `pattern` in the process output (including what was printed already);
 * rejects if the process exits first or after `timeoutMs`.
 */
export function waitForOutput(
  proc: ManagedProcess,
  pattern: RegExp,
  timeoutMs: number,
): Promise<RegExpMatchArray> {
  return new Promise((resolve, reject) => {
    const done = (settle: () => void) => {
      clearTimeout(timer);
      unsubscribe();
      settle();
    };
    const check = () => {
      const match = proc.output().match(pattern);
      if (match) done(() => resolve(match));
    };
    const unsubscribe = proc.onOutput(check);
    const timer = setTimeout(
      () => done(() => reject(startError(proc, `not ready within ${timeoutMs} ms`))),
      timeoutMs,
    );
    void proc.exited.then((info) =>
      done(() => reject(startError(proc, `exited early (${describeExit(info)})`))),
    );
    check();
  });
}

/** A start failure that quotes the tail of the process output, which names the real cause. */
export function startError(proc: ManagedProcess, what: string): LocalServiceError {
  const tail = proc.output().trim().split('\n').slice(-15).join('\n');
  return new LocalServiceError(`${proc.name} ${what}${tail ? `:\n${tail}` : ''}`, {
    service: proc.name,
    pid: proc.pid,
  });
}

export function describeExit(info: ExitInfo): string {
  if (info.error) return info.error.message;
  return info.signal ? `signal ${info.signal}` : `exit code ${info.code}`;
}

/** The absolute path of an executable found on PATH, or undefined. */
export function findExecutable(name: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not in this directory
    }
  }
  return undefined;
}
