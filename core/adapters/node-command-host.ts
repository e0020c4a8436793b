import { spawn } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CommandExit, CommandHost, CommandLaunch, RunningCommand } from '../ports/index.ts';

/** Environment variable naming the folder under which every work folder is created. */
export const WORK_ROOT_ENV = 'BATCHKEEPER_WORK_ROOT';

export interface NodeCommandHostProps {
  /** @default $BATCHKEEPER_WORK_ROOT, else <os tmpdir>/batchkeeper-work */
  readonly root?: string;
}

/**
 * CommandHost on this machine's file system and processes. Work folders are named `<pid>-<random>` under one
 * root: a folder is stale when its process is gone, or when it is this process's and not one of its live
 * batches (a runner that failed to clean up, or an earlier life of a reused container). Stale folders are
 * removed at the host's first work folder.
 */
export class NodeCommandHost implements CommandHost {
  readonly root: string;
  readonly #live = new Set<string>();
  #swept: Promise<void> | undefined;

  constructor(props: NodeCommandHostProps = {}) {
    this.root = props.root ?? process.env[WORK_ROOT_ENV] ?? join(tmpdir(), 'batchkeeper-work');
  }

  async createWorkDir(): Promise<string> {
    await mkdir(this.root, { recursive: true, mode: 0o700 });
    this.#swept ??= this.sweep().then(() => undefined);
    await this.#swept;
    const dir = await mkdtemp(join(this.root, `${process.pid}-`));
    this.#live.add(dir);
    return dir;
  }

  /** Remove the stale work folders under the root; returns how many. */
  async sweep(): Promise<number> {
    let removed = 0;
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const name of names) {
      const pid = Number(/^(\d+)-/.exec(name)?.[1]);
      if (!Number.isInteger(pid) || pid <= 0) continue;
      const path = join(this.root, name);
      const stale = pid === process.pid ? !this.#live.has(path) : !isAlive(pid);
      if (!stale) continue;
      await rm(path, { recursive: true, force: true });
      removed++;
    }
    return removed;
  }

  async writeFile(path: string, text: string, mode = 0o644): Promise<void> {
    await writeFile(path, text, { mode });
    // The umask may have taken bits away, never added them; chmod makes the mode exact.
    await chmod(path, mode);
  }

  async readFile(path: string): Promise<string | undefined> {
    try {
      return await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
  }

  async removeWorkDir(path: string): Promise<void> {
    await rm(path, { recursive: true, force: true });
    this.#live.delete(path);
  }

  start(launch: CommandLaunch): RunningCommand {
    const [program, ...args] = launch.argv;
    // Its own process group (detached), so that a kill reaches whatever the command started too.
    const child = spawn(program as string, args, {
      cwd: launch.cwd,
      env: { ...inherited(), ...launch.env },
      detached: true,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const tail = byteTail(launch.stderrTailBytes);
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    const killGroup = () => {
      if (child.pid === undefined) return;
      try {
        process.kill(-child.pid, 'SIGKILL');
      } catch {
        // The group is gone already.
      }
    };
    const exited = new Promise<CommandExit>((resolve) => {
      child.once('error', (error) =>
        resolve({ exitCode: null, signal: null, stderrTail: tail.text(), spawnError: error.message }),
      );
      // What the command left running would hold stderr open (and outlive the batch): it goes with it.
      child.once('exit', killGroup);
      child.once('close', (exitCode, signal) => resolve({ exitCode, signal, stderrTail: tail.text() }));
    });
    return { exited, kill: killGroup };
  }
}

/**
 * What a command inherits of the runner's environment: enough to find programs and speak the locale, and
 * nothing else (the runner's AWS credentials and settings stay with the runner).
 */
export const INHERITED_ENV = ['PATH', 'HOME', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR'] as const;

function inherited(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of INHERITED_ENV) {
    const value = process.env[name];
    if (value !== undefined) out[name] = value;
  }
  return out;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The last `limit` bytes of a stream. */
function byteTail(limit: number) {
  let kept = Buffer.alloc(0);
  return {
    push(chunk: Buffer) {
      kept = Buffer.concat([kept, chunk]);
      if (kept.length > limit) kept = kept.subarray(kept.length - limit);
    },
    text: () => kept.toString('utf8'),
  };
}
