import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ProcessorModuleError } from '../../../core/errors.ts';
import { testProcessor } from '../../../core/processing/test-processor.ts';
import { isProcessor } from '../../../core/processors/define-processor.ts';
import { findProject } from '../../../project/find-project.ts';
import {
  builtinProcessors,
  loadProcessors,
  loadProjectProcessors,
  RefreshingRegistry,
} from '../../../project/load-processors.ts';
import { repoFile, tempProjects, write } from './temp-project.ts';

const projects = tempProjects('load-processors');
afterAll(() => projects.cleanup());

/** The imports a temp processors module starts with: zod from the project, batchkeeper by absolute path. */
const HEADER = [
  "import { z } from 'zod';",
  `import { defineProcessor } from ${JSON.stringify(repoFile('core/processors/define-processor.ts'))};`,
  `import { ItemRejectedError } from ${JSON.stringify(repoFile('core/errors.ts'))};`,
  '',
].join('\n');

/** Source of a processor that answers `answer` (an expression over `item`) for an item `{ text }`. */
const processor = (name: string, answer: string, extra = '') => `defineProcessor({
  name: ${JSON.stringify(name)},
  version: '1',
  ${extra}
  configSchema: z.object({}),
  itemSchema: z.object({ text: z.string() }),
  processItem: (item) => ${answer},
})`;

async function failure(promise: Promise<unknown>): Promise<ProcessorModuleError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ProcessorModuleError);
  return error as ProcessorModuleError;
}

const run = (p: Parameters<typeof testProcessor>[0], ...texts: string[]) =>
  testProcessor(p, { items: texts.map((text, i) => ({ id: i + 1, item: { text } })) }).then((r) =>
    r.outputs.map((o) => o.output),
  );

