import { COMMON_FLAGS, type Command, flagsOf, TARGET_FLAGS, UsageError, usageOf } from './args.ts';
import { batches, diagnose } from './batches.ts';
import { datasetsList, datasetsRegister, datasetsShow } from './datasets.ts';
import { exceptionsList, exceptionsRequeue, exceptionsResolve, exceptionsShow } from './exceptions.ts';
import { jobsCreate, jobsDelete, jobsList, jobsShow, jobsUpdateConfig } from './jobs.ts';
import { localDownCommand, localUpCommand } from './local.ts';
import { run } from './run.ts';
import { runsList, runsShow } from './runs.ts';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  localUpCommand,
  localDownCommand,
  datasetsRegister,
  datasetsList,
  datasetsShow,
  jobsCreate,
  jobsList,
  jobsShow,
  jobsUpdateConfig,
  jobsDelete,
  run,
  runsList,
  runsShow,
  batches,
  exceptionsList,
  exceptionsShow,
  exceptionsResolve,
  exceptionsRequeue,
  diagnose,
];

const GROUPS = [...new Set(COMMANDS.filter((c) => c.words.length > 1).map((c) => c.words[0] as string))];

export type Lookup = { kind: 'command'; command: Command; rest: string[] } | { kind: 'help'; text: string };

/**
 * Find the command named by the first words of argv. `--help` without a command, or after a group's name,
 * asks for the overview or the group's list; anything else unknown is a usage error.
 */
export function lookup(argv: readonly string[]): Lookup {
  const [first, second] = argv;
  const asksHelp = (word: string | undefined) => word === '--help' || word === '-h';
  if (first === undefined) throw new UsageError(['a command is required'], overview());
  if (asksHelp(first)) return { kind: 'help', text: overview() };
  const single = COMMANDS.find((c) => c.words.length === 1 && c.words[0] === first);
  if (single) return { kind: 'command', command: single, rest: argv.slice(1) };
  if (!GROUPS.includes(first)) throw new UsageError([`unknown command "${first}"`], overview());
  if (asksHelp(second)) return { kind: 'help', text: groupHelp(first) };
  const sub = COMMANDS.find((c) => c.words[0] === first && c.words[1] === second);
  if (!sub) {
    const what =
      second === undefined ? `"${first}" needs a subcommand` : `unknown command "${first} ${second}"`;
    throw new UsageError([what], groupHelp(first));
  }
  return { kind: 'command', command: sub, rest: argv.slice(2) };
}

export function overview(): string {
  const lines = COMMANDS.map((c) => `  ${usageOf(c)}\n      ${c.summary}`);
  const target = Object.values(TARGET_FLAGS).map((f) => `  ${f.help}`);
  const common = Object.values(COMMON_FLAGS).map((f) => `  ${f.help}`);
  return [
    'usage: batchkeeper <command> [arguments] [flags]',
    '',
    'commands:',
    ...lines,
    '',
    'target (every command but local up/down):',
    ...target,
    '',
    'everywhere:',
    ...common,
    '',
    'exit codes: 0 success, 1 failure (a typed error), 2 usage error. See docs/cli.md.',
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const lines = COMMANDS.filter((c) => c.words[0] === group).map(
    (c) => `  ${usageOf(c)}\n      ${c.summary}`,
  );
  return [
    `usage: batchkeeper ${group} <subcommand> ...`,
    '',
    ...lines,
    '',
    `batchkeeper ${group} <subcommand> --help for its flags`,
    '',
  ].join('\n');
}

export function commandHelp(c: Command): string {
  const flags = Object.values(flagsOf(c)).map((f) => `  ${f.help}`);
  return [`usage: ${usageOf(c)}`, '', c.summary, '', 'flags:', ...flags, ''].join('\n');
}
