import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateRecords, toJsonLines } from './generate-records.ts';

export interface Chunks {
  readonly dir: string;
  readonly files: string[];
  readonly records: number;
  readonly bad: number;
}

/**
 * Write company-registry records `start..start+count-1` as JSON Lines files of `perFile` records into a fresh
 * folder. File names carry the first id, so that name order (the order `datasets register` gives ids in) is id
 * order. The same seed always gives the same bytes.
 * @example await writeChunks('/tmp/demo/batch-1', { seed: 2024, start: 1, count: 100_000, perFile: 10_000 });
 */
export async function writeChunks(
  dir: string,
  o: { seed: number; start: number; count: number; perFile: number; badRate?: number },
): Promise<Chunks> {
  await mkdir(dir, { recursive: true });
  const files: string[] = [];
  let bad = 0;
  for (let first = o.start; first < o.start + o.count; first += o.perFile) {
    const count = Math.min(o.perFile, o.start + o.count - first);
    const records = [...generateRecords({ seed: o.seed, start: first, count, badRate: o.badRate })];
    bad += records.filter((r) => r.bad).length;
    const file = join(dir, `companies-${String(first).padStart(9, '0')}.jsonl`);
    await writeFile(file, toJsonLines(records));
    files.push(file);
  }
  return { dir, files, records: o.count, bad };
}
