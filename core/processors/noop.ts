import { z } from 'zod';
import { JsonObject } from '../validation.ts';
import { defineProcessor } from './define-processor.ts';

/**
 * Does nothing per item, so that benchmarks measure the framework's own cost. Any JSON config is accepted, so
 * a benchmark can vary it to produce distinct config hashes.
 */
export const noop = defineProcessor({
  name: 'noop',
  version: '1',
  configSchema: JsonObject,
  itemSchema: z.unknown(),
  processItem: () => ({ ok: true as const }),
});