describe('loadProcessors', () => {
  it('loads every processor the module exports by name, ignoring its other exports, and runs them', async () => {
    const dir = projects.create({
      'src/processors.ts': `${HEADER}
export const upper = ${processor('upper', 'item.text.toUpperCase()')};
export const lower = ${processor('lower', 'item.text.toLowerCase()', "workerSize: 'medium',")};
export const helper = 42;
export function notAProcessor() { return 'x'; }
`,
    });
    const loaded = await loadProcessors(findProject(dir, {}));
    expect(loaded.module).toBe(join(dir, 'src', 'processors.ts'));
    expect(loaded.label).toBe(join('src', 'processors.ts'));
    expect(loaded.registry.names()).toEqual(['lower', 'upper']);
    expect(loaded.processors.map((p) => [p.name, p.workerSize])).toEqual([
      ['lower', 'medium'],
      ['upper', 'small'],
    ]);
    expect(loaded.processors.every(isProcessor)).toBe(true);
    expect(await run(loaded.registry.get('upper'), 'Ab', 'cD')).toEqual(['AB', 'CD']);
    expect(await run(loaded.registry.get('lower'), 'Ab')).toEqual(['ab']);
  });

  it('loads the processors of a default array, counting one exported twice once', async () => {
    const dir = projects.create({
      'src/processors.ts': `${HEADER}
export const one = ${processor('one', '1')};
const two = ${processor('two', '2')};
export default [one, two];
`,
    });
    const loaded = await loadProcessors(findProject(dir, {}));
    expect(loaded.registry.names()).toEqual(['one', 'two']);
    expect(loaded.processors).toHaveLength(2);
    expect(await run(loaded.registry.get('two'), 'x')).toEqual([2]);
  });

  it("writes the bundle to the project's node_modules/.cache/batchkeeper, named by its hash", async () => {
    const dir = projects.create({
      'src/processors.ts': `${HEADER}export const a = ${processor('a', '1')};\n`,
    });
    await loadProcessors(findProject(dir, {}));
    const files = readdirSync(join(dir, 'node_modules', '.cache', 'batchkeeper'));
    expect(files).toHaveLength(1);
    expect(files[0]).toMatch(/^processors-[0-9a-f]{16}\.mjs$/);
  });

  it('bundles the files the module imports, so a relative TypeScript import works', async () => {
    const dir = projects.create({
      'src/words.ts': "export const GREETING: string = 'hello';\n",
      'src/processors.ts': `${HEADER}import { GREETING } from './words.ts';
export const greet = ${processor('greet', "GREETING + ' ' + item.text")};
`,
    });
    const loaded = await loadProcessors(findProject(dir, {}));
    expect(await run(loaded.registry.get('greet'), 'you')).toEqual(['hello you']);
  });

  it("sets aside an item rejected with the module's own copy of ItemRejectedError", async () => {
    const dir = projects.create({
      'src/processors.ts': `${HEADER}
export const picky = ${processor('picky', "item.text === 'bad' ? (() => { throw new ItemRejectedError('bad-text', { text: item.text }); })() : item.text")};
`,
    });
    const loaded = await loadProcessors(findProject(dir, {}));
    const result = await testProcessor(loaded.registry.get('picky'), {
      items: [
        { id: 1, item: { text: 'good' } },
        { id: 2, item: { text: 'bad' } },
      ],
    });
    expect(result.outputs).toEqual([{ id: 1, output: 'good' }]);
    expect(result.exceptions).toEqual([{ itemId: 2, kind: 'bad-text', details: { text: 'bad' } }]);
  });

  it('answers with the built-ins when the project names no module', async () => {
    const dir = projects.create({}, { name: 'p' });
    const loaded = await loadProcessors(findProject(dir, {}));
    expect(loaded.module).toBeUndefined();
    expect(loaded.label).toBe("batchkeeper's built-in processors");
    expect(loaded.registry.names()).toEqual(['noop', 'normalize-address']);
    expect(loaded.processors.map((p) => p.name)).toEqual(['noop', 'normalize-address']);
    expect(builtinProcessors().registry.names()).toEqual(['noop', 'normalize-address']);
  });

  it('loadProjectProcessors finds the project from a folder and honours BATCHKEEPER_PROCESSORS', async () => {
    const dir = projects.create({
      'src/processors.ts': `${HEADER}export const fromManifest = ${processor('from-manifest', '1')};\n`,
      'src/other.ts': `${HEADER}export const fromEnv = ${processor('from-env', '2')};\n`,
    });
    expect((await loadProjectProcessors(join(dir, 'src'), {})).registry.names()).toEqual(['from-manifest']);
    const viaEnv = await loadProjectProcessors(join(dir, 'src'), { BATCHKEEPER_PROCESSORS: 'other.ts' });
    expect(viaEnv.registry.names()).toEqual(['from-env']);
    expect(viaEnv.label).toBe(join('src', 'other.ts'));
  });

  describe('refuses', () => {
    it('a module that does not build, with the reason and file:line', async () => {
      const dir = projects.create({
        'src/processors.ts': `${HEADER}export const broken = defineProcessor({ name: 'x', version: '1', ;\n`,
      });
      const error = await failure(loadProcessors(findProject(dir, {})));
      expect(error.message).toMatch(/^processors module src\/processors\.ts: does not build: /);
      // The syntax error is on line 4: three lines of imports come first.
      expect(error.message).toMatch(/\([^()]*src\/processors\.ts:4\)$/);
      expect(error.context).toMatchObject({ module: 'src/processors.ts' });
    });

    it('a module whose relative import is missing, naming the importing file and line', async () => {
      const dir = projects.create({
        'src/processors.ts': `${HEADER}import { x } from './missing.ts';\nexport const y = x;\n`,
      });
      const error = await failure(loadProcessors(findProject(dir, {})));
      expect(error.message).toContain('does not build: Could not resolve "./missing.ts"');
      expect(error.message).toMatch(/src\/processors\.ts:4\)$/);
    });

    it('a module that exports no processor, naming the module', async () => {
      const dir = projects.create({ 'src/processors.ts': 'export const helper = 1;\nexport default [];\n' });
      const error = await failure(loadProcessors(findProject(dir, {})));
      expect(error.message).toBe(
        'processors module src/processors.ts: ' +
          '(exports): must export at least one processor made by defineProcessor',
      );
    });

    it('a default array holding something other than a processor', async () => {
      const dir = projects.create({
        'src/processors.ts': `${HEADER}export default [${processor('ok', '1')}, { name: 'fake' }];\n`,
      });
      const error = await failure(loadProcessors(findProject(dir, {})));
      expect(error.message).toContain('default.1: must be a processor made by defineProcessor');
    });

    it('two processors with one name', async () => {
      const dir = projects.create({
        'src/processors.ts': `${HEADER}
export const a = ${processor('same', '1')};
export const b = ${processor('same', '2')};
`,
      });
      const error = await failure(loadProcessors(findProject(dir, {})));
      expect(error.message).toMatch(/^processors module src\/processors\.ts: /);
      expect(error.message).toContain('duplicates the processor name same');
    });

    it('a module that throws while loading', async () => {
      const dir = projects.create({
        'src/processors.ts': `${HEADER}
export const a = ${processor('a', '1')};
throw new Error('boom at load');
`,
      });
      const error = await failure(loadProcessors(findProject(dir, {})));
      expect(error.message).toBe('processors module src/processors.ts: failed while loading: boom at load');
    });

    it('a module importing a package the project does not have', async () => {
      const dir = projects.create({
        'src/processors.ts': `import 'no-such-package-batchkeeper-test';\n${HEADER}export const a = ${processor('a', '1')};\n`,
      });
      const error = await failure(loadProcessors(findProject(dir, {})));
      expect(error.message).toMatch(/^processors module src\/processors\.ts: failed while loading: /);
      expect(error.message).toContain('no-such-package-batchkeeper-test');
    });
  });
});

