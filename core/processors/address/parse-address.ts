import { rejectAddress } from './rejections.ts';
import { fromRoman, toRoman } from './roman.ts';
import { lookupStreetType, type StreetType } from './street-types.ts';
import { parseTail, type UnitParts } from './unit-tail.ts';

/** A Hungarian postal address taken apart, before any output style is applied. */
export interface ParsedAddress extends UnitParts {
  postalCode: string;
  city: string;
  /** Budapest district as a Roman numeral (`XI`). */
  district?: string;
  streetName: string;
  streetType: StreetType;
}

/** Longer inputs are not addresses, and refusing them early bounds the work per item. */
const MAX_LENGTH = 300;
// Letters of any script, digits, and the punctuation addresses use; anything else is noise, not an address.
const ADDRESS_CHARS = /^[\p{L}\d .,/'’-]+$/u;
const CITY_WORD = /^\p{L}+(?:-\p{L}+)*$/u;
const NAME_WORD = /^[\p{L}\d][\p{L}\d.'’-]*$/u;

/**
 * Takes a Hungarian postal address apart: `1051 Budapest, Nádor utca 7. 2. em. 3.`. The postal code comes
 * first; the city is what stands before the first comma (or the first word when there is none); the street
 * type is the first known one that has a name before it and a house-number tail after it.
 * Throws ItemRejectedError with a specific kind when the text cannot be read as an address.
 * @example parseAddress('4025 Debrecen, Piac u. 45').streetType.full === 'utca'
 */
export function parseAddress(address: string): ParsedAddress {
  const text = tidy(address);
  if (/^[\s.,/'’-]*$/u.test(text)) throw rejectAddress('empty-address', 'the address is empty', address);
  if (text.length > MAX_LENGTH)
    throw rejectAddress('unparseable', `longer than ${MAX_LENGTH} characters`, address);
  if (!ADDRESS_CHARS.test(text)) {
    const odd = [...text].find((c) => !ADDRESS_CHARS.test(c)) ?? '';
    throw rejectAddress('unparseable', `contains ${JSON.stringify(odd)}, which no address has`, address);
  }
  const { postalCode, rest } = readPostalCode(text, address);
  const { city, district, street } = readCity(rest, address);
  return { postalCode, city, ...(district ? { district } : {}), ...readStreet(street, address) };
}

/** One spelling for the same thing: NFC, plain dashes and spaces, a space after every dot. */
function tidy(address: string): string {
  return address
    .normalize('NFC')
    .replace(/[\u2010-\u2015\u2212]/g, '-')
    .replace(/\.(?=[\p{L}\d])/gu, '. ')
    .replace(/\s*([-/])\s*/g, '$1')
    .replace(/\s*,\s*/g, ', ')
    .replace(/\s+/g, ' ')
    .trim();
}

function readPostalCode(text: string, address: string): { postalCode: string; rest: string } {
  // The country prefix of international mail: H-9021, HU-9021, H 9021.
  const body = text.replace(/^hu?-?\s?(?=\d)/i, '');
  const [, token = '', rest = ''] = /^([^\s,]+)\s*(.*)$/.exec(body) ?? [];
  if (!/^\d/.test(token)) {
    // Text with neither a number nor a street type is noise, not an address that lost its postal code.
    const addressLike =
      /\d/.test(text) || text.split(/[\s,]+/).some((w) => lookupStreetType(w) !== undefined);
    if (!addressLike)
      throw rejectAddress('unparseable', 'has no postal code, number or street type', address);
    throw rejectAddress('missing-postal-code', 'does not start with a postal code', address);
  }
  const digits = token.endsWith('.') ? token.slice(0, -1) : token;
  if (!/^\d{4}$/.test(digits) || Number(digits) < 1000) {
    throw rejectAddress(
      'invalid-postal-code',
      `"${token}" is not a postal code (4 digits, 1000-9999)`,
      address,
    );
  }
  return { postalCode: digits, rest };
}

function readCity(rest: string, address: string): { city: string; district?: string; street: string } {
  const comma = rest.indexOf(',');
  const [cityWord, ...after] = (comma >= 0 ? rest.slice(0, comma) : rest).split(' ').filter((w) => w !== '');
  if (cityWord === undefined) throw rejectAddress('missing-city', 'no city after the postal code', address);
  if (!CITY_WORD.test(cityWord))
    throw rejectAddress('unparseable', `"${cityWord}" is not a city name`, address);
  const city = titleCase(cityWord);
  // Numbered districts (kerület) are Budapest's; elsewhere `IV. Béla király út` is a street, not a district.
  const length = city === 'Budapest' ? districtLength(after) : 0;
  let district = districtOf(after.slice(0, length));
  const used = district ? length : 0;
  let street = comma >= 0 ? rest.slice(comma + 1).trim() : after.slice(used).join(' ');
  if (comma >= 0 && after.length > used) {
    throw rejectAddress(
      'unparseable',
      `"${[cityWord, ...after].join(' ')}" is not a city (and district)`,
      address,
    );
  }
  if (comma >= 0 && !district && city === 'Budapest') ({ district, street } = leadingDistrict(street));
  return { city, ...(district ? { district } : {}), street };
}

/** `Budapest, XI. kerület, Nádor utca 7.`: a district written as a segment of its own. */
function leadingDistrict(street: string): { district?: string; street: string } {
  const comma = street.indexOf(',');
  if (comma < 0) return { street };
  const words = street.slice(0, comma).split(' ');
  const district = words.length === districtLength(words) ? districtOf(words) : undefined;
  return district ? { district, street: street.slice(comma + 1).trim() } : { street };
}

/** How many of the words spell a district: a numeral and, optionally, `kerület` or `ker.`. */
function districtLength(words: readonly string[]): number {
  if (districtNumber(words[0]) === undefined) return 0;
  const marker = words[1]?.toLowerCase();
  return marker === 'kerület' || marker === 'ker.' || marker === 'ker' ? 2 : 1;
}

function districtOf(words: readonly string[]): string | undefined {
  const n = districtNumber(words[0]);
  // An Arabic numeral is a district only when `kerület` says so; a Roman one is a district by itself.
  if (n === undefined || (words.length === 1 && /^\d/.test(words[0] ?? ''))) return undefined;
  return toRoman(n);
}

function districtNumber(word: string | undefined): number | undefined {
  const bare = word?.endsWith('.') ? word.slice(0, -1) : word;
  if (bare === undefined || bare === '') return undefined;
  const n = /^\d{1,2}$/.test(bare) ? Number(bare) : fromRoman(bare);
  return n !== undefined && n >= 1 && n <= 23 ? n : undefined;
}

function readStreet(
  street: string,
  address: string,
): Omit<ParsedAddress, 'postalCode' | 'city' | 'district'> {
  const tokens = street
    .replace(/,/g, ' ')
    .split(' ')
    .filter((t) => t !== '');
  const candidates = tokens.flatMap((t, i) => {
    const type = i >= 1 ? lookupStreetType(t) : undefined;
    return type ? [{ i, type }] : [];
  });
  if (candidates.length === 0) {
    throw rejectAddress(
      'missing-street-type',
      'no street type (utca, út, tér, ...) after a street name',
      address,
    );
  }
  let reason = '';
  for (const { i, type } of candidates) {
    const tail = parseTail(tokens.slice(i + 1));
    if (!tail.ok) {
      reason ||= tail.reason;
      continue;
    }
    const name = tokens.slice(0, i);
    const bad = name.find((w) => !NAME_WORD.test(w));
    if (bad !== undefined)
      throw rejectAddress('unparseable', `"${bad}" cannot be part of a street name`, address);
    return { streetName: nameCase(name.join(' ')), streetType: type, ...tail.parts };
  }
  throw rejectAddress('unparseable', reason, address);
}

/** A name typed all in one case gets capitals; a name with its own capitals is kept as written. */
function nameCase(name: string): string {
  const mixed = name !== name.toLocaleLowerCase('hu') && name !== name.toLocaleUpperCase('hu');
  return mixed ? name : name.split(' ').map(titleCase).join(' ');
}

function titleCase(word: string): string {
  return word
    .split('-')
    .map((part) => part.charAt(0).toLocaleUpperCase('hu') + part.slice(1).toLocaleLowerCase('hu'))
    .join('-');
}
