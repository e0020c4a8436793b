import { describe, expect, it } from 'vitest';
import { ItemRejectedError, ValidationError } from '../../../core/errors.ts';
import type { NormalizedAddress } from '../../../core/processors/address/format-address.ts';
import { formatAddress } from '../../../core/processors/address/format-address.ts';
import {
  AddressConfig,
  addressNormalizer,
  normalizeAddress,
} from '../../../core/processors/address/normalize-address.ts';
import type { AddressRejectionKind } from '../../../core/processors/address/rejections.ts';

const defaults = AddressConfig.parse({});
/** Expected parts: the five that most addresses here have, then the optional ones. */
function at(
  postalCode: string,
  city: string,
  streetName: string,
  streetType: string,
  houseNumber: string,
  more: Partial<NormalizedAddress> = {},
): NormalizedAddress {
  return { postalCode, city, streetName, streetType, houseNumber, ...more };
}
const nador = (more: Partial<NormalizedAddress> = {}) => at('1051', 'Budapest', 'Nádor', 'utca', '7', more);
const baross = at('9021', 'Győr', 'Baross Gábor', 'út', '15-17');
const budafoki = at('1117', 'Budapest', 'Budafoki', 'út', '59', { district: 'XI' });
const flat23 = { floor: '2', door: '3' };

