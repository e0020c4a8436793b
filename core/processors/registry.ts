import { UnknownProcessorError, ValidationError } from '../errors.ts';
import type { AnyProcessor } from './define-processor.ts';

/** Processors by name. Jobs name a processor; the registry is the only way from that name to code. */
export interface ProcessorRegistry {
  /** Throws UnknownProcessorError listing the known names. */
  get(name: string): AnyProcessor;
  has(name: string): boolean;
  /** Known names, sorted. */
  names(): string[];
}

/**
 * Builds a registry. Two processors with one name are a programming error, reported at creation rather than
 * at the first job that happens to name either.
 * @example const registry = createRegistry([normalizeAddress, noop]);
 */
export function createRegistry(processors: readonly AnyProcessor[]): ProcessorRegistry {
  const byName = new Map<string, AnyProcessor>();
  processors.forEach((processor, index) => {
    if (byName.has(processor.name)) {
      throw new ValidationError(
        [{ field: `processors.${index}.name`, rule: `duplicates the processor name ${processor.name}` }],
        { what: 'processor registry' },
      );
    }
    byName.set(processor.name, processor);
  });
  const names = [...byName.keys()].sort();
  return {
    get(name) {
      const processor = byName.get(name);
      if (!processor) throw new UnknownProcessorError({ name, known: names });
      return processor;
    },
    has: (name) => byName.has(name),
    names: () => [...names],
  };
}
