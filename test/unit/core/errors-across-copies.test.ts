import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  BatchkeeperError,
  ItemRejectedError,
  isBatchkeeperError,
  ProcessorModuleError,
  RetryableError,
  ValidationError,
} from '../../../core/errors.ts';
import { testProcessor } from '../../../core/processing/test-processor.ts';
import { defineProcessor, isProcessor } from '../../../core/processors/define-processor.ts';
import { noop } from '../../../core/processors/noop.ts';
import { registryFromModule } from '../../../core/processors/registry.ts';
import { repoFile, tempProjects } from '../project/temp-project.ts';

type ErrorsModule = typeof import('../../../core/errors.ts');
type DefineModule = typeof import('../../../core/processors/define-processor.ts');

/**
 * Two real second copies of batchkeeper's modules, as a user's processors module importing its own install
 * would hold them: core/errors.ts copied as it is (it imports nothing), and define-processor.ts bundled by
 * esbuild with everything it imports but zod.
 */
const projects = tempProjects('errors-copies');
const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
  projects.cleanup();
});

let Copy: ErrorsModule;
let CopyDefine: DefineModule & Pick<ErrorsModule, 'ItemRejectedError' | 'ValidationError'>;

beforeAll(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'batchkeeper-errors-copy-'));
  temps.push(dir);
  copyFileSync(repoFile('core/errors.ts'), join(dir, 'errors.ts'));
  Copy = (await import(/* @vite-ignore */ pathToFileURL(join(dir, 'errors.ts')).href)) as ErrorsModule;

  const project = projects.create();
  const entry = join(project, 'entry.ts');
  writeFileSync(
    entry,
    [
      `export { defineProcessor, isProcessor } from ${JSON.stringify(repoFile('core/processors/define-processor.ts'))};`,
      `export { ItemRejectedError, ValidationError } from ${JSON.stringify(repoFile('core/errors.ts'))};`,
    ].join('\n'),
  );
  const outfile = join(project, 'copy.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    logLevel: 'silent',
  });
  // The bundle holds its own define-processor and errors: no import of them is left.
  expect(readFileSync(outfile, 'utf8')).not.toMatch(/from ["'][^"']*(define-processor|errors)\.ts["']/);
  CopyDefine = (await import(/* @vite-ignore */ pathToFileURL(outfile).href)) as typeof CopyDefine;
});

