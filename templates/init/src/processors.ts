import { defineProcessor, ItemRejectedError, z } from 'batchkeeper';

/**
 * Your processors: every processor this module exports (named, or in a default array) can be named by a job.
 * package.json's `batchkeeper.processors` points here; the CLI, the local mode and the CDK app all read it.
 */

/** Counts the words of a text that are at least `minLength` long; a text with none is set aside for review. */
export const wordCount = defineProcessor({
  name: 'word-count',
  // Part of every batch's config hash: raise it when the output for the same input changes.
  version: '1',
  configSchema: z.strictObject({ minLength: z.number().int().min(1).default(1) }),
  itemSchema: z.object({ text: z.string() }),
  processItem(item, { id, ctx }) {
    const words = item.text.split(/\s+/).filter((word) => word.length >= ctx.config.minLength);
    if (words.length === 0) throw new ItemRejectedError('no-words', { id, minLength: ctx.config.minLength });
    return { words: words.length, longest: words.reduce((a, b) => (b.length > a.length ? b : a)) };
  },
});