// [written address, expected parts]: the spellings a hand-typed registry holds.
const GOOD: readonly (readonly [string, NormalizedAddress])[] = [
  ['1051 Budapest, Nádor utca 7. 2. em. 3.', nador(flat23)],
  [
    '6720 Szeged, Kárász u. 10/B. fszt. 2.',
    at('6720', 'Szeged', 'Kárász', 'utca', '10/B', { floor: '0', door: '2' }),
  ],
  ['H-9021 Győr, Baross Gábor út 15-17.', baross],
  [
    '1117 Budapest XI. kerület, Október huszonharmadika utca 8-10. B. ép. 3. lph. 4. em. 12. ajtó',
    at('1117', 'Budapest', 'Október huszonharmadika', 'utca', '8-10', {
      ...{ district: 'XI', building: 'B', staircase: '3', floor: '4', door: '12' },
    }),
  ],
  ['4025 Debrecen, Piac u. 45', at('4025', 'Debrecen', 'Piac', 'utca', '45')],
  [
    '8000 Székesfehérvár, Palotai út 6. I. em. 4.',
    at('8000', 'Székesfehérvár', 'Palotai', 'út', '6', { floor: '1', door: '4' }),
  ],
  ['3525 Miskolc, Széchenyi István tér 1.', at('3525', 'Miskolc', 'Széchenyi István', 'tér', '1')],
  ['7621 Pécs, Király u. 2. III/8.', at('7621', 'Pécs', 'Király', 'utca', '2', { floor: '3', door: '8' })],
  ['1051 budapest, nádor utca 7. 2. em. 3.', nador(flat23)],
  ['1051 BUDAPEST, NÁDOR UTCA 7. 2. EM. 3.', nador(flat23)],
  ['   1051    Budapest ,   Nádor   utca   7.  ', nador()],
  ['1051 Budapest,Nádor utca 7.2.em.3.', nador(flat23)],
  ['1051 Budapest\tNádor\u00a0utca 7.', nador()],
  ['1051 Budapest Nádor utca 7.', nador()],
  ['1051 Budapest, Nádor utca 7., 2. em. 3.', nador(flat23)],
  ['1051 Budapest, Na\u0301dor utca 7.', nador()],
  ['1051 Budapest, Nádor utca 7. X. em. 3.', nador({ floor: '10', door: '3' })],
  ['1051 Budapest, Nádor utca 7. 2. emelet 3. ajtó', nador(flat23)],
  ['1051 Budapest, Nádor utca 7. 3. ajtó', nador({ door: '3' })],
  ['1051 Budapest, Nádor utca 7. földszint', nador({ floor: '0' })],
  ['1051 Budapest, Nádor utca 7. 2/3A.', nador({ floor: '2', door: '3A' })],
  ['HU-9021 Győr, Baross Gábor út 15-17.', baross],
  ['H 9021 Győr, Baross Gábor út 15 - 17.', baross],
  ['9021 Győr, Baross Gábor út 15–17.', baross],
  ['H-9021 GYŐR, BAROSS GÁBOR ÚT 15-17.', baross],
  ['1117 Budapest, XI. kerület, Budafoki út 59.', budafoki],
  ['1117 Budapest XI., Budafoki út 59.', budafoki],
  ['1117 Budapest 11. kerület, Budafoki út 59.', budafoki],
  ['1117 Budapest XI. ker., Budafoki út 59.', budafoki],
  ['1117 budapest xi.ker. budafoki út 59', budafoki],
  ['1137 Budapest, Szent István krt. 12.', at('1137', 'Budapest', 'Szent István', 'körút', '12')],
  [
    '1094 Budapest, Ferenc krt 2-4. V. em. 1.',
    at('1094', 'Budapest', 'Ferenc', 'körút', '2-4', { floor: '5', door: '1' }),
  ],
  [
    '1061 Budapest, Andrássy út 22. 1. emelet 2. ajtó',
    at('1061', 'Budapest', 'Andrássy', 'út', '22', { floor: '1', door: '2' }),
  ],
  ['4026 Debrecen, Bem tér 18/C.', at('4026', 'Debrecen', 'Bem', 'tér', '18/C')],
  ['2030 Érd, Diósdi út 42. fszt.', at('2030', 'Érd', 'Diósdi', 'út', '42', { floor: '0' })],
  [
    '5000 Szolnok, Széchenyi ltp. 12. B. lph. 3. em. 9.',
    at('5000', 'Szolnok', 'Széchenyi', 'lakótelep', '12', { staircase: 'B', floor: '3', door: '9' }),
  ],
  [
    '1024 Budapest, Szilágyi Erzsébet fasor 10. fsz. 1.',
    at('1024', 'Budapest', 'Szilágyi Erzsébet', 'fasor', '10', { floor: '0', door: '1' }),
  ],
  ['1011 Budapest, Bem rkp. 20.', at('1011', 'Budapest', 'Bem', 'rakpart', '20')],
  ['8230 Balatonfüred, Tagore stny. 1.', at('8230', 'Balatonfüred', 'Tagore', 'sétány', '1')],
  ['1149 Budapest, Nagy Lajos király útja 20.', at('1149', 'Budapest', 'Nagy Lajos király', 'útja', '20')],
  ['1146 Budapest, Hősök tere 1.', at('1146', 'Budapest', 'Hősök', 'tere', '1')],
  ['6000 Kecskemét, Szarkás dűlő 3.', at('6000', 'Kecskemét', 'Szarkás', 'dűlő', '3')],
  ['1121 Budapest, Ördögorom köz 2.', at('1121', 'Budapest', 'Ördögorom', 'köz', '2')],
  [
    '3300 Eger, Dobó István tér 7. 1/3.',
    at('3300', 'Eger', 'Dobó István', 'tér', '7', { floor: '1', door: '3' }),
  ],
  ['1052 Budapest, Március 15. tér 4.', at('1052', 'Budapest', 'Március 15.', 'tér', '4')],
  ['1185 Budapest, Park utca 3.', at('1185', 'Budapest', 'Park', 'utca', '3')],
  ['7400 Kaposvár, Fő u. 12b', at('7400', 'Kaposvár', 'Fő', 'utca', '12B')],
  ['1065 Budapest, Bajcsy-Zsilinszky út 4.', at('1065', 'Budapest', 'Bajcsy-Zsilinszky', 'út', '4')],
  [
    '8000 székesfehérvár, palotai út 6. 2. ép.',
    at('8000', 'Székesfehérvár', 'Palotai', 'út', '6', { building: '2' }),
  ],
  ['4400 Nyíregyháza, IV. Béla király út 5.', at('4400', 'Nyíregyháza', 'IV. Béla király', 'út', '5')],
];