describe('RefreshingRegistry', () => {
  const entry = `${HEADER}import { WORD } from './word.ts';
export const say = ${processor('say', 'WORD')};
`;

  it('answers with what it was opened with, by name', async () => {
    const dir = projects.create({
      'src/word.ts': "export const WORD = 'one';\n",
      'src/processors.ts': entry,
    });
    const registry = await RefreshingRegistry.open(findProject(dir, {}));
    expect(registry.label).toBe(join('src', 'processors.ts'));
    expect(registry.names()).toEqual(['say']);
    expect(registry.has('say')).toBe(true);
    expect(registry.has('other')).toBe(false);
    expect(() => registry.get('other')).toThrow('no processor named other (known: say)');
    expect(await run(registry.get('say'), 'x')).toEqual(['one']);
  });

  it('keeps the same processor across a refresh when nothing changed', async () => {
    const dir = projects.create({
      'src/word.ts': "export const WORD = 'one';\n",
      'src/processors.ts': entry,
    });
    const registry = await RefreshingRegistry.open(findProject(dir, {}));
    const before = registry.get('say');
    await registry.refresh();
    expect(registry.get('say')).toBe(before);
    expect(readdirSync(join(dir, 'node_modules', '.cache', 'batchkeeper'))).toHaveLength(1);
  });

  it('picks up a change in a file the module imports, not only in the module itself', async () => {
    const dir = projects.create({
      'src/word.ts': "export const WORD = 'one';\n",
      'src/processors.ts': entry,
    });
    const registry = await RefreshingRegistry.open(findProject(dir, {}));
    const before = registry.get('say');
    write(dir, 'src/word.ts', "export const WORD = 'two';\n");
    // Not before the refresh: a run in progress keeps the module it started with.
    expect(registry.get('say')).toBe(before);
    await registry.refresh();
    expect(registry.get('say')).not.toBe(before);
    expect(await run(registry.get('say'), 'x')).toEqual(['two']);
  });

  it('picks up a processor added to the module', async () => {
    const dir = projects.create({
      'src/word.ts': "export const WORD = 'one';\n",
      'src/processors.ts': entry,
    });
    const registry = await RefreshingRegistry.open(findProject(dir, {}));
    write(dir, 'src/processors.ts', `${entry}export const echo = ${processor('echo', 'item.text')};\n`);
    await registry.refresh();
    expect(registry.names()).toEqual(['echo', 'say']);
    expect(await run(registry.get('echo'), 'hi')).toEqual(['hi']);
  });

  it('throws ProcessorModuleError on a refresh of a broken module, and keeps answering with the last good one', async () => {
    const dir = projects.create({
      'src/word.ts': "export const WORD = 'one';\n",
      'src/processors.ts': entry,
    });
    const registry = await RefreshingRegistry.open(findProject(dir, {}));
    const before = registry.get('say');
    write(dir, 'src/word.ts', 'export const WORD = ;\n');
    const error = await failure(registry.refresh());
    expect(error.message).toMatch(/does not build: .*src\/word\.ts:1\)$/);
    expect(registry.get('say')).toBe(before);
    write(dir, 'src/word.ts', "export const WORD = 'fixed';\n");
    await registry.refresh();
    expect(await run(registry.get('say'), 'x')).toEqual(['fixed']);
  });

  it('stays with the built-ins on refresh when the project names no module', async () => {
    const dir = projects.create({}, { name: 'p' });
    const registry = await RefreshingRegistry.open(findProject(dir, {}));
    const noop = registry.get('noop');
    await registry.refresh();
    expect(registry.label).toBe("batchkeeper's built-in processors");
    expect(registry.names()).toEqual(['noop', 'normalize-address']);
    expect(registry.get('noop')).toBe(noop);
  });
});
