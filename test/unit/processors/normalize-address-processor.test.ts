import { describe, expect, it } from 'vitest';
import { ItemRejectedError } from '../../../core/errors.ts';
import {
  type AddressConfig,
  addressNormalizer,
  type CompanyRecord,
} from '../../../core/processors/address/normalize-address.ts';
import type { BatchContext } from '../../../core/processors/define-processor.ts';

const record: CompanyRecord = {
  registryNumber: '01-09-123456',
  name: 'Duna Építőipari Kft.',
  address: '1117 Budapest XI. kerület, Október huszonharmadika utca 8-10. B. ép. 3. lph. 4. em. 12. ajtó',
  founded: '1998-04-01',
};

function contextOf(raw: unknown): BatchContext<AddressConfig, undefined> {
  return {
    jobId: 'registry',
    runId: 'run-1',
    batch: { start: 1, end: 100 },
    config: addressNormalizer.parseConfig(raw),
    state: undefined,
    secret: async () => undefined,
    log: { info: () => {}, warn: () => {} },
  };
}

describe('normalize-address processor', () => {
  it('is named and versioned for jobs to refer to', () => {
    expect(addressNormalizer.name).toBe('normalize-address');
    expect(addressNormalizer.version).toBe('1');
    expect(addressNormalizer.workerSize).toBe('small');
  });

  it('normalises a record into JSON data, with the address on one line', async () => {
    const output = await addressNormalizer.processItem(record, { id: 1, ctx: contextOf({}) });
    expect(output).toEqual({
      registryNumber: '01-09-123456',
      name: 'Duna Építőipari Kft.',
      founded: '1998-04-01',
      address: {
        postalCode: '1117',
        city: 'Budapest',
        district: 'XI',
        streetName: 'Október huszonharmadika',
        streetType: 'utca',
        houseNumber: '8-10',
        building: 'B',
        staircase: '3',
        floor: '4',
        door: '12',
      },
      formatted: '1117 Budapest XI. kerület, Október huszonharmadika utca 8-10. B. ép. 3. lph. 4. em. 12.',
    });
    expect(JSON.parse(JSON.stringify(output))).toEqual(output);
  });

  it('changes its output when the config changes (what drift reports)', async () => {
    const item = { ...record, address: '1094 Budapest, Ferenc körút 2.' };
    const full = await addressNormalizer.processItem(item, { id: 1, ctx: contextOf({}) });
    const short = await addressNormalizer.processItem(item, {
      id: 1,
      ctx: contextOf({ streetTypeStyle: 'abbreviated', uppercaseCity: true }),
    });
    expect(full.formatted).toBe('1094 Budapest, Ferenc körút 2.');
    expect(short.formatted).toBe('1094 BUDAPEST, Ferenc krt. 2.');
  });

  it('sets an unreadable address aside with its kind, reason and text', async () => {
    const item = { ...record, address: 'Budapest, Nádor utca 7.' };
    const attempt = addressNormalizer.processItem(item, { id: 1, ctx: contextOf({}) });
    await expect(attempt).rejects.toBeInstanceOf(ItemRejectedError);
    await expect(attempt).rejects.toMatchObject({
      kind: 'missing-postal-code',
      details: { reason: 'does not start with a postal code', address: 'Budapest, Nádor utca 7.' },
    });
  });

  it('leaves founded out when the record has none', async () => {
    const { founded: _, ...bare } = record;
    const output = await addressNormalizer.processItem(bare, { id: 1, ctx: contextOf({}) });
    expect(output).not.toHaveProperty('founded');
  });
});

describe('normalize-address parseItem', () => {
  it('accepts a registry record, dropping fields it does not know', () => {
    expect(addressNormalizer.parseItem({ ...record, taxNumber: '12345678-2-41' })).toEqual({
      ok: true,
      item: record,
    });
  });

  it('accepts any address text: reading it is the processor’s job, not the preflight’s', () => {
    expect(addressNormalizer.parseItem({ ...record, address: '' }).ok).toBe(true);
  });

  it.each([
    [{ ...record, registryNumber: '1-9-123' }, 'item.registryNumber', 'must look like 01-09-123456'],
    [{ ...record, name: '  ' }, 'item.name', 'must not be empty'],
    [{ ...record, address: 7 }, 'item.address', 'must be a string'],
    [{ ...record, founded: '1998-02-30' }, 'item.founded', 'must be a date YYYY-MM-DD'],
    [{ ...record, founded: '01/04/1998' }, 'item.founded', 'must be a date YYYY-MM-DD'],
  ])('refuses %j, naming %s', (raw, field, rule) => {
    expect(addressNormalizer.parseItem(raw)).toEqual({ ok: false, violations: [{ field, rule }] });
  });
});
