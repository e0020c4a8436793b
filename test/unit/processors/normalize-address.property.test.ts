import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ItemRejectedError } from '../../../core/errors.ts';
import type { NormalizedAddress } from '../../../core/processors/address/format-address.ts';
import { formatAddress } from '../../../core/processors/address/format-address.ts';
import { AddressConfig, normalizeAddress } from '../../../core/processors/address/normalize-address.ts';
import { ADDRESS_REJECTION_KINDS } from '../../../core/processors/address/rejections.ts';
import { fromRoman, toRoman } from '../../../core/processors/address/roman.ts';
import { STREET_TYPES } from '../../../core/processors/address/street-types.ts';

const LETTERS = [...'abcdeéfghiíjklmnoóöőpqrstuúüűvwxyz'];
const LETTERS_UPPER = [...'ABCDEFGHJKLMNOPRSTUVZ'];

const titleWord = fc
  .array(fc.constantFrom(...LETTERS), { minLength: 2, maxLength: 10 })
  .map((cs) => cs.join(''))
  .map((w) => w.charAt(0).toLocaleUpperCase('hu') + w.slice(1));
const nameWord = fc.oneof(
  { weight: 5, arbitrary: titleWord },
  { weight: 1, arbitrary: fc.nat(99).map((n) => `${n}.`) },
);
const letter = fc.constantFrom(...LETTERS_UPPER);
const smallNumber = fc.integer({ min: 1, max: 999 }).map(String);
const houseNumber = fc.oneof(
  fc.integer({ min: 1, max: 9999 }).map(String),
  fc.tuple(fc.integer({ min: 1, max: 999 }), letter).map(([n, l]) => `${n}/${l}`),
  fc.tuple(fc.integer({ min: 1, max: 999 }), letter).map(([n, l]) => `${n}${l}`),
  fc.tuple(fc.integer({ min: 1, max: 999 }), fc.integer({ min: 1, max: 9 })).map(([n, d]) => `${n}-${n + d}`),
);
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

/** Valid parts, as the normaliser (default style) would write them. */
const addressParts = fc
  .record({
    postalCode: fc.integer({ min: 1000, max: 9999 }).map(String),
    place: fc.oneof(
      fc.record({
        city: fc.constant('Budapest'),
        district: maybe(fc.integer({ min: 1, max: 23 }).map(toRoman)),
      }),
      fc.record({ city: titleWord }),
    ),
    streetName: fc.array(nameWord, { minLength: 1, maxLength: 3 }).map((ws) => ws.join(' ')),
    streetType: fc.constantFrom(...STREET_TYPES.map((t) => t.full)),
    houseNumber: maybe(houseNumber),
    building: maybe(fc.oneof(letter, smallNumber)),
    staircase: maybe(fc.oneof(letter, smallNumber)),
    floor: maybe(fc.integer({ min: 0, max: 99 }).map(String)),
    door: maybe(
      fc.oneof(
        letter,
        smallNumber,
        fc.tuple(smallNumber, letter).map(([n, l]) => `${n}${l}`),
      ),
    ),
  })
  // A flat inside a house needs the house: without a house number there is no building, floor or door.
  .map(({ place, building, staircase, floor, door, ...rest }): NormalizedAddress => {
    const unit = rest.houseNumber === undefined ? {} : { building, staircase, floor, door };
    return withoutUndefined({ ...place, ...rest, ...unit });
  });

function withoutUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/** Ways a person types the same address: case, spacing, abbreviations, the country prefix. */
interface Retype {
  readonly casing: 'as-is' | 'lower' | 'upper';
  readonly spaces: boolean;
  readonly abbreviate: boolean;
  readonly prefix: string;
}
const retype: fc.Arbitrary<Retype> = fc.record({
  casing: fc.constantFrom('as-is' as const, 'lower' as const, 'upper' as const),
  spaces: fc.boolean(),
  abbreviate: fc.boolean(),
  prefix: fc.constantFrom('', 'H-', 'HU-', 'H '),
});

