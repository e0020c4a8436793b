import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { UnknownProcessorError, ValidationError } from '../../../core/errors.ts';
import { builtinProcessors, defaultRegistry } from '../../../core/processors/builtin.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { noop } from '../../../core/processors/noop.ts';
import { createRegistry } from '../../../core/processors/registry.ts';

const named = (name: string, version = '1') =>
  defineProcessor({
    name,
    version,
    configSchema: z.object({}),
    itemSchema: z.unknown(),
    processItem: () => name,
  });

describe('createRegistry', () => {
  it('finds a processor by name', () => {
    const a = named('a');
    const registry = createRegistry([a, named('b')]);
    expect(registry.get('a')).toBe(a);
    expect(registry.has('b')).toBe(true);
    expect(registry.has('c')).toBe(false);
  });

  it('lists the names sorted', () => {
    expect(createRegistry([named('zeta'), named('alpha')]).names()).toEqual(['alpha', 'zeta']);
  });

  it('refuses an unknown name, listing the known ones', () => {
    const registry = createRegistry([named('zeta'), named('alpha')]);
    const error = (() => {
      try {
        registry.get('gamma');
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(UnknownProcessorError);
    expect((error as UnknownProcessorError).message).toBe('no processor named gamma (known: alpha, zeta)');
    expect((error as UnknownProcessorError).context).toEqual({ name: 'gamma', known: ['alpha', 'zeta'] });
  });

  it('says so when it knows none', () => {
    expect(() => createRegistry([]).get('x')).toThrow('known: none');
  });

  it('refuses two processors with one name at creation', () => {
    expect(() => createRegistry([named('a'), named('b'), named('a', '2')])).toThrow(ValidationError);
    expect(() => createRegistry([named('a'), named('a')])).toThrow(
      /processors\.1\.name: duplicates the processor name a/,
    );
  });

  it('does not let a caller change its list of names', () => {
    const registry = createRegistry([named('a')]);
    registry.names().push('b');
    expect(registry.names()).toEqual(['a']);
  });
});

describe('builtin processors', () => {
  it('are the address normaliser and noop, in the default registry', () => {
    expect(builtinProcessors.map((p) => p.name)).toEqual(['normalize-address', 'noop']);
    expect(defaultRegistry.names()).toEqual(['noop', 'normalize-address']);
    expect(defaultRegistry.get('noop')).toBe(noop);
  });

  it('noop takes any item and any JSON config and answers ok', async () => {
    const config = noop.parseConfig({ label: 'bench', sizes: [1, 2] });
    const ctx = {
      jobId: 'j',
      runId: 'r',
      batch: { start: 1, end: 1 },
      config,
      state: undefined,
      secret: async () => undefined,
      log: { info: () => {}, warn: () => {} },
    };
    for (const item of [null, 1, 'x', { deep: [1, { a: 2 }] }]) {
      expect(noop.parseItem(item)).toEqual({ ok: true, item });
      await expect(noop.processItem(item, { id: 1, ctx })).resolves.toEqual({ ok: true });
    }
    expect(noop.version).toBe('1');
  });
});
