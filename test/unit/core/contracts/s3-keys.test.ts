import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DATASETS_PREFIX,
  datasetIdOfKey,
  datasetKeyOf,
  datasetPrefixOf,
  jobPrefixes,
  locationOf,
  MAP_RESULTS_WRITER_PREFIX,
  manifestKeyOf,
  outputKeyOf,
  outputPrefixOf,
  parseLocation,
  stagedKeyOf,
  WORK_PREFIXES,
} from '../../../../core/contracts/s3-keys.ts';
import type { BatchScope } from '../../../../core/model.ts';
import { MAX_ID } from '../../../../core/validation.ts';
import { RUN_JOB_ASL_PATH } from '../../../../infra/run-job-definition.ts';

const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));
const INVENTORY: BatchScope = { kind: 'inventory' };

const name = fc.stringMatching(/^[A-Za-z0-9][A-Za-z0-9._-]{0,20}$/);
const runId = fc.stringMatching(/^[A-Za-z0-9_-]{1,20}$/);
const id = fc.integer({ min: 1, max: MAX_ID });
const scope = fc.oneof(
  fc.constant(INVENTORY),
  runId.map((r): BatchScope => ({ kind: 'sample', runId: r })),
);

/** Every key the pipeline writes in the work bucket for one job, by its builder. */
const keysOfJob = (jobId: string, s: BatchScope, start: number, end: number, run: string, token: number) => [
  manifestKeyOf(jobId, run),
  outputKeyOf(jobId, s, { start, end }),
  stagedKeyOf(jobId, s, start, token),
];

describe('core/contracts/s3-keys.ts', () => {
  it('names outputs by job and range, samples apart per run, ids zero-padded to 16 digits', () => {
    expect(outputKeyOf('j', INVENTORY, { start: 1, end: 10 })).toBe(
      'outputs/j/0000000000000001-0000000000000010.jsonl',
    );
    expect(outputKeyOf('j', { kind: 'sample', runId: 'r1' }, { start: 11, end: 20 })).toBe(
      'samples/j/r1/0000000000000011-0000000000000020.jsonl',
    );
    expect(outputPrefixOf('j', INVENTORY)).toBe('outputs/j/');
  });

  it('reads the range back out of an output key, and keys list in id order', () => {
    fc.assert(
      fc.property(name, scope, id, id, (jobId, s, a, b) => {
        const [start, end] = a <= b ? [a, b] : [b, a];
        const key = outputKeyOf(jobId, s, { start, end });
        const m = /\/(\d{16})-(\d{16})\.jsonl$/.exec(key);
        expect(key.startsWith(outputPrefixOf(jobId, s))).toBe(true);
        expect([Number(m?.[1]), Number(m?.[2])]).toEqual([start, end]);
        const at = (n: number) => outputKeyOf(jobId, s, { start: n, end: n });
        expect(at(a) < at(b)).toBe(a < b);
      }),
    );
  });

  it('names a manifest per run and a staged object per attempt', () => {
    expect(manifestKeyOf('j', 'run-1')).toBe('manifests/j/run-1.json');
    expect(stagedKeyOf('j', INVENTORY, 1, 3)).toBe('staging/j/inventory/0000000000000001.3.jsonl');
    expect(stagedKeyOf('j', { kind: 'sample', runId: 'r1' }, 1, 3)).toBe(
      'staging/j/sample-r1/0000000000000001.3.jsonl',
    );
  });

  it("puts every key of a job under the job's prefixes, and none under another job's", () => {
    fc.assert(
      fc.property(name, name, scope, id, runId, fc.nat(), (jobId, otherId, s, start, run, token) => {
        const keys = keysOfJob(jobId, s, start, start, run, token);
        const mine = jobPrefixes(jobId);
        const work = Object.values(WORK_PREFIXES);
        for (const key of keys) {
          expect(
            mine.filter((p) => key.startsWith(p)),
            key,
          ).toHaveLength(1);
          expect(
            work.filter((p) => key.startsWith(p)),
            key,
          ).toHaveLength(1);
          if (otherId !== jobId)
            expect(
              jobPrefixes(otherId).some((p) => key.startsWith(p)),
              key,
            ).toBe(false);
        }
      }),
    );
  });

  it('finds the data set of a key under datasets/<datasetId>/ and of no other key', () => {
    fc.assert(
      fc.property(name, name, (datasetId, file) => {
        const key = datasetKeyOf(datasetId, file);
        expect(key.startsWith(datasetPrefixOf(datasetId))).toBe(true);
        expect(key.startsWith(DATASETS_PREFIX)).toBe(true);
        expect(datasetIdOfKey(key)).toBe(datasetId);
      }),
    );
    expect(datasetIdOfKey('datasets/d1/')).toBeUndefined();
    expect(datasetIdOfKey('outputs/d1/x.jsonl')).toBeUndefined();
  });

  it('reads an object location back into its bucket and key', () => {
    const key = datasetKeyOf('d1', 'part 1.jsonl');
    expect(locationOf('data', key)).toBe('s3://data/datasets/d1/part 1.jsonl');
    expect(parseLocation(locationOf('data', key))).toEqual({ bucket: 'data', key });
    expect(parseLocation('https://data/x')).toBeUndefined();
  });

  it('gives the Map ResultWriter its work bucket prefix, which run-job.asl.json takes as a placeholder', () => {
    expect(`${MAP_RESULTS_WRITER_PREFIX}/`).toBe(WORK_PREFIXES.mapResults);
    const text = readFileSync(RUN_JOB_ASL_PATH, 'utf8');
    const writer = JSON.parse(text).States.ProcessBatches.ResultWriter;
    expect(writer.Parameters.Prefix).toBe(`\${MapResultsPrefix}`);
    for (const prefix of [...Object.values(WORK_PREFIXES), DATASETS_PREFIX])
      expect(text).not.toContain(prefix);
  });
});

/** Source files of the code (tests and fixtures aside), relative to the repository root. */
function sourceFiles(): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(`${REPO_ROOT}${dir}`, { withFileTypes: true })) {
      const path = `${dir}/${entry.name}`;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.ts')) out.push(path);
    }
  };
  for (const dir of ['core', 'functions', 'infra', 'cli', 'bench']) walk(dir);
  return out;
}

describe('S3 keys in the code', () => {
  it('are all built by core/contracts/s3-keys.ts: no other file spells out a key prefix', () => {
    const prefixes = [...Object.values(WORK_PREFIXES), DATASETS_PREFIX].map((p) =>
      p.replace(/[-/]/g, '\\$&'),
    );
    // A string or template literal that starts with a prefix of the layout, outside comments.
    const literal = new RegExp(`['"\`](${prefixes.join('|')})`);
    const comment = /^\s*(\/\/|\/\*|\*)/;
    const offenders = sourceFiles()
      .filter((file) => file !== 'core/contracts/s3-keys.ts')
      .flatMap((file) =>
        readFileSync(`${REPO_ROOT}${file}`, 'utf8')
          .split('\n')
          .flatMap((line, i) =>
            literal.test(line) && !comment.test(line) ? [`${file}:${i + 1}: ${line.trim()}`] : [],
          ),
      );
    expect(offenders).toEqual([]);
  });
});
