import { addressNormalizer } from './address/normalize-address.ts';
import type { AnyProcessor } from './define-processor.ts';
import { noop } from './noop.ts';
import { createRegistry } from './registry.ts';

/** The processors that ship with batchkeeper: the example address normaliser and `noop` for benchmarks. */
export const builtinProcessors: readonly AnyProcessor[] = [addressNormalizer, noop];

/** The registry the handlers, the CLI and the local mode use unless given another. */
export const defaultRegistry = createRegistry(builtinProcessors);