function typed(parts: NormalizedAddress, how: Retype): string {
  const type = STREET_TYPES.find((t) => t.full === parts.streetType)!;
  let text =
    how.prefix + formatAddress({ ...parts, streetType: how.abbreviate ? type.abbreviated : type.full });
  if (how.casing === 'lower') text = text.toLocaleLowerCase('hu');
  if (how.casing === 'upper') text = text.toLocaleUpperCase('hu');
  return how.spaces ? ` ${text.replaceAll(' ', '   ').replace(',', ' , ')}  ` : text;
}

/** Address-like noise: the right words in the wrong places. */
const tokenSoup = fc
  .array(
    fc.constantFrom(
      ...[
        '1051',
        '105',
        '10511',
        'H-',
        'Budapest',
        'budapest',
        'XI.',
        'kerület',
        'ker.',
        ',',
        'Nádor',
        'Szent',
        'István',
      ],
      ...[
        'utca',
        'u.',
        'út',
        'krt.',
        'tér',
        'park',
        '7.',
        '10/B.',
        '15-17',
        '2.',
        'em.',
        'fszt.',
        'III/8.',
        'B.',
      ],
      ...['ép.', 'lph.', 'ajtó', '-', '/', '.', '0', 'I.', 'IV', ' ', '#', 'x'],
    ),
    { maxLength: 14 },
  )
  .map((ws) => ws.join(' '));

const anything = fc.oneof(
  fc.string({ maxLength: 80 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
  fc.string({ unit: 'binary', maxLength: 80 }),
  tokenSoup,
);

const defaults = AddressConfig.parse({});
const lenient = AddressConfig.parse({ requireHouseNumber: false });

describe('normalizeAddress (properties)', () => {
  it('reads back the parts of any valid address, however it is typed', () => {
    fc.assert(
      fc.property(addressParts, retype, (parts, how) => {
        const expected = {
          ...parts,
          streetName: how.casing === 'as-is' ? parts.streetName : titled(parts.streetName),
        };
        expect(normalizeAddress(typed(parts, how), lenient)).toEqual(expected);
      }),
      { numRuns: 1000 },
    );
  });

  it('never crashes: any text is normalised or rejected with a known kind', () => {
    fc.assert(
      fc.property(anything, (text) => {
        try {
          const result = normalizeAddress(text, defaults);
          expect(result.postalCode).toMatch(/^[1-9]\d{3}$/);
        } catch (e) {
          expect(e).toBeInstanceOf(ItemRejectedError);
          const error = e as ItemRejectedError;
          expect(ADDRESS_REJECTION_KINDS).toContain(error.kind);
          expect(error.details.address).toBe(text);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it('is idempotent: a normalised address, written out, normalises to itself', () => {
    fc.assert(
      fc.property(tokenSoup, (text) => {
        let first: NormalizedAddress;
        try {
          first = normalizeAddress(text, lenient);
        } catch {
          return;
        }
        expect(normalizeAddress(formatAddress(first), lenient)).toEqual(first);
      }),
      { numRuns: 3000 },
    );
  });
});

describe('roman numerals', () => {
  it('round-trips 1-399', () => {
    for (let n = 1; n < 400; n++) expect(fromRoman(toRoman(n).toLowerCase())).toBe(n);
  });

  it('refuses non-canonical spellings and words', () => {
    for (const text of ['IIII', 'VV', 'IC', 'XM', 'DIV', 'B', '', 'MMM'])
      expect(fromRoman(text)).toBeUndefined();
  });
});

/** What the normaliser does to a street name typed in one case. */
function titled(name: string): string {
  return name
    .split(' ')
    .map((w) => w.charAt(0).toLocaleUpperCase('hu') + w.slice(1).toLocaleLowerCase('hu'))
    .join(' ');
}
