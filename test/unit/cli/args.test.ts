import { describe, expect, it } from 'vitest';
import { readArgs, validateArgs } from '../../../cli/commands/args.ts';
import { COMMANDS } from '../../../cli/commands/index.ts';
import { main } from '../../../cli/commands/main.ts';
import { run } from '../../../cli/commands/run.ts';
import { memoryIo } from '../../../cli/output.ts';

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const create = ['jobs', 'create', 'j1', '--dataset', 'd1', '--processor', 'normalize-address'];

/** [argv, text the message must contain]: each is a usage error, exit 2, naming the flag and the rule. */
const USAGE_ERRORS: [string[], string][] = [
  [[], 'a command is required'],
  [['frobnicate'], 'unknown command "frobnicate"'],
  [['jobs'], '"jobs" needs a subcommand'],
  [['jobs', 'frob'], 'unknown command "jobs frob"'],
  [[...create, '--bogus'], '--bogus: unknown flag'],
  [['jobs', 'create', 'j1', '--processor', 'p'], '--dataset: is required'],
  [[...create, '--batch-size', '0'], '--batch-size: must be >= 1'],
  [[...create, '--batch-size', 'ten'], '--batch-size: must be a positive integer'],
  [[...create, '--batch-size', '100001'], '--batch-size: must be <= 100000'],
  [
    [...create, '--batch-size', '10', '--batch-weight', '65536'],
    '--batch-weight: is not allowed together with --batch-size',
  ],
  [[...create, '--batch-weight', '-5'], '--batch-weight: must be a positive number'],
  [[...create, '--batch-weight', '10'], 'error: --batch-weight: must be >= 1024 bytes (1 KiB)\n'],
  [[...create, '--batch-weight', '0'], 'error: --batch-weight: must be >= 1024 bytes (1 KiB)\n'],
  [
    [...create, '--batch-weight', '10737418241'],
    'error: --batch-weight: must be <= 10737418240 bytes (10 GiB, the largest ephemeral storage of a worker)\n',
  ],
  [[...create, '--config', '{bad'], '--config: must be valid JSON'],
  [[...create, '--config', '[1]'], '--config: must be a JSON object'],
  [
    [...create, '--config', '{}', '--config-file', 'package.json'],
    '--config-file: is not allowed together with --config',
  ],
  [[...create, '--config-file', '/no/such/file.json'], '--config-file: must name an existing file'],
  [[...create, '--max-concurrency', '1.5'], '--max-concurrency: must be a positive integer'],
  [['jobs', 'create', 'bad id!', '--dataset', 'd', '--processor', 'p'], '<jobId>: must be 1-128 characters'],
  [['jobs', 'create', 'j1', '--dataset', '--processor', 'p'], '--dataset: needs a value'],
  [
    ['jobs', 'create', 'j1', '--dataset', 'a', '--dataset', 'b', '--processor', 'p'],
    '--dataset: given more than once',
  ],
  [['jobs', 'show'], '<jobId>: is required'],
  [['jobs', 'show', 'a', 'b'], 'unexpected argument "b"'],
  [['jobs', 'update-config', 'j1'], '--config: is required (or --config-file)'],
  [['jobs', 'delete', 'j1', '--force=yes'], '--force: takes no value'],
  [['run', 'j1', '--from', '10'], '--to: is required with --from'],
  [['run', 'j1', '--to', '10'], '--from: is required with --to'],
  [['run', 'j1', '--from', '10', '--to', '5'], '--from: must be <= --to'],
  [['run', 'j1', '--from', '0', '--to', '5'], '--from: must be >= 1'],
  [
    ['run', 'j1', '--retry-failed', '--from', '1', '--to', '2'],
    '--retry-failed: is not allowed with --from, --to or --sample-every',
  ],
  [['run', 'j1', '--limit', '5'], '--limit: is only allowed with --sample-every'],
  [['run', 'j1', '--sample-every', '0'], '--sample-every: must be >= 1'],
  [['run', 'j1', '--max-batches', 'many'], '--max-batches: must be a positive integer'],
  [['run', 'j1', '--name', 'has space'], '--name: must be 1-80 characters'],
  [['run', 'j1', '--wait=yes'], '--wait: takes no value'],
  [['batches', 'j1', '--status', 'DONE'], '--status: must be one of PENDING, RUNNING, SUCCEEDED, FAILED'],
  [['exceptions', 'list', 'j1', '--status', 'opened'], '--status: must be one of OPEN, RESOLVED, REQUEUED'],
  [['exceptions', 'resolve', 'j1', 'x1'], '--note: is required'],
  [['exceptions', 'resolve', 'j1', 'x1', '--note', ''], '--note: must not be empty'],
  [['diagnose', 'j1', 'abc'], '<batchStart>: must be a positive integer'],
  [
    ['datasets', 'register', 'd1', '/no/such/folder'],
    '<source>: must be an existing folder or file, or s3://bucket/prefix',
  ],
  [
    ['datasets', 'register', 'd1', 's3://'],
    '<source>: must be an existing folder or file, or s3://bucket/prefix',
  ],
  [
    ['datasets', 'register', 'd1', '.', '--secret-arn', 'nope'],
    '--secret-arn: must be a Secrets Manager secret ARN',
  ],
  [['jobs', 'list', '--data-dir', '/tmp/x'], '--data-dir: is only allowed with --local'],
  [['jobs', 'list', '--local', '--region', 'eu-west-1'], '--region: is not allowed with --local'],
  [['jobs', 'list', '--local', '--stack', 'Other'], '--stack: is not allowed with --local'],
  [['jobs', 'list', '--region', 'moon'], '--region: must be a region such as eu-west-1'],
  [['local', 'up', '--local'], '--local: unknown flag'],
  [['local', 'down', '--data-dir'], '--data-dir: needs a value'],
];