// [written address, kind]: records the normaliser sets aside, one reason each.
const BAD: readonly (readonly [string, AddressRejectionKind])[] = [
  ['', 'empty-address'],
  ['   ', 'empty-address'],
  [' , ', 'empty-address'],
  ['Budapest, Nádor utca 7.', 'missing-postal-code'],
  ['Nádor utca 7., 1051 Budapest', 'missing-postal-code'],
  ['105 Budapest, Nádor utca 7.', 'invalid-postal-code'],
  ['10511 Budapest, Nádor utca 7.', 'invalid-postal-code'],
  ['0999 Budapest, Nádor utca 7.', 'invalid-postal-code'],
  ['1O51 Budapest, Nádor utca 7.', 'invalid-postal-code'],
  ['1051, Nádor utca 7.', 'missing-city'],
  ['1051', 'missing-city'],
  ['1051 Budapest, Nádor 7.', 'missing-street-type'],
  ['1051 Budapest', 'missing-street-type'],
  ['6720 Szeged, Kárász 10/B. fszt. 2.', 'missing-street-type'],
  ['9400 Sopron, Utca 3.', 'missing-street-type'],
  ['1051 Budapest, Nádor utca', 'missing-house-number'],
  ['1051 Budapest, Nádor utca fszt. 2.', 'unparseable'],
  ['1051 Budapest, Nádor utca 7. #3', 'unparseable'],
  ['1051 Budapest, Nádor utca 7. 3.', 'unparseable'],
  ['1051 Budapest, Nádor utca 7. 2. em. 3. em.', 'unparseable'],
  ['1051 Budapest, Nádor utca 7. (udvar)', 'unparseable'],
  ['1051 Budapest 7, Nádor utca 7.', 'unparseable'],
  ['1051 12345, Nádor utca 7.', 'unparseable'],
  ['1051 Budapest, Nádor utca 0.', 'unparseable'],
  ['!!!', 'unparseable'],
  ['lorem ipsum dolor sit amet', 'unparseable'],
  ['x'.repeat(400), 'unparseable'],
];

function rejection(address: string, config: AddressConfig = defaults): ItemRejectedError {
  try {
    normalizeAddress(address, config);
  } catch (e) {
    if (e instanceof ItemRejectedError) return e;
    throw e;
  }
  throw new Error(`expected ${JSON.stringify(address)} to be rejected`);
}

describe('normalizeAddress', () => {
  it.each(GOOD)('reads %j', (address, expected) => {
    expect(normalizeAddress(address, defaults)).toEqual(expected);
  });

  it.each(BAD)('sets %j aside as %s', (address, kind) => {
    const error = rejection(address);
    expect(error.kind).toBe(kind);
    expect(error.details).toEqual({ reason: expect.any(String), address });
    expect(error.details.reason).not.toBe('');
  });

  it('formats every good address so that it reads back to the same parts', () => {
    for (const [address] of GOOD) {
      const parts = normalizeAddress(address, defaults);
      expect(normalizeAddress(formatAddress(parts), defaults)).toEqual(parts);
    }
  });
});

describe('normalizeAddress config', () => {
  it('writes abbreviated street types where the post office has one', () => {
    const config = AddressConfig.parse({ streetTypeStyle: 'abbreviated' });
    expect(normalizeAddress('1094 Budapest, Ferenc körút 2.', config).streetType).toBe('krt.');
    expect(normalizeAddress('1051 Budapest, Nádor utca 7.', config).streetType).toBe('u.');
    expect(normalizeAddress('9021 Győr, Baross Gábor út 15.', config).streetType).toBe('út');
  });

  it('writes the city in capitals when asked', () => {
    const config = AddressConfig.parse({ uppercaseCity: true });
    expect(normalizeAddress('8000 Székesfehérvár, Palotai út 6.', config).city).toBe('SZÉKESFEHÉRVÁR');
  });

  it('accepts an address without a house number when it is not required', () => {
    const config = AddressConfig.parse({ requireHouseNumber: false });
    expect(normalizeAddress('1051 Budapest, Nádor utca', config)).toEqual({
      postalCode: '1051',
      city: 'Budapest',
      streetName: 'Nádor',
      streetType: 'utca',
    });
  });

  it('fills in the defaults', () => {
    expect(addressNormalizer.parseConfig(undefined)).toEqual({
      streetTypeStyle: 'full',
      uppercaseCity: false,
      requireHouseNumber: true,
    });
  });

  it.each([
    [{ streetTypeStyle: 'short' }, 'config.streetTypeStyle', "must be 'full' or 'abbreviated'"],
    [{ uppercaseCity: 'yes' }, 'config.uppercaseCity', 'must be a boolean'],
    [{ colour: 'red' }, 'config', 'unknown field(s) colour'],
    [{ streetTypeStyle: 'full', requireHouseNumber: 1 }, 'config.requireHouseNumber', 'must be a boolean'],
    ['abbreviated', 'config', 'must be a JSON object'],
  ])('refuses the config %j, naming %s', (raw, field, rule) => {
    const error = (() => {
      try {
        addressNormalizer.parseConfig(raw);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations).toContainEqual({ field, rule });
  });
});
