import { UnknownProcessorError, ValidationError } from '../errors.ts';
import { type AnyProcessor, isProcessor } from './define-processor.ts';

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

/**
 * The registry of a user's processors module: every export made by defineProcessor, named or in a default
 * export's array; other exports are ignored. A module with none is refused, naming where it was loaded from.
 * @example const registry = registryFromModule(await import(moduleUrl), 'src/processors.ts');
 */
export function registryFromModule(
  exports: Readonly<Record<string, unknown>>,
  where: string,
): ProcessorRegistry {
  const found: AnyProcessor[] = [];
  for (const [key, value] of Object.entries(exports)) {
    if (isProcessor(value)) found.push(value);
    else if (key === 'default' && Array.isArray(value)) {
      value.forEach((item, index) => {
        if (!isProcessor(item))
          throw new ValidationError(
            [{ field: `default.${index}`, rule: 'must be a processor made by defineProcessor' }],
            { what: `processors module ${where}` },
          );
        found.push(item);
      });
    }
  }
  if (found.length === 0)
    throw new ValidationError(
      [{ field: '(exports)', rule: 'must export at least one processor made by defineProcessor' }],
      { what: `processors module ${where}` },
    );
  // The same processor exported twice (by name and in the default array) is one processor.
  return createRegistry([...new Set(found)]);
}
