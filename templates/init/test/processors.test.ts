import { testProcessor } from 'batchkeeper/testing';
import { describe, expect, it } from 'vitest';
import { wordCount } from '../src/processors.ts';

describe('word-count', () => {
  it('counts the words of each item, as a batch would commit them', async () => {
    const result = await testProcessor(wordCount, {
      config: { minLength: 3 },
      items: [
        { id: 1, item: { text: 'the quick brown fox' } },
        { id: 2, item: { text: 'jumps over' } },
      ],
    });
    expect(result.outputs).toEqual([
      { id: 1, output: { words: 4, longest: 'quick' } },
      { id: 2, output: { words: 2, longest: 'jumps' } },
    ]);
    expect(result.exceptions).toEqual([]);
  });

  it('sets aside a text without words and an item that is not text', async () => {
    const result = await testProcessor(wordCount, {
      items: [
        { id: 7, item: { text: '   ' } },
        { id: 8, item: { title: 'no text field' } },
      ],
    });
    expect(result.outputs).toEqual([]);
    expect(result.exceptions.map((e) => [e.itemId, e.kind])).toEqual([
      [7, 'no-words'],
      [8, 'invalid-item'],
    ]);
  });

  it('refuses a config that breaks the schema, naming the field', async () => {
    await expect(testProcessor(wordCount, { config: { minLength: 0 }, items: [] })).rejects.toThrow(
      /config\.minLength/,
    );
  });
});
