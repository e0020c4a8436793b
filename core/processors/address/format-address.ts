import type { ParsedAddress } from './parse-address.ts';

/** The normaliser's output: plain strings, absent parts left out (never `undefined` in the JSON). */
export interface NormalizedAddress {
  readonly postalCode: string;
  readonly city: string;
  /** Budapest district as a Roman numeral. */
  readonly district?: string;
  readonly streetName: string;
  readonly streetType: string;
  readonly houseNumber?: string;
  readonly building?: string;
  readonly staircase?: string;
  /** Arabic digits; the ground floor is `'0'`. */
  readonly floor?: string;
  readonly door?: string;
}

/** The parts of the job config that change how an address is written out. */
export interface AddressStyle {
  readonly streetTypeStyle: 'full' | 'abbreviated';
  readonly uppercaseCity: boolean;
}

type OptionalPart = 'district' | 'houseNumber' | 'building' | 'staircase' | 'floor' | 'door';

/**
 * Applies the output style to a parsed address.
 * @example toNormalized(parseAddress('4025 Debrecen, Piac u. 45'), { streetTypeStyle: 'abbreviated', uppercaseCity: true })
 * // { postalCode: '4025', city: 'DEBRECEN', streetName: 'Piac', streetType: 'u.', houseNumber: '45' }
 */
export function toNormalized(parsed: ParsedAddress, style: AddressStyle): NormalizedAddress {
  return {
    postalCode: parsed.postalCode,
    city: style.uppercaseCity ? parsed.city.toLocaleUpperCase('hu') : parsed.city,
    ...present(parsed, 'district'),
    streetName: parsed.streetName,
    streetType: style.streetTypeStyle === 'full' ? parsed.streetType.full : parsed.streetType.abbreviated,
    ...present(parsed, 'houseNumber'),
    ...present(parsed, 'building'),
    ...present(parsed, 'staircase'),
    ...present(parsed, 'floor'),
    ...present(parsed, 'door'),
  };
}

/** `{ [key]: value }` when the part is there, `{}` otherwise: outputs carry no `undefined`. */
function present<K extends OptionalPart>(parsed: ParsedAddress, key: K): Partial<Record<K, string>> {
  const value = parsed[key];
  return value === undefined ? {} : ({ [key]: value } as Record<K, string>);
}

/**
 * Writes a normalised address on one line, the way the Hungarian post office prints it:
 * `1117 Budapest XI. kerület, Október huszonharmadika utca 8-10. B. ép. 3. lph. 4. em. 12.`.
 * The result parses back to the same parts.
 */
export function formatAddress(address: NormalizedAddress): string {
  const city = address.district ? `${address.city} ${address.district}. kerület` : address.city;
  const words = [`${address.postalCode} ${city},`, address.streetName, address.streetType];
  if (address.houseNumber !== undefined) words.push(`${address.houseNumber}.`);
  if (address.building !== undefined) words.push(`${address.building}. ép.`);
  if (address.staircase !== undefined) words.push(`${address.staircase}. lph.`);
  if (address.floor !== undefined) words.push(address.floor === '0' ? 'fszt.' : `${address.floor}. em.`);
  // After a floor the door needs no marker; on its own it does.
  if (address.door !== undefined)
    words.push(address.floor !== undefined ? `${address.door}.` : `${address.door}. ajtó`);
  return words.join(' ');
}
