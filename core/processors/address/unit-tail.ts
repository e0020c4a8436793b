import { fromRoman } from './roman.ts';

/** What follows the street type: the house number and where inside the house. */
export interface UnitParts {
  houseNumber?: string;
  building?: string;
  staircase?: string;
  /** Arabic digits; the ground floor is `'0'`. */
  floor?: string;
  door?: string;
}

export type TailResult = { ok: true; parts: UnitParts } | { ok: false; reason: string };

type Marker = 'building' | 'staircase' | 'floor' | 'ground' | 'door';

const MARKERS: Readonly<Record<string, Marker>> = {
  ép: 'building',
  épület: 'building',
  lph: 'staircase',
  lh: 'staircase',
  lépcsőház: 'staircase',
  em: 'floor',
  emelet: 'floor',
  fszt: 'ground',
  fsz: 'ground',
  földszint: 'ground',
  ajtó: 'door',
};

// 7, 7., 10/B, 10b, 15-17, 8/10. The first digit is never 0.
const HOUSE_NUMBER = /^([1-9]\d{0,3}(?:\/?[a-z])?(?:[-/][1-9]\d{0,3}(?:\/?[a-z])?)?)\.?$/;
// 3, 3., 12a, B, III.
const VALUE = /^(\d{1,3}[a-z]?|[a-z]{1,6})\.?$/;
// III/8, 2/3: floor/door in one token.
const FLOOR_DOOR = /^(\d{1,2}|[ivxlc]{1,6})\/(\d{1,3}[a-z]?)\.?$/;

/**
 * Reads the tokens after the street type: `7. 2. em. 3.`, `10/B. fszt. 2.`, `8-10. B. ép. 3. lph. 4. em. 12.
 * ajtó`, `2. III/8.`. A value takes its meaning from the marker after it; a bare value after the floor is the
 * door. Anything else, or a part given twice, is not an address this parser will guess at.
 */
export function parseTail(tokens: readonly string[]): TailResult {
  const parts: UnitParts = {};
  const first = tokens[0];
  if (first === undefined) return { ok: true, parts };
  const house = HOUSE_NUMBER.exec(first.toLowerCase());
  if (!house) return fail(`"${first}" is not a house number`);
  parts.houseNumber = house[1]!.toUpperCase();
  let i = 1;
  while (i < tokens.length) {
    const step = readUnit(tokens, i, parts);
    if (typeof step === 'string') return fail(step);
    i += step;
  }
  return { ok: true, parts };
}

/** Reads one unit part at `i` into `parts`; returns how many tokens it used, or why it could not. */
function readUnit(tokens: readonly string[], i: number, parts: UnitParts): number | string {
  const token = tokens[i]!;
  const lower = token.toLowerCase();
  const marker = markerOf(lower);
  if (marker === 'ground') return assign(parts, 'floor', '0') ?? 1;
  if (marker) return `"${token}" has no value before it`;
  const floorDoor = FLOOR_DOOR.exec(lower);
  if (floorDoor && parts.floor === undefined && parts.door === undefined) {
    const floor = floorOf(floorDoor[1]!);
    if (floor === undefined) return `"${token}" does not name a floor`;
    return assign(parts, 'floor', floor) ?? assign(parts, 'door', floorDoor[2]!.toUpperCase()) ?? 1;
  }
  const value = VALUE.exec(lower)?.[1];
  if (value === undefined) return `"${token}" is not part of an address`;
  const next = markerOf(tokens[i + 1]?.toLowerCase());
  if (next && next !== 'ground') {
    if (next !== 'floor') return assign(parts, next, value.toUpperCase()) ?? 2;
    const floor = floorOf(value);
    if (floor === undefined) return `"${token}" does not name a floor`;
    return assign(parts, 'floor', floor) ?? 2;
  }
  if (parts.floor !== undefined && parts.door === undefined)
    return assign(parts, 'door', value.toUpperCase()) ?? 1;
  return `"${token}" has no marker (em., ép., lph., ajtó) to say what it is`;
}

function markerOf(lower: string | undefined): Marker | undefined {
  if (lower === undefined) return undefined;
  const bare = lower.endsWith('.') ? lower.slice(0, -1) : lower;
  return Object.hasOwn(MARKERS, bare) ? MARKERS[bare] : undefined;
}

/** Floors are written in Arabic or Roman numerals; both become Arabic digits. */
function floorOf(value: string): string | undefined {
  if (/^\d{1,2}$/.test(value)) return String(Number(value));
  const roman = fromRoman(value);
  return roman !== undefined && roman <= 99 ? String(roman) : undefined;
}

function assign(
  parts: UnitParts,
  key: Exclude<keyof UnitParts, 'houseNumber'>,
  value: string,
): string | undefined {
  if (parts[key] !== undefined) return `the ${key} is given twice`;
  parts[key] = value;
  return undefined;
}

function fail(reason: string): TailResult {
  return { ok: false, reason };
}
