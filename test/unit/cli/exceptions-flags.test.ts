import { describe, expect, it } from 'vitest';
import { readArgs, validateArgs } from '../../../cli/commands/args.ts';
import { CSV_COLUMNS, csvField, csvRecord } from '../../../cli/commands/exceptions-export.ts';
import { exceptionsRequeue, exceptionsResolve } from '../../../cli/commands/exceptions-review.ts';
import { main } from '../../../cli/commands/main.ts';
import { memoryIo } from '../../../cli/output.ts';
import type { ItemException } from '../../../core/model.ts';

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

/** [argv, the one error line]: usage errors, exit 2, each naming the flag and the rule once. */
const USAGE_ERRORS: [string[], string][] = [
  [
    ['exceptions', 'list', 'j1', '--status', 'done'],
    '--status: must be one of OPEN, RESOLVED, REQUEUED, SUPERSEDED',
  ],
  [['exceptions', 'list', 'j1', '--from', '9', '--to', '3'], '--from: must be <= --to'],
  [['exceptions', 'list', 'j1', '--kind', '', '--kind', ''], '--kind: must not be empty'],
  [['exceptions', 'list', 'j1', '--run', 'has space'], '--run: must be 1-80 characters of A-Z a-z 0-9 _ -'],
  [['exceptions', 'summary', 'j1', '--sample', ''], '--sample: must be 1-80 characters of A-Z a-z 0-9 _ -'],
  [['exceptions', 'export', 'j1', '--format', 'xml'], '--format: must be jsonl or csv'],
  [['exceptions', 'export', 'j1', '--out', '/no/such/folder/x.csv'], '--out: must be in an existing folder'],
  [['exceptions', 'export', 'j1', '--out', '/tmp'], '--out: must be a file, not a folder'],
  [
    ['exceptions', 'resolve', 'j1', '--note', 'n'],
    'exceptions to resolve: must be given: <exceptionId> or --id, --kind, --run, --from, --to, or --all',
  ],
  [['exceptions', 'resolve', 'j1', '--all'], '--note: is required'],
  [
    ['exceptions', 'resolve', 'j1', '7', '--kind', 'k', '--note', 'n'],
    '<exceptionId>: is not allowed with --kind, --run, --from, --to or --all',
  ],
  [
    ['exceptions', 'resolve', 'j1', '--all', '--run', 'r1', '--note', 'n'],
    '--all: is not allowed with --kind',
  ],
  [
    ['exceptions', 'requeue', 'j1', '--id', '7', '--id', 'x#1'],
    '--id: must be an item id, or S#<runId>#<item id> for a sample run',
  ],
  [['exceptions', 'requeue', 'j1', '--id', '7', '--all'], '--id: is not allowed with'],
  [['exceptions', 'show', 'j1', 'nope'], '<exceptionId>: must be an item id'],
];

describe('exceptions flags', () => {
  it.each(USAGE_ERRORS)('refuses %j with exit 2, stating the rule once', async (argv, message) => {
    const { code, stdout, stderr } = await cli(...argv, '--local', '--data-dir', '/tmp/bk-no-such-dir');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`error: ${message}`);
    expect(stderr.split(message)).toHaveLength(2);
  });

  it('keeps stdout empty and prints one JSON error under --json', async () => {
    const { code, stdout, stderr } = await cli('exceptions', 'resolve', 'j1', '--note', 'n', '--json');
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(JSON.parse(stderr)).toMatchObject({ error: { name: 'UsageError', exitCode: 2 } });
  });

  it('takes the exception id of resolve as an optional positional, or --id, or a filter', () => {
    const parse = (...argv: string[]) =>
      validateArgs(exceptionsResolve, readArgs(exceptionsResolve, argv)) as Record<string, unknown>;
    expect(parse('j1', '7', '--note', 'n')).toMatchObject({ jobId: 'j1', exceptionId: '7' });
    expect(parse('j1', '--id', '7', '--id', 'S#r1#8', '--note', 'n')).toMatchObject({
      id: ['7', 'S#r1#8'],
    });
    expect(parse('j1', '--kind', 'a', '--kind', 'b', '--from', '3', '--note', 'n')).toMatchObject({
      kind: ['a', 'b'],
      from: 3,
    });
  });

  it('requeues every open exception when no selector is given', () => {
    const a = validateArgs(exceptionsRequeue, readArgs(exceptionsRequeue, ['j1'])) as Record<string, unknown>;
    expect(a).toMatchObject({ jobId: 'j1' });
    expect(a.id ?? a.kind ?? a.all).toBeUndefined();
  });
});

describe('exceptions export as CSV (RFC 4180)', () => {
  const x: ItemException = {
    jobId: 'j1',
    exceptionId: '0000000000000003',
    itemId: 3,
    runId: 'r1',
    batchStart: 1,
    kind: 'missing-city',
    details: { reason: 'no "city"', address: 'Fő utca 1, Pécs' },
    status: 'RESOLVED',
    createdAt: '2026-01-01T00:00:00.000Z',
    lastSeenAt: '2026-01-02T00:00:00.000Z',
    occurrences: 2,
    lastOccurrence: 'r1#1#1',
    requeues: 0,
    note: 'line one\nline "two", done',
  };

  it('quotes fields with commas, quotes or line breaks, doubling the quotes', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    expect(csvField(undefined)).toBe('');
  });

  it('writes the columns in order, details as JSON, each record ending in CRLF', () => {
    expect(CSV_COLUMNS.join(',')).toBe(
      'exceptionId,itemId,status,kind,runId,batchStart,occurrences,createdAt,lastSeenAt,note,details',
    );
    expect(csvRecord(x)).toBe(
      '0000000000000003,3,RESOLVED,missing-city,r1,1,2,2026-01-01T00:00:00.000Z,2026-01-02T00:00:00.000Z,' +
        '"line one\nline ""two"", done","{""reason"":""no \\""city\\"""",""address"":""Fő utca 1, Pécs""}"\r\n',
    );
  });
});
