import { describe, expect, it } from 'vitest';
import { outcomeText } from '../../../cli/commands/run.ts';
import type { RunOutcome } from '../../../cli/commands/run-wait.ts';

const outcome = (failed: number): RunOutcome => ({
  jobId: 'addr',
  runId: 'incremental-1',
  executionArn: 'arn:aws:states:us-east-1:000000000000:execution:sm:incremental-1',
  input: { jobId: 'addr', mode: 'incremental' },
  startDate: '2026-12-02T10:00:00.000Z',
  status: failed ? 'FAILED' : 'SUCCEEDED',
  batches: { planned: 4, succeeded: 4 - failed, failed, notDone: 0 },
  items: { succeeded: 30, excepted: 2 },
  durationMs: 1200,
});

describe('the summary of a waited-for run', () => {
  it('points a run with failed batches to the commands that say why', () => {
    expect(outcomeText(outcome(2))).toContain(
      '  why         batchkeeper batches addr --status FAILED, then batchkeeper diagnose addr <batchStart>\n',
    );
  });

  it('says nothing of the kind when every batch succeeded', () => {
    expect(outcomeText(outcome(0))).not.toContain('diagnose');
  });
});
