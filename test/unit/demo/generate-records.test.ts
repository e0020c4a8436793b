import { describe, expect, it } from 'vitest';
import {
  type GeneratedRecord,
  generateRecords,
  mulberry32,
  toJsonLines,
} from '../../../cli/demo/generate-records.ts';
import { ItemRejectedError, ValidationError } from '../../../core/errors.ts';
import {
  AddressConfig,
  addressNormalizer,
  normalizeAddress,
} from '../../../core/processors/address/normalize-address.ts';
import { ADDRESS_REJECTION_KINDS } from '../../../core/processors/address/rejections.ts';

const take = (options: Parameters<typeof generateRecords>[0]): GeneratedRecord[] => [
  ...generateRecords(options),
];

function rejectionKind(address: string): string | undefined {
  try {
    normalizeAddress(address, AddressConfig.parse({}));
    return undefined;
  } catch (e) {
    if (e instanceof ItemRejectedError) return e.kind;
    throw e;
  }
}

describe('mulberry32', () => {
  it('repeats its sequence for a seed and stays in [0, 1)', () => {
    const a = mulberry32(42);
    const b = mulberry32(42);
    const xs = Array.from({ length: 1000 }, () => a());
    expect(xs).toEqual(Array.from({ length: 1000 }, () => b()));
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    expect(new Set(xs).size).toBe(1000);
  });
});

describe('generateRecords', () => {
  it('gives byte-identical output for the same seed', () => {
    const first = toJsonLines(generateRecords({ seed: 7, start: 1, count: 2000 }));
    const second = toJsonLines(generateRecords({ seed: 7, start: 1, count: 2000 }));
    expect(second).toBe(first);
    expect(toJsonLines(generateRecords({ seed: 8, start: 1, count: 2000 }))).not.toBe(first);
  });

  it('gives the same record for an id whatever window it is cut from', () => {
    const whole = take({ seed: 3, start: 1, count: 300 });
    expect(take({ seed: 3, start: 101, count: 50 })).toEqual(whole.slice(100, 150));
  });

  it('numbers the records from start', () => {
    expect(take({ seed: 1, start: 1_000_000, count: 3 }).map((r) => r.id)).toEqual([
      1_000_000, 1_000_001, 1_000_002,
    ]);
    expect(take({ seed: 1, start: 5, count: 0 })).toEqual([]);
  });

  it('makes records that pass the processor’s item schema, with realistic shapes', () => {
    const records = take({ seed: 11, start: 1, count: 2000 });
    for (const { record } of records) expect(addressNormalizer.parseItem(record).ok).toBe(true);
    const names = records.map((r) => r.record.name);
    expect(names.every((n) => /(Kft|Bt|Zrt|Nyrt)\.$/.test(n))).toBe(true);
    for (const form of ['Kft.', 'Bt.', 'Zrt.']) expect(names.some((n) => n.endsWith(form))).toBe(true);
    expect(records.some((r) => r.record.address.includes('Budapest'))).toBe(true);
    expect(records.some((r) => / em\.| emelet|fszt|\/\d+\.$/.test(r.record.address))).toBe(true);
    expect(new Set(records.map((r) => r.record.registryNumber)).size).toBeGreaterThan(1990);
  });

  it('makes about badRate of them bad (within ±0.5% over 100,000)', () => {
    let bad = 0;
    for (const r of generateRecords({ seed: 2024, start: 1, count: 100_000 })) if (r.bad) bad++;
    expect(Math.abs(bad / 100_000 - 0.02)).toBeLessThan(0.005);
  });

  it('honours another badRate', () => {
    let bad = 0;
    for (const r of generateRecords({ seed: 5, start: 1, count: 20_000, badRate: 0.1 })) if (r.bad) bad++;
    expect(Math.abs(bad / 20_000 - 0.1)).toBeLessThan(0.01);
  });

  it('makes records the normaliser accepts when good, and rejects for the intended reason when bad', () => {
    const kinds = new Set<string>();
    for (const generated of generateRecords({ seed: 99, start: 1, count: 20_000 })) {
      const kind = rejectionKind(generated.record.address);
      if (generated.bad) {
        expect({ address: generated.record.address, kind }).toEqual({
          address: generated.record.address,
          kind: generated.kind,
        });
        kinds.add(generated.kind);
      } else {
        expect({ address: generated.record.address, kind }).toEqual({
          address: generated.record.address,
          kind: undefined,
        });
      }
    }
    expect([...kinds].sort()).toEqual([...ADDRESS_REJECTION_KINDS].sort());
  });

  it.each([
    [{ seed: 1.5, start: 1, count: 1 }, 'seed'],
    [{ seed: 1, start: 0, count: 1 }, 'start'],
    [{ seed: 1, start: 1, count: -1 }, 'count'],
    [{ seed: 1, start: 1, count: 1, badRate: 2 }, 'badRate'],
  ])('refuses the options %j, naming %s', (options, field) => {
    expect(() => take(options)).toThrow(ValidationError);
    expect(() => take(options)).toThrow(new RegExp(`^invalid generator options: ${field}:`));
  });
});

describe('toJsonLines', () => {
  it('writes one JSON object per line, from records or generated records', () => {
    const generated = take({ seed: 4, start: 1, count: 3 });
    const text = toJsonLines(generated);
    expect(text.endsWith('\n')).toBe(true);
    const lines = text.trimEnd().split('\n');
    expect(lines.map((l) => JSON.parse(l))).toEqual(generated.map((g) => g.record));
    expect(toJsonLines(generated.map((g) => g.record))).toBe(text);
    expect(toJsonLines([])).toBe('');
  });
});