describe('instanceof across copies of core/errors.ts', () => {
  it('is a second copy indeed: other classes, not these', () => {
    expect(Copy.ItemRejectedError).not.toBe(ItemRejectedError);
    expect(Copy.BatchkeeperError).not.toBe(BatchkeeperError);
    // Without the brand, the prototype chains are unrelated.
    expect(
      Object.prototype.isPrototypeOf.call(ItemRejectedError.prototype, new Copy.ItemRejectedError('k')),
    ).toBe(false);
  });

  it("holds for the copy's error of the same class and for the base class", () => {
    const rejected = new Copy.ItemRejectedError('bad-row', { line: 3 });
    expect(rejected instanceof ItemRejectedError).toBe(true);
    expect(rejected instanceof BatchkeeperError).toBe(true);
    expect(isBatchkeeperError(rejected)).toBe(true);
    expect(rejected.name).toBe('ItemRejectedError');
  });

  it('does not hold for another class', () => {
    const rejected = new Copy.ItemRejectedError('bad-row');
    expect(rejected instanceof RetryableError).toBe(false);
    expect(rejected instanceof ValidationError).toBe(false);
    expect(new Copy.RetryableError('later') instanceof ItemRejectedError).toBe(false);
    expect(new Copy.RetryableError('later') instanceof RetryableError).toBe(true);
  });

  it('follows the subclass chain: a ValidationError is a ValidationError and a BatchkeeperError only', () => {
    const invalid = new Copy.ValidationError([{ field: 'f', rule: 'r' }]);
    expect(invalid instanceof ValidationError).toBe(true);
    expect(invalid instanceof BatchkeeperError).toBe(true);
    expect(invalid instanceof Error).toBe(true);
    for (const other of [ItemRejectedError, RetryableError, ProcessorModuleError])
      expect(invalid instanceof other).toBe(false);
  });

  it('holds the other way round too: ours is an instance of the copy', () => {
    expect(new ItemRejectedError('k') instanceof Copy.ItemRejectedError).toBe(true);
    expect(new ItemRejectedError('k') instanceof Copy.BatchkeeperError).toBe(true);
    expect(new ItemRejectedError('k') instanceof Copy.RetryableError).toBe(false);
  });

  it.each([
    ['a plain Error', new Error('item rejected: k')],
    ['an Error named like ours', Object.assign(new Error('x'), { name: 'ItemRejectedError' })],
    ['null', null],
    ['undefined', undefined],
    ['an empty object', {}],
    ['a string', 'ItemRejectedError'],
    ['an object with the field names', { kind: 'k', details: {}, context: {}, name: 'ItemRejectedError' }],
  ])('does not hold for %s', (_, value) => {
    expect(value instanceof ItemRejectedError).toBe(false);
    expect(value instanceof BatchkeeperError).toBe(false);
    expect(isBatchkeeperError(value)).toBe(false);
  });

  it("sets aside an item a processor rejects with the copy's ItemRejectedError", async () => {
    const p = defineProcessor({
      name: 'copy-reject',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: (_, { id }) => {
        if (id === 2) throw new Copy.ItemRejectedError('from-copy', { id });
        return id;
      },
    });
    const result = await testProcessor(p, {
      items: [
        { id: 1, item: null },
        { id: 2, item: null },
      ],
    });
    expect(result.outputs).toEqual([{ id: 1, output: 1 }]);
    expect(result.exceptions).toEqual([{ itemId: 2, kind: 'from-copy', details: { id: 2 } }]);
  });
});

describe('isProcessor across copies of define-processor.ts', () => {
  const made = () =>
    CopyDefine.defineProcessor({
      name: 'from-copy',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      processItem: () => 'copied',
    });

  it("recognises a processor made by the copy's defineProcessor, and the copy recognises ours", () => {
    expect(CopyDefine.defineProcessor).not.toBe(defineProcessor);
    expect(isProcessor(made())).toBe(true);
    expect(CopyDefine.isProcessor(noop)).toBe(true);
  });

  it("builds a registry from a module of the copy's processors, and runs them", async () => {
    const registry = registryFromModule({ fromCopy: made(), helper: 1 }, 'copy.mjs');
    expect(registry.names()).toEqual(['from-copy']);
    expect((await testProcessor(registry.get('from-copy'), { items: [{ id: 1, item: 0 }] })).outputs).toEqual(
      [{ id: 1, output: 'copied' }],
    );
  });

  it("lets the copy's ValidationError pass as ours", () => {
    const error = (() => {
      try {
        CopyDefine.defineProcessor({
          name: 'bad name!',
          version: '1',
          configSchema: z.object({}),
          itemSchema: z.unknown(),
          processItem: () => 1,
        });
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(CopyDefine.ValidationError);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).field).toBe('name');
  });

  it('does not take a look-alike without the brand for a processor', () => {
    // Every field and hook of a real processor, but not made by defineProcessor.
    const lookAlike = { ...noop };
    expect(Object.keys(lookAlike).sort()).toEqual(Object.keys(noop).sort());
    expect(isProcessor(lookAlike)).toBe(false);
    expect(CopyDefine.isProcessor(lookAlike)).toBe(false);
    expect(() => registryFromModule({ lookAlike }, 'fake.ts')).toThrow(
      'invalid processors module fake.ts: (exports): must export at least one processor made by defineProcessor',
    );
    expect(() => registryFromModule({ default: [noop, lookAlike] }, 'fake.ts')).toThrow(
      'default.1: must be a processor made by defineProcessor',
    );
  });

  it.each([
    ['null', null],
    ['a string', 'noop'],
    ['a function', () => noop],
    ['an object branded with another symbol', { [Symbol('batchkeeper.processor')]: true }],
  ])('does not take %s for a processor', (_, value) => {
    expect(isProcessor(value)).toBe(false);
  });
});
