import { type Io, jsonLine, processIo } from '../output.ts';
import type { Target } from '../target.ts';
import {
  type CommandContext,
  type CommandResult,
  readArgs,
  type TargetFlags,
  UsageError,
  validateArgs,
} from './args.ts';
import { commandHelp, lookup } from './index.ts';
import { targetOnce } from './support.ts';

export const EXIT = { ok: 0, failure: 1, usage: 2 } as const;

interface Mode {
  readonly json: boolean;
  readonly debug: boolean;
}

/**
 * Run one command line and return its exit code: 0 success, 1 a typed error (its name and message, a stack
 * trace only with --debug), 2 a usage error (what is wrong, then the right usage).
 * @example process.exitCode = await main(['jobs', 'list', '--local']);
 */
export async function main(
  argv: readonly string[],
  io: Io = processIo,
  options: {
    /** Run against this target, in place of the one the flags name (the demos hold their local mode's). */
    readonly target?: Target;
  } = {},
): Promise<number> {
  // Read before parsing, so that even a usage error honours them.
  const mode: Mode = { json: argv.includes('--json'), debug: argv.includes('--debug') };
  try {
    const found = lookup(argv);
    if (found.kind === 'help') {
      io.out(found.text);
      return EXIT.ok;
    }
    const raw = readArgs(found.command, found.rest);
    if (raw.help === true) {
      io.out(commandHelp(found.command));
      return EXIT.ok;
    }
    const args = validateArgs(found.command, raw) as Record<string, unknown>;
    const { target } = options;
    const ctx: CommandContext = {
      io,
      json: mode.json,
      target: target ? async () => target : targetOnce(args as TargetFlags),
    };
    const result = await found.command.run(args, ctx);
    print(result, io, mode);
    if (!result.error) return EXIT.ok;
    report(result.error, io, mode);
    return EXIT.failure;
  } catch (e) {
    return report(e, io, mode);
  }
}

function print(result: CommandResult, io: Io, mode: Mode): void {
  if (mode.json) {
    if (result.json !== undefined) io.out(jsonLine(result.json));
  } else if (result.text) {
    io.out(result.text);
  }
}

/** Errors go to stderr; with --json as one JSON line, so that scripts can read the name. */
function report(e: unknown, io: Io, mode: Mode): number {
  const error = e instanceof Error ? e : new Error(String(e));
  const usage = error instanceof UsageError ? error.usage : undefined;
  const code = usage === undefined ? EXIT.failure : EXIT.usage;
  if (mode.json) {
    io.err(
      jsonLine({
        error: { name: error.name, message: error.message, exitCode: code, ...(usage ? { usage } : {}) },
      }),
    );
  } else if (usage !== undefined) {
    io.err(
      `error: ${error.message}\n\n${usage.includes('\n') ? usage : `usage: ${usage}\n`}\nRun with --help for the flags.\n`,
    );
  } else {
    io.err(`${error.name}: ${error.message}\n`);
  }
  if (mode.debug) io.err(`${stackOf(error)}\n`);
  return code;
}

function stackOf(error: Error): string {
  const cause = (error as { cause?: unknown }).cause;
  const own = error.stack ?? `${error.name}: ${error.message}`;
  return cause instanceof Error ? `${own}\ncaused by: ${stackOf(cause)}` : own;
}
