import { z } from 'zod';
import { ItemRejectedError } from '../../core/errors.ts';
import { defineProcessor } from '../../core/processors/define-processor.ts';
import { JsonObject } from '../../core/validation.ts';

/** Sets every item aside: a batch of more than 98 items stages its exceptions in S3. */
export const refuseAll = defineProcessor({
  name: 'refuse-all',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: (_item, { id }) => {
    throw new ItemRejectedError('refused', { id });
  },
});

/**
 * A processor named `gated` that holds its worker before the first item until the test opens the gate, and sets
 * every third item aside (300 items: 100 exceptions, staged).
 * @example const gate = gatedProcessor(); const inside = gate.entered(); ...; await inside; gate.open();
 */
export function gatedProcessor() {
  let open: () => void = () => {};
  let entered: () => void = () => {};
  const processor = defineProcessor({
    name: 'gated',
    version: '1',
    configSchema: JsonObject,
    itemSchema: z.unknown(),
    async beforeBatch() {
      entered();
      await new Promise<void>((r) => {
        open = r;
      });
    },
    processItem: (_item, { id }) => {
      if (id % 3 === 0) throw new ItemRejectedError('third', { id });
      return { ok: true };
    },
  });
  return {
    processor,
    /** Resolves once a worker waits at the gate; ask before starting the worker. */
    entered: () =>
      new Promise<void>((r) => {
        entered = r;
      }),
    open: () => open(),
  };
}
