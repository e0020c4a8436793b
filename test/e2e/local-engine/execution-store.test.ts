import { appendFileSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ExecutionStore } from '../../../cli/local/engines/stepfunctions/execution-store.ts';
import { newLane } from '../../../cli/local/engines/stepfunctions/sfn-history.ts';

const dir = mkdtempSync(join(tmpdir(), 'bk-executions-'));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ExecutionStore on disk', () => {
  it('reopens closed executions as they were and ends the RUNNING ones ABORTED', async () => {
    const store = ExecutionStore.open(dir);
    const arn = (name: string) => `arn:aws:states:us-east-1:000000000000:execution:m:${name}`;
    const base = {
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:m',
      startDate: Date.now(),
      input: '{}',
    };
    const done = store.create({ ...base, executionArn: arn('done'), name: 'done' });
    const running = store.create({ ...base, executionArn: arn('running'), name: 'running' });
    for (const record of [done, running])
      store.historyOf(record).append(newLane(), 'ExecutionStarted', { input: '{}' });
    store.close(done, { status: 'SUCCEEDED', output: '{"ok":true}' });
    await store.shutdown();
    // A crash in the middle of an append leaves half a line behind.
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.events.jsonl'))) {
      appendFileSync(join(dir, file), '{"timestamp": 1, "ty');
    }

    const reopened = ExecutionStore.open(dir);

    expect(reopened.get(arn('done'))).toMatchObject({ status: 'SUCCEEDED', output: '{"ok":true}' });
    expect(reopened.get(arn('running'))).toMatchObject({ status: 'ABORTED' });
    expect(reopened.get(arn('running'))?.history.map((e) => [e.id, e.type])).toEqual([
      [1, 'ExecutionStarted'],
      [2, 'ExecutionAborted'],
    ]);
    expect(
      reopened
        .list(base.stateMachineArn)
        .map((r) => r.name)
        .sort(),
    ).toEqual(['done', 'running']);
    await reopened.shutdown();
    // The cut line is gone: the event appended after it reads back on the next start.
    const third = ExecutionStore.open(dir);
    expect(third.get(arn('running'))?.history.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'ExecutionAborted',
    ]);
    await third.shutdown();
  });
});
