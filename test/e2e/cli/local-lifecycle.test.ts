import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isAlive } from '../../../cli/local/engines/processes.ts';
import { ROOT, runCli } from './harness.ts';

type Ready = {
  event: string;
  pid: number;
  endpoints: Record<string, string>;
  stateMachineArn: string;
  env: Record<string, string>;
};

describe('batchkeeper local up / local down', () => {
  let dataDir = '';

  afterAll(async () => {
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('starts in the foreground, prints one ready line, serves the CLI, and stops on local down', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'bk-e2e-lifecycle-'));
    const child = spawn(
      join(ROOT, 'node_modules', '.bin', 'tsx'),
      ['cli/bin.ts', 'local', 'up', '--data-dir', dataDir, '--json'],
      {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const ready = await firstLine(child.stdout);
      const doc = JSON.parse(ready) as Ready;
      expect(doc).toMatchObject({
        event: 'ready',
        stateMachineArn: expect.stringContaining(':stateMachine:'),
      });
      expect(Object.keys(doc.endpoints).sort()).toEqual(['dynamodb', 'kms', 's3', 'secretsmanager', 'sfn']);
      expect(doc.env.AWS_ENDPOINT_URL_SFN).toBe(doc.endpoints.sfn);
      const listed = await runCli(['jobs', 'list', '--local', '--data-dir', dataDir, '--json']);
      expect(listed.code).toBe(0);
      expect(JSON.parse(listed.stdout)).toEqual({ jobs: [] });
      const down = await runCli(['local', 'down', '--data-dir', dataDir, '--json']);
      expect(down.code).toBe(0);
      expect(JSON.parse(down.stdout)).toEqual({ pid: doc.pid, wasRunning: true, stopped: true });
      expect(await exited).toBe(0);
      expect(isAlive(doc.pid)).toBe(false);
      const again = await runCli(['local', 'down', '--data-dir', dataDir, '--json']);
      expect(JSON.parse(again.stdout)).toMatchObject({ wasRunning: false });
      const gone = await runCli(['jobs', 'list', '--local', '--data-dir', dataDir]);
      expect(gone.code).toBe(1);
      expect(gone.stderr).toContain('LocalServiceError');
    } finally {
      if (child.exitCode === null) child.kill('SIGTERM');
    }
  });
});

/** The first line a stream prints (the local mode's ready document). */
function firstLine(stream: NodeJS.ReadableStream): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    stream.on('data', (d: Buffer) => {
      text += d.toString('utf8');
      const end = text.indexOf('\n');
      if (end >= 0) resolve(text.slice(0, end));
    });
    stream.once('end', () => reject(new Error(`no line before the end: ${text}`)));
  });
}
