/**
 * Where command processors run: work folders on a local file system and child processes. The batch runner
 * (core/processing/command-batch.ts) owns the rules; the Node adapter (core/adapters/node-command-host.ts) and
 * the in-memory fake only move bytes and processes.
 */

/**
 * What to start: a program without a shell, in its own process group, with this environment added to the few
 * variables the host passes on of its own (PATH, HOME, the locale: see the adapter).
 */
export interface CommandLaunch {
  readonly argv: readonly string[];
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
  /** How many bytes of the end of stderr to keep. */
  readonly stderrTailBytes: number;
}

/** How a command ended: an exit code, or the signal that ended it. */
export interface CommandExit {
  readonly exitCode: number | null;
  readonly signal: string | null;
  /** The last `stderrTailBytes` of its stderr, as text. */
  readonly stderrTail: string;
  /** Set when the program could not be started at all (not found, not executable). */
  readonly spawnError?: string;
}

/** A command that was started. */
export interface RunningCommand {
  /** Settles once the command (its whole process group) has ended; never rejects. */
  readonly exited: Promise<CommandExit>;
  /** End the command and every process it started (SIGKILL to its process group). Safe to call twice. */
  kill(): void;
}

export interface CommandHost {
  /**
   * A new, empty work folder under the host's root, its absolute path. The first call of a host removes the
   * folders that crashed runners left behind (see the adapter for what counts as stale).
   */
  createWorkDir(): Promise<string>;
  /** Write a file whole; `mode` as for chmod (the secret's file is 0o600). */
  writeFile(path: string, text: string, mode?: number): Promise<void>;
  /** A file's text, or undefined when there is no such file. */
  readFile(path: string): Promise<string | undefined>;
  /** Remove a work folder and everything in it; a folder already gone is fine. */
  removeWorkDir(path: string): Promise<void>;
  start(launch: CommandLaunch): RunningCommand;
}
