/**
 * Hungarian public-space types (közterület jellege): the word after the street name. Each has one full form,
 * one abbreviated form (the full form when the post office uses none) and the spellings seen in registries.
 */
export interface StreetType {
  readonly full: string;
  readonly abbreviated: string;
  /** Lowercase spellings, without a trailing dot; the full and abbreviated forms are included. */
  readonly spellings: readonly string[];
}

const TABLE: readonly (readonly [full: string, abbreviated: string, ...other: string[]])[] = [
  ['utca', 'u.'],
  ['út', 'út'],
  ['útja', 'útja'],
  ['tér', 'tér'],
  ['tere', 'tere'],
  ['körút', 'krt.', 'körut'],
  ['sugárút', 'sgt.', 'sugárut'],
  ['köz', 'köz'],
  ['sor', 'sor'],
  ['fasor', 'fasor'],
  ['rakpart', 'rkp.'],
  ['dűlő', 'dűlő', 'dülő', 'düllő'],
  ['lakótelep', 'ltp.', 'lakotelep', 'lt.'],
  ['park', 'park'],
  ['sétány', 'stny.', 'setány'],
  ['liget', 'liget'],
  ['határsor', 'határsor'],
  ['körönd', 'krd.'],
  ['lejtő', 'lejtő'],
  ['lépcső', 'lépcső'],
  ['telep', 'telep'],
  ['tanya', 'tanya'],
  ['udvar', 'udvar'],
  ['kert', 'kert'],
  ['part', 'part'],
  ['sziget', 'sziget'],
  ['ösvény', 'ösvény'],
  ['sikátor', 'sikátor'],
  ['major', 'major'],
  ['dűlőút', 'dűlőút'],
  ['köze', 'köze'],
  ['sora', 'sora'],
];

/** Every known street type, in a stable order. */
export const STREET_TYPES: readonly StreetType[] = TABLE.map(([full, abbreviated, ...other]) => ({
  full,
  abbreviated,
  spellings: [...new Set([full, stripDot(abbreviated), ...other])],
}));

const BY_SPELLING = new Map<string, StreetType>(
  STREET_TYPES.flatMap((type) => type.spellings.map((spelling) => [spelling, type] as const)),
);

/**
 * The street type a token spells, if any: case-insensitive, with or without the abbreviation's dot.
 * @example lookupStreetType('Krt.')?.full === 'körút'
 */
export function lookupStreetType(token: string): StreetType | undefined {
  return BY_SPELLING.get(stripDot(token.toLowerCase()));
}

function stripDot(text: string): string {
  return text.endsWith('.') ? text.slice(0, -1) : text;
}
