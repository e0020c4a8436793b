import { describe, expect, it } from 'vitest';
import { contentWarnings } from '../../../cli/commands/datasets-lifecycle.ts';
import { LOCATIONS_SHOWN } from '../../../core/catalog/content-changes.ts';

const changed = (i: number) => ({
  location: `s3://data/datasets/ds/${i}.jsonl`,
  ids: { start: i * 10 + 1, end: i * 10 + 10 },
  registered: { size: 1200, checksum: 'sha256:aaaaaaaaaaaaaaaa' },
  found: { size: 1300, checksum: 'sha256:bbbbbbbbbbbbbbbb' },
});

describe('contentWarnings', () => {
  it('prints one warning line per changed location, capped, with the count and the command that accepts', () => {
    const text = contentWarnings({
      datasetId: 'ds',
      changed: Array.from({ length: LOCATIONS_SHOWN + 3 }, (_, i) => changed(i)),
      duplicates: [],
    });

    const lines = text.trimEnd().split('\n');
    expect(lines[0]).toBe(
      `warning: ${LOCATIONS_SHOWN + 3} registered location(s) changed; not registered again, their batches fail until accepted:`,
    );
    expect(lines[1]).toBe(
      'warning: changed s3://data/datasets/ds/0.jsonl (ids 1..10): registered 1,200 B sha256 aaaaaaaaaaaa, now 1,300 B sha256 bbbbbbbbbbbb',
    );
    expect(lines.filter((l) => l.startsWith('warning: changed'))).toHaveLength(LOCATIONS_SHOWN);
    expect(lines).toContain('warning: ... and 3 more (all of them under --json)');
    expect(lines.at(-1)).toBe(
      'warning: accept a corrected object with: batchkeeper datasets accept ds <location>',
    );
  });

  it('says a duplicate was registered all the same, and says nothing when all is well', () => {
    const text = contentWarnings({
      datasetId: 'ds',
      changed: [],
      duplicates: [{ location: 's3://d/b.jsonl', sameAs: 's3://d/a.jsonl' }],
    });

    expect(text).toBe(
      'warning: 1 object(s) hold content the data set already has; registered all the same, under new ids:\n' +
        'warning: duplicate s3://d/b.jsonl holds the same bytes as s3://d/a.jsonl\n',
    );
    expect(contentWarnings({ datasetId: 'ds', changed: [], duplicates: [] })).toBe('');
  });
});
