import { PACKAGE_NAME, packageInfo } from '../package-info.ts';
import {
  COMMON_FLAGS,
  type Command,
  closest,
  didYouMean,
  flagsOf,
  TARGET_FLAGS,
  UsageError,
  usageOf,
} from './args.ts';
import { batches, diagnose } from './batches.ts';
import { consoleCommand } from './console.ts';
import { datasetsList, datasetsRegister, datasetsShow } from './datasets.ts';
import { datasetsAccept, datasetsDelete } from './datasets-lifecycle.ts';
import { eventsTail } from './events.ts';
import { EXCEPTIONS_COMMANDS } from './exceptions.ts';
import { graph } from './graph.ts';
import { initCommand } from './init.ts';
import { jobsCreate, jobsDelete, jobsList, jobsShow, jobsUpdateConfig } from './jobs.ts';
import { jobsHistory } from './jobs-history.ts';
import { localDownCommand, localUpCommand } from './local.ts';
import { run } from './run.ts';
import { runsList, runsShow } from './runs.ts';
import { triggersReconcile } from './triggers.ts';

/** Every command, in the order the help lists them. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  localUpCommand,
  localDownCommand,
  datasetsRegister,
  datasetsList,
  datasetsShow,
  datasetsAccept,
  datasetsDelete,
  jobsCreate,
  jobsList,
  jobsShow,
  jobsUpdateConfig,
  jobsHistory,
  jobsDelete,
  run,
  runsList,
  runsShow,
  batches,
  graph,
  eventsTail,
  triggersReconcile,
  ...EXCEPTIONS_COMMANDS,
  diagnose,
  consoleCommand,
];

const GROUPS = [...new Set(COMMANDS.filter((c) => c.words.length > 1).map((c) => c.words[0] as string))];
const SINGLES = COMMANDS.filter((c) => c.words.length === 1).map((c) => c.words[0] as string);

/** `help [<group> [<subcommand>]]` is answered here, not by a Command: it takes no target and no schema. */
const HELP = 'help';
const HELP_USAGE = `batchkeeper ${HELP} [<command>]`;

/** What to do: run a command, or print a text (help, version) and exit 0. */
export type Lookup = { kind: 'command'; command: Command; rest: string[] } | { kind: 'help'; text: string };

const asksHelp = (word: string | undefined) => word === '--help' || word === '-h';

/**
 * Find the command named by the first words of argv. `--help` without a command, or after a group's name,
 * asks for the overview or the group's list, `help <command>` the same as `<command> --help`, `--version`
 * the version; anything else unknown is a usage error, with the command it most likely meant.
 */
export function lookup(argv: readonly string[]): Lookup {
  const [first, second] = argv;
  if (first === undefined) throw new UsageError(['a command is required'], overview());
  if (asksHelp(first)) return { kind: 'help', text: overview() };
  if (first === '--version' || first === '-V') return { kind: 'help', text: versionText() };
  if (first === HELP) return { kind: 'help', text: helpOn(argv.slice(1)) };
  const single = COMMANDS.find((c) => c.words.length === 1 && c.words[0] === first);
  if (single) return { kind: 'command', command: single, rest: argv.slice(1) };
  if (!GROUPS.includes(first))
    throw new UsageError([`unknown command "${first}"${didYouMean(suggest(first, second))}`], overview());
  if (asksHelp(second)) return { kind: 'help', text: groupHelp(first) };
  const sub = COMMANDS.find((c) => c.words[0] === first && c.words[1] === second);
  if (!sub) {
    const what =
      second === undefined
        ? `"${first}" needs a subcommand`
        : `unknown command "${first} ${second}"${didYouMean(suggest(first, second))}`;
    throw new UsageError([what], groupHelp(first));
  }
  return { kind: 'command', command: sub, rest: argv.slice(2) };
}

export const versionText = (): string => `${PACKAGE_NAME} ${packageInfo().version}\n`;

/** What `help <topic>` prints: the same text as `<topic> --help`, and the same usage errors for a bad topic. */
function helpOn(topic: readonly string[]): string {
  const words = topic.filter((w) => !w.startsWith('-'));
  // --json and --debug change nothing here but are accepted, as everywhere.
  const flags = topic.filter((w) => w.startsWith('-') && !asksHelp(w) && w !== '--json' && w !== '--debug');
  if (flags.length > 0)
    throw new UsageError(
      flags.map((f) => `${f}: unknown flag`),
      HELP_USAGE,
    );
  const [group, sub, ...extra] = words;
  if (group === undefined || group === HELP) return overview();
  const single = COMMANDS.find((c) => c.words.length === 1 && c.words[0] === group);
  if (single) {
    if (sub !== undefined) throw unexpected([sub, ...extra]);
    return commandHelp(single);
  }
  if (!GROUPS.includes(group)) throw unknownTopic(group, sub, overview());
  if (sub === undefined) return groupHelp(group);
  const command = COMMANDS.find((c) => c.words[0] === group && c.words[1] === sub);
  if (!command) throw unknownTopic(group, sub, groupHelp(group));
  if (extra.length > 0) throw unexpected(extra);
  return commandHelp(command);
}

const unexpected = (words: readonly string[]) =>
  new UsageError(
    words.map((w) => `unexpected argument "${w}"`),
    HELP_USAGE,
  );

/** The suggestion names the help to ask for (`help jobs list`), not the command. */
function unknownTopic(group: string, sub: string | undefined, usage: string): UsageError {
  const hint = suggest(group, sub);
  const what = GROUPS.includes(group) ? `${group} ${sub}` : group;
  const topic = hint === undefined || hint === HELP ? undefined : `${HELP} ${hint}`;
  return new UsageError([`unknown command "${what}"${didYouMean(topic)}`], usage);
}

/**
 * The command words a mistyped command line most likely meant: the closest command or group to the first
 * word, then, for a group, the closest of its subcommands to the second (`jbos lst` -> `jobs list`). Only the
 * group when the second word is no near subcommand; nothing when the first word is not near anything.
 */
function suggest(first: string, second: string | undefined): string | undefined {
  const known = GROUPS.includes(first);
  const top = known ? first : closest(first, [...SINGLES, ...GROUPS, HELP]);
  if (top === undefined || !GROUPS.includes(top)) return top;
  const subs = COMMANDS.filter((c) => c.words[0] === top).map((c) => c.words[1] as string);
  const typed = second === undefined || second.startsWith('-') ? undefined : second;
  const sub = typed === undefined || subs.includes(typed) ? typed : closest(typed, subs);
  if (sub === undefined) return known ? undefined : top;
  return `${top} ${sub}`;
}

export function overview(): string {
  const lines = [
    ...COMMANDS.map((c) => `  ${usageOf(c)}\n      ${c.summary}`),
    `  ${HELP_USAGE}\n      this overview, a group's commands, or a command's usage and flags (as --help)`,
  ];
  const target = Object.values(TARGET_FLAGS).map((f) => `  ${f.help}`);
  const common = Object.values(COMMON_FLAGS).map((f) => `  ${f.help}`);
  return [
    'usage: batchkeeper <command> [arguments] [flags]',
    '       batchkeeper --version',
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

export function groupHelp(group: string): string {
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
