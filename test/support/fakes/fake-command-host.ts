import type { CommandExit, CommandHost, CommandLaunch, RunningCommand } from '../../../core/ports/index.ts';

/** What a scripted command sees: its launch, the fake file system, and whether it was killed. */
export interface FakeCommandRun {
  readonly launch: CommandLaunch;
  read(path: string): string | undefined;
  write(path: string, text: string): void;
  /** Resolves when the runner kills the command: a script that never ends waits on it. */
  readonly killed: Promise<void>;
}

/** How a scripted command ends: its code (or signal) and what it wrote to stderr. */
export interface FakeCommandEnd {
  readonly exitCode?: number | null;
  readonly signal?: string | null;
  readonly stderr?: string;
  readonly spawnError?: string;
}

export type FakeCommandScript = (run: FakeCommandRun) => FakeCommandEnd | Promise<FakeCommandEnd>;

/**
 * CommandHost in memory: work folders and files in maps, and commands played by a script the test gives. A
 * killed command ends with SIGKILL whatever its script does. It keeps what the rules are tested on: the files
 * and modes written, the launches, the folders still there.
 * @example const host = new FakeCommandHost(({ launch, read, write }) => { write(`${dir}/outputs.jsonl`, ''); return { exitCode: 0 }; });
 */
export class FakeCommandHost implements CommandHost {
  readonly files = new Map<string, { text: string; mode: number }>();
  readonly dirs = new Set<string>();
  readonly launches: CommandLaunch[] = [];
  /** Every file a command could read when it started, by path: what staging wrote. */
  readonly staged: Map<string, { text: string; mode: number }>[] = [];
  #next = 0;

  constructor(public script: FakeCommandScript = () => ({ exitCode: 0 })) {}

  async createWorkDir(): Promise<string> {
    const dir = `/work/${++this.#next}`;
    this.dirs.add(dir);
    return dir;
  }

  async writeFile(path: string, text: string, mode = 0o644): Promise<void> {
    this.files.set(path, { text, mode });
  }

  async readFile(path: string): Promise<string | undefined> {
    return this.files.get(path)?.text;
  }

  async removeWorkDir(path: string): Promise<void> {
    this.dirs.delete(path);
    for (const file of [...this.files.keys()]) if (file.startsWith(`${path}/`)) this.files.delete(file);
  }

  start(launch: CommandLaunch): RunningCommand {
    this.launches.push(launch);
    this.staged.push(new Map(this.files));
    let kill!: () => void;
    const killed = new Promise<void>((resolve) => {
      kill = resolve;
    });
    const killedExit = killed.then((): FakeCommandEnd => ({ exitCode: null, signal: 'SIGKILL' }));
    const run: FakeCommandRun = {
      launch,
      read: (path) => this.files.get(path)?.text,
      write: (path, text) => this.files.set(path, { text, mode: 0o644 }),
      killed,
    };
    const exited = Promise.race([Promise.resolve().then(() => this.script(run)), killedExit]).then(
      (end): CommandExit => ({
        exitCode: end.exitCode ?? null,
        signal: end.signal ?? null,
        stderrTail: (end.stderr ?? '').slice(-launch.stderrTailBytes),
        ...(end.spawnError === undefined ? {} : { spawnError: end.spawnError }),
      }),
    );
    return { exited, kill };
  }
}
