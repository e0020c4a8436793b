const NUMERALS: readonly (readonly [string, number])[] = [
  ['C', 100],
  ['XC', 90],
  ['L', 50],
  ['XL', 40],
  ['X', 10],
  ['IX', 9],
  ['V', 5],
  ['IV', 4],
  ['I', 1],
];

/**
 * Writes 1-399 as a Roman numeral (Budapest districts, floors).
 * @example toRoman(11) === 'XI'
 */
export function toRoman(value: number): string {
  if (!Number.isInteger(value) || value < 1 || value >= 400)
    throw new RangeError(`cannot write ${value} in Roman`);
  let rest = value;
  let text = '';
  for (const [symbol, worth] of NUMERALS) {
    while (rest >= worth) {
      text += symbol;
      rest -= worth;
    }
  }
  return text;
}

/**
 * Reads a Roman numeral, case-insensitive, only in its canonical form, so that a word such as `DIV` or a
 * building letter such as `C` written in odd positions is not mistaken for a number.
 * @example fromRoman('iii') === 3; fromRoman('IIII') === undefined
 */
export function fromRoman(text: string): number | undefined {
  const upper = text.toUpperCase();
  if (!/^[CLXVI]{1,12}$/.test(upper)) return undefined;
  let value = 0;
  for (let i = 0; i < upper.length; i++) {
    const worth = WORTH[upper[i] as keyof typeof WORTH];
    const next = WORTH[upper[i + 1] as keyof typeof WORTH] ?? 0;
    value += worth < next ? -worth : worth;
  }
  return value >= 1 && value < 400 && toRoman(value) === upper ? value : undefined;
}

const WORTH = { C: 100, L: 50, X: 10, V: 5, I: 1 } as const;
