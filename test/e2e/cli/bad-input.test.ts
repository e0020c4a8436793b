import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type CliEnv, type CliResult, recordsFolder, startCliEnv } from './harness.ts';

/**
 * Bad input on the command line: each is refused with one typed error that names the flag and the rule once,
 * exit 1 (or 2 for a usage error), no stack trace, an empty stdout under --json, and nothing started or written.
 */
describe('batchkeeper CLI on the local mode: bad input is refused before anything starts', () => {
  let env: CliEnv;
  const job = 'addresses';

  beforeAll(async () => {
    env = await startCliEnv('bad-input');
    const folder = await recordsFolder(env, 'load', { start: 1, count: 40, perFile: 40 });
    expect((await env.cli('datasets', 'register', 'registry', folder.dir)).code).toBe(0);
    const created = await env.cli('jobs', 'create', job, '--dataset', 'registry', '--processor', 'noop');
    expect(created.code).toBe(0);
  });

  afterAll(async () => {
    await env?.stop();
  });

  const executions = async () =>
    (
      await env.mode.clients.sfn.send(
        new ListExecutionsCommand({ stateMachineArn: env.mode.state.stateMachineArn }),
      )
    ).executions?.length ?? 0;

  /** The one JSON error document of stderr, with stdout empty and no stack trace anywhere. */
  function jsonError(r: CliResult): { name: string; message: string } {
    expect(r.stdout).toBe('');
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('{'));
    expect(lines).toHaveLength(1);
    return (JSON.parse(lines[0] as string) as { error: { name: string; message: string } }).error;
  }

  it('refuses a run of a job that does not exist, with or without --wait, starting no execution', async () => {
    const before = await executions();
    for (const wait of [['--wait'], []]) {
      const r = await env.cli('run', 'no-such-job', ...wait, '--json');
      expect(r.code).toBe(1);
      expect(jsonError(r)).toMatchObject({ name: 'JobNotFoundError' });
    }
    expect(await executions()).toBe(before);
  });

  it('refuses a backfill beyond the last id of the data set, naming the flag and the last id', async () => {
    const before = await executions();
    const part = await env.cli('run', job, '--from', '30', '--to', '500', '--json');
    expect(part.code).toBe(1);
    expect(jsonError(part).message).toBe(
      'invalid run: --to: must be <= 40, the last id of data set registry',
    );
    const all = await env.cli('run', job, '--from', '41', '--to', '500');
    expect(all.code).toBe(1);
    expect(all.stderr).toContain('--from: must be <= 40, the last id of data set registry');
    expect(all.stderr).toContain('--to: must be <= 40');
    expect(await executions()).toBe(before);
  });

  it('states each broken flag rule once', async () => {
    for (const [args, message] of [
      [['--from', 'x', '--to', '5'], '--from: must be a positive integer\n'],
      [['--sample-every', '0'], '--sample-every: must be >= 1\n'],
      [['--max-concurrency', '100000'], '--max-concurrency: must be <= 10000\n'],
    ] as const) {
      const r = await env.cli('run', job, ...args);
      expect(r.code).toBe(2);
      expect(r.stderr).toContain(`error: ${message}`);
    }
  });

  it('refuses a --batch-weight under 1 KiB or over 10 GiB, naming the flag and the rule once, creating no job', async () => {
    const jobs = async () => (await env.json<{ jobs: unknown[] }>('jobs', 'list')).doc.jobs;
    const before = await jobs();
    for (const [weight, rule] of [
      ['10', 'must be >= 1024 bytes (1 KiB)'],
      ['1023.5', 'must be >= 1024 bytes (1 KiB)'],
      ['10737418241', 'must be <= 10737418240 bytes (10 GiB, the largest ephemeral storage of a worker)'],
    ] as const) {
      const args = ['--dataset', 'registry', '--processor', 'noop', '--batch-weight', weight];
      const r = await env.cli('jobs', 'create', 'weighed', ...args, '--json');
      expect(r.code).toBe(2);
      expect(jsonError(r)).toMatchObject({ name: 'UsageError', message: `--batch-weight: ${rule}` });
    }
    const shown = await env.cli('jobs', 'show', 'weighed', '--json');
    expect(shown.code).toBe(1);
    expect(jsonError(shown)).toMatchObject({ name: 'JobNotFoundError' });
    expect(await jobs()).toEqual(before);
  });

  it('takes a status in any case', async () => {
    const r = await env.json<{ exceptions: unknown[] }>('exceptions', 'list', job, '--status', 'open');
    expect(r.code).toBe(0);
    expect(r.doc.exceptions).toEqual([]);
  });

  it('refuses to delete a job that does not exist', async () => {
    const r = await env.cli('jobs', 'delete', 'no-such-job', '--json');
    expect(r.code).toBe(1);
    expect(jsonError(r)).toMatchObject({ name: 'JobNotFoundError' });
  });

  it('refuses to requeue an exception that does not exist, and leaves no exceptions data set behind', async () => {
    const r = await env.cli('exceptions', 'requeue', job, '--id', '7', '--json');
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(jsonError(r)).toMatchObject({ name: 'ExceptionNotFoundError' });
    const shown = await env.cli('datasets', 'show', `${job}.exceptions`);
    expect(shown.code).toBe(1);
    expect(shown.stderr).toContain('DatasetNotFoundError');
  });

  describe('datasets register', () => {
    /** The data set is absent and the data bucket holds nothing under its prefix. */
    async function nothingLeftOf(datasetId: string) {
      const shown = await env.cli('datasets', 'show', datasetId);
      expect(shown.code).toBe(1);
      expect(shown.stderr).toContain('DatasetNotFoundError');
      const listed = await env.mode.clients.s3.send(
        new ListObjectsV2Command({ Bucket: env.mode.state.buckets.data, Prefix: `datasets/${datasetId}/` }),
      );
      expect(listed.KeyCount ?? 0).toBe(0);
    }

    it('refuses a folder without *.jsonl files, leaving no data set', async () => {
      const dir = join(env.dataDir, 'empty-folder');
      mkdirSync(dir);
      const r = await env.cli('datasets', 'register', 'nothing', dir, '--json');
      expect(r.code).toBe(1);
      expect(jsonError(r).message).toBe(`invalid datasets register: source: holds no *.jsonl files (${dir})`);
      await nothingLeftOf('nothing');
    });

    it('refuses a folder whose files hold no item', async () => {
      const dir = join(env.dataDir, 'blank-files');
      mkdirSync(dir);
      writeFileSync(join(dir, 'a.jsonl'), '');
      const r = await env.cli('datasets', 'register', 'blank', dir);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('source: holds no item: every object is empty');
      await nothingLeftOf('blank');
    });

    it('refuses a bucket that does not exist, leaving no data set', async () => {
      const r = await env.cli('datasets', 'register', 'nowhere', 's3://no-such-bucket/x/');
      expect(r.code).toBe(1);
      expect(r.stderr).toContain('source: names bucket no-such-bucket, which does not exist');
      await nothingLeftOf('nowhere');
    });

    it('refuses lines that are not one JSON object in UTF-8, naming file and line, uploading nothing', async () => {
      const dir = join(env.dataDir, 'bad-lines');
      mkdirSync(dir);
      const file = join(dir, 'a.jsonl');
      writeFileSync(
        file,
        Buffer.concat([
          Buffer.from('{"ok":1}\n[1,2,3]\n\nnot json\n{"a":"'),
          Buffer.from([0xc3, 0x28]),
          Buffer.from('"}\n'),
        ]),
      );
      writeFileSync(join(dir, 'b.jsonl'), '{"fine":true}\n');
      const r = await env.cli('datasets', 'register', 'bad', dir, '--json');
      expect(r.code).toBe(1);
      expect(jsonError(r).message).toBe(
        'invalid data set source ' +
          `${dir} (every line must be one JSON object): ${file}:2: must be a JSON object (is an array); ` +
          `${file}:3: must be a JSON object (the line is blank); ` +
          `${file}:4: must be a JSON object (the line is not JSON); ${file}:5: must be valid UTF-8`,
      );
      await nothingLeftOf('bad');
    });
  });
});
