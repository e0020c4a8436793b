import { describe, expect, it } from 'vitest';
import { readArgs, validateArgs } from '../../../cli/commands/args.ts';
import { detailText, jobsHistory } from '../../../cli/commands/jobs-history.ts';
import { main } from '../../../cli/commands/main.ts';
import { memoryIo } from '../../../cli/output.ts';

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const KINDS =
  'job-created, config-changed, run-planned, batch-split, attempt-started, attempt-ended, run-finished';

/** [argv after `jobs history j1`, the one error line]: usage errors, exit 2, each naming the flag once. */
const USAGE_ERRORS: [string[], string][] = [
  [['--since', 'yesterday'], '--since: must be an ISO 8601 time such as 2026-01-01T00:00:00Z'],
  [['--until', '2026-13-01'], '--until: must be an ISO 8601 time such as 2026-01-01T00:00:00Z'],
  [['--since', '2026-02-01', '--until', '2026-01-01T00:00:00Z'], '--since: must be <= --until'],
  [['--kind', 'split', '--kind', 'nope'], `--kind: must be one of ${KINDS}`],
  [['--limit', '0'], '--limit: must be >= 1'],
  [['--limit', '1001'], '--limit: must be <= 1000'],
  [['--limit', 'ten'], '--limit: must be a positive integer'],
];

describe('jobs history arguments', () => {
  it.each(USAGE_ERRORS)('refuses %j with exit 2, stating the rule once', async (argv, message) => {
    const { code, stdout, stderr } = await cli(
      'jobs',
      'history',
      'j1',
      ...argv,
      '--local',
      '--data-dir',
      '/tmp/bk-no-such-dir',
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(`error: ${message}`);
    expect(stderr.split(message)).toHaveLength(2);
  });

  it('reads a window, kinds, a limit and the order into the core’s query', () => {
    const raw = readArgs(jobsHistory, [
      'j1',
      '--since',
      '2026-01-01',
      '--until',
      '2026-01-02T12:00:00+02:00',
      '--kind',
      'attempt-ended',
      '--kind',
      'batch-split',
      '--limit',
      '50',
      '--newest-first',
    ]);

    expect(validateArgs(jobsHistory, raw)).toMatchObject({
      jobId: 'j1',
      since: '2026-01-01T00:00:00.000Z',
      until: '2026-01-02T10:00:00.000Z',
      kind: ['attempt-ended', 'batch-split'],
      limit: 50,
      'newest-first': true,
    });
  });

  it('shows a detail in a few words, hashes shortened and parts as ranges', () => {
    expect(
      detailText({ outcome: 'FAILED', configHash: `sha256:${'a'.repeat(64)}`, errorName: undefined }),
    ).toBe('outcome=FAILED configHash=aaaaaaaaaaaa');
    expect(
      detailText({
        parts: [
          { start: 1, end: 4 },
          { start: 5, end: 10 },
        ],
      }),
    ).toBe('parts=1..4,5..10');
  });
});
