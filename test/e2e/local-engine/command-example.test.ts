import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANTED_KINDS, writeCompanyIdChunks } from '../../../cli/demo/company-ids.ts';
import { companyRecords } from '../../../cli/demo/company-records.ts';
import { summarizeExceptions } from '../../../core/exceptions/exceptions.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { seedDataset } from '../../support/core-env.ts';
import { outputsOf, runJob, useWorkRoot, workFoldersIn } from './command-support.ts';
import { startTestLocal, type TestLocal } from './support.ts';

const workRoot = useWorkRoot();
const dir = mkdtempSync(join(tmpdir(), 'bk-company-ids-'));
let local: TestLocal;

beforeAll(async () => {
  local = await startTestLocal([companyRecords]);
});

afterAll(async () => {
  await local?.stop();
  rmSync(dir, { recursive: true, force: true });
  rmSync(workRoot, { recursive: true, force: true });
});

describe('the Python example (examples/python-command) through the local mode', () => {
  it('normalises the scanned registry records and sets each spoiled one aside with its kind', async () => {
    const planted = await writeCompanyIdChunks(dir, { seed: 7, count: 3_000, perFile: 3_000 });
    const lines = readdirSync(dir).flatMap((f) => readFileSync(join(dir, f), 'utf8').trimEnd().split('\n'));
    const { deps } = local.mode;
    await seedDataset(deps, 'scanned', lines.length, {
      chunk: 500,
      record: (i) => JSON.parse(lines[i - 1] as string),
    });
    await createJob(deps, {
      jobId: 'ids',
      datasetId: 'scanned',
      processor: { name: 'company-records' },
      batching: { by: 'count', size: 500 },
    });

    const { out, batches } = await runJob(local, 'ids');

    expect(out.status).toBe('SUCCEEDED');
    expect(batches.every((b) => b.status === 'SUCCEEDED')).toBe(true);
    const summary = await summarizeExceptions(deps, 'ids', { status: 'OPEN' });
    for (const kind of PLANTED_KINDS) expect(summary.byKind[kind] ?? 0, kind).toBe(planted.bad[kind]);
    const bad = Object.values(planted.bad).reduce((a, b) => a + b, 0);
    const rows = await outputsOf(local, 'ids');
    expect(rows).toHaveLength(3_000 - bad);
    for (const { output } of rows)
      expect((output as { registryNumber: string }).registryNumber).toMatch(/^\d{2}-\d{2}-\d{6}$/);
    expect(workFoldersIn(workRoot)).toEqual([]);
  });
});
