import { describe, expect, it } from 'vitest';
import { BAD_LINES_SHOWN, inspectJsonLines } from '../../../../core/catalog/json-lines.ts';

const body = (...parts: (string | Uint8Array)[]) =>
  Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p) : Buffer.from(p))));

describe('inspectJsonLines', () => {
  it('weighs each line by its bytes, with or without a final newline', () => {
    expect(inspectJsonLines(body('{"a":1}\n{"bb":22}\n'), 'f')).toEqual({ weights: [7, 9], problems: [] });
    expect(inspectJsonLines(body('{"a":1}\n{"bb":22}'), 'f')).toEqual({ weights: [7, 9], problems: [] });
  });

  it('holds no line when the body is empty or one newline', () => {
    expect(inspectJsonLines(body(''), 'f').weights).toEqual([]);
    expect(inspectJsonLines(body('\n'), 'f').weights).toEqual([]);
  });

  it('names each line that is not one JSON object, by file and line number, and the rule it breaks', () => {
    const bad = body('{"ok":1}\n[1,2,3]\n\nnot json\n42\nnull\n"text"\n');
    expect(inspectJsonLines(bad, 'data/a.jsonl').problems).toEqual([
      { field: 'data/a.jsonl:2', rule: 'must be a JSON object (is an array)' },
      { field: 'data/a.jsonl:3', rule: 'must be a JSON object (the line is blank)' },
      { field: 'data/a.jsonl:4', rule: 'must be a JSON object (the line is not JSON)' },
      { field: 'data/a.jsonl:5', rule: 'must be a JSON object (is number)' },
      { field: 'data/a.jsonl:6', rule: 'must be a JSON object (is null)' },
    ]);
    expect(inspectJsonLines(bad, 'data/a.jsonl').weights).toHaveLength(7);
  });

  it('refuses invalid UTF-8 rather than decoding it lossily', () => {
    const out = inspectJsonLines(body('{"a":"x"}\n{"a":"', new Uint8Array([0xc3, 0x28]), '"}\n'), 'f');
    expect(out.problems).toEqual([{ field: 'f:2', rule: 'must be valid UTF-8' }]);
  });

  it(`names at most ${BAD_LINES_SHOWN} bad lines of one object`, () => {
    const out = inspectJsonLines(body('[]\n'.repeat(50)), 'f');
    expect(out.problems).toHaveLength(BAD_LINES_SHOWN);
    expect(out.weights).toHaveLength(50);
  });
});
