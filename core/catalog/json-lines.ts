import type { Violation } from '../errors.ts';

/** How many bad lines of one object are named: enough to see the pattern, not a flood. */
export const BAD_LINES_SHOWN = 5;

/** What a JSON Lines object holds: one weight (its bytes) per line, and its bad lines, each named. */
export interface JsonLinesReport {
  readonly weights: number[];
  readonly problems: Violation[];
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Read a JSON Lines body as registration sees it: each line (a final newline ends the last one) must be valid
 * UTF-8 and one JSON object. A bad line is named `<where>:<line>` with the rule it breaks, up to
 * BAD_LINES_SHOWN per object; a blank line is a bad line, since it would become an item that holds nothing.
 * @example inspectJsonLines(Buffer.from('{"a":1}\n[1]\n'), 'data/a.jsonl').problems
 *   // [{ field: 'data/a.jsonl:2', rule: 'must be a JSON object (is an array)' }]
 */
export function inspectJsonLines(body: Uint8Array, where: string): JsonLinesReport {
  const weights: number[] = [];
  const problems: Violation[] = [];
  const end = body.length > 0 && body[body.length - 1] === 0x0a ? body.length - 1 : body.length;
  let start = 0;
  for (let line = 1; start <= end && end > 0; line++) {
    let stop = body.indexOf(0x0a, start);
    if (stop === -1 || stop > end) stop = end;
    const bytes = body.subarray(start, stop);
    weights.push(Math.max(1, bytes.byteLength));
    const rule = ruleBrokenBy(bytes);
    if (rule && problems.length < BAD_LINES_SHOWN) problems.push({ field: `${where}:${line}`, rule });
    start = stop + 1;
  }
  return { weights, problems };
}

function ruleBrokenBy(bytes: Uint8Array): string | undefined {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    return 'must be valid UTF-8';
  }
  if (text.trim() === '') return 'must be a JSON object (the line is blank)';
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'must be a JSON object (the line is not JSON)';
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    return `must be a JSON object (is ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value})`;
  return undefined;
}