describe('batchkeeper argument parsing', () => {
  it.each(USAGE_ERRORS)('refuses %j with exit 2, naming the problem', async (argv, message) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(message);
    expect(stderr).toContain('usage: batchkeeper');
  });

  it('reports every problem of one command line at once', async () => {
    const { code, stderr } = await cli('jobs', 'create', 'j1', '--bogus', '--other', '--processor', 'p');
    expect(code).toBe(2);
    expect(stderr).toContain('--bogus: unknown flag');
    expect(stderr).toContain('--other: unknown flag');
  });

  it('prints a usage error as one JSON line on stderr with --json', async () => {
    const { code, stdout, stderr } = await cli('run', 'j1', '--from', '9', '--to', '1', '--json');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    const doc = JSON.parse(stderr) as { error: Record<string, unknown> };
    expect(doc.error).toMatchObject({ name: 'UsageError', exitCode: 2, message: '--from: must be <= --to' });
    expect(doc.error.usage).toMatch(/^batchkeeper run <jobId>/);
  });

  it('never prints a stack trace without --debug', async () => {
    const { stderr } = await cli('jobs', 'show');
    expect(stderr).not.toMatch(/\n\s+at /);
  });

  it.each(COMMANDS.map((c) => [c.words.join(' '), c] as const))(
    'answers %s --help with its usage, exit 0',
    async (_name, c) => {
      const { code, stdout } = await cli(...c.words, '--help');
      expect(code).toBe(0);
      expect(stdout).toContain(`usage: batchkeeper ${c.words.join(' ')}`);
      expect(stdout).toContain('--json');
    },
  );

  it('answers --help before complaining about other arguments', async () => {
    expect((await cli('jobs', 'create', '--bogus', '-h')).code).toBe(0);
  });

  it('lists every command for --help and a group for <group> --help', async () => {
    const all = await cli('--help');
    expect(all.code).toBe(0);
    for (const c of COMMANDS) expect(all.stdout).toContain(`batchkeeper ${c.words.join(' ')}`);
    const group = await cli('exceptions', '--help');
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('batchkeeper exceptions requeue');
  });
});

describe('run flags', () => {
  const inputOf = (...argv: string[]) => (validateArgs(run, readArgs(run, argv)) as { input: unknown }).input;

  it('is incremental without mode flags', () => {
    expect(inputOf('j1')).toEqual({ jobId: 'j1', mode: 'incremental' });
  });

  it('is a backfill with --from and --to', () => {
    expect(inputOf('j1', '--from', '1', '--to', '100', '--max-batches', '3')).toEqual({
      jobId: 'j1',
      mode: 'backfill',
      idStart: 1,
      idEnd: 100,
      maxBatches: 3,
    });
  });

  it('is retry-failed with --retry-failed', () => {
    expect(inputOf('j1', '--retry-failed')).toEqual({ jobId: 'j1', mode: 'retry-failed' });
  });

  it('is a sample with --sample-every and --limit', () => {
    expect(inputOf('j1', '--sample-every', '10', '--limit', '5')).toEqual({
      jobId: 'j1',
      mode: 'sample',
      every: 10,
      limit: 5,
    });
  });
});
