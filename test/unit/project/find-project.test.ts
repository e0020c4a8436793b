import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { findLockFile, findProject, PROCESSORS_ENV } from '../../../project/find-project.ts';

const temps: string[] = [];
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** A temp folder with the given files (path → content; an object is written as JSON). */
function tree(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'batchkeeper-find-project-'));
  temps.push(dir);
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), typeof content === 'string' ? content : JSON.stringify(content));
  }
  return dir;
}

function thrown(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a throw');
}

const noEnv = {};

describe('findProject', () => {
  it('reads batchkeeper.processors of the nearest package.json, relative to that package.json', () => {
    const dir = tree({
      'package.json': { name: 'p', batchkeeper: { processors: 'src/processors.ts' } },
      'src/processors.ts': 'export {};',
      'src/deep/er/x.txt': '',
    });
    expect(findProject(join(dir, 'src', 'deep', 'er'), noEnv)).toEqual({
      root: dir,
      processorsModule: join(dir, 'src', 'processors.ts'),
      processorsLabel: join('src', 'processors.ts'),
    });
  });

  it('stops at the nearest package.json, not the outermost one', () => {
    const dir = tree({
      'package.json': { name: 'outer', batchkeeper: { processors: 'outer.ts' } },
      'outer.ts': '',
      'packages/inner/package.json': { name: 'inner', batchkeeper: { processors: 'lib/inner.ts' } },
      'packages/inner/lib/inner.ts': '',
    });
    const inner = join(dir, 'packages', 'inner');
    expect(findProject(join(inner, 'lib'), noEnv)).toEqual({
      root: inner,
      processorsModule: join(inner, 'lib', 'inner.ts'),
      processorsLabel: join('lib', 'inner.ts'),
    });
  });

  it('is the folder itself, without a module, when no package.json is above it', () => {
    // os.tmpdir() has no package.json above it: the walk reaches the file system's root.
    const dir = tree({ 'a/b.txt': '' });
    expect(findProject(join(dir, 'a'), noEnv)).toEqual({ root: join(dir, 'a') });
  });

  it.each([
    ['no batchkeeper field', { name: 'p' }],
    ['a batchkeeper field without processors', { name: 'p', batchkeeper: {} }],
  ])('names no module (the built-ins run) for a package.json with %s', (_, manifest) => {
    const dir = tree({ 'package.json': manifest, 'src/x.ts': '' });
    expect(findProject(join(dir, 'src'), noEnv)).toEqual({ root: dir });
  });

  it.each([
    ['a string', 'src/processors.ts'],
    ['an array', ['src/processors.ts']],
    ['null', null],
    ['a number', 1],
  ])('refuses a batchkeeper field that is %s, naming the field and the rule', (_, setting) => {
    const dir = tree({ 'package.json': { name: 'p', batchkeeper: setting }, 'src/processors.ts': '' });
    const error = thrown(() => findProject(dir, noEnv));
    expect(error.violations).toEqual([
      {
        field: 'package.json batchkeeper',
        rule: 'must be an object such as { "processors": "src/processors.ts" }',
      },
    ]);
    expect(error.message).toBe(
      'invalid project configuration: package.json batchkeeper: must be an object such as { "processors": "src/processors.ts" }',
    );
  });

  it.each([
    ['an empty string', ''],
    ['a number', 42],
    ['an array', ['src/processors.ts']],
    ['an object', { path: 'src/processors.ts' }],
    ['null', null],
  ])('refuses batchkeeper.processors that is %s', (_, processors) => {
    const dir = tree({ 'package.json': { name: 'p', batchkeeper: { processors } } });
    const error = thrown(() => findProject(dir, noEnv));
    expect(error.message).toBe(
      'invalid project configuration: package.json batchkeeper.processors: must be the path of a module, relative to package.json',
    );
    expect(error.field).toBe('package.json batchkeeper.processors');
  });

  it('refuses batchkeeper.processors naming a file that does not exist, saying where it looked', () => {
    const dir = tree({
      'package.json': { name: 'p', batchkeeper: { processors: 'src/nope.ts' } },
      'src/x': '',
    });
    const error = thrown(() => findProject(join(dir, 'src'), noEnv));
    expect(error.violations).toEqual([
      {
        field: 'package.json batchkeeper.processors',
        rule: `names src/nope.ts, which does not exist (looked at ${join(dir, 'src', 'nope.ts')})`,
      },
    ]);
  });

  it('refuses a package.json that is not JSON', () => {
    const dir = tree({ 'package.json': '{ "name": "p", ' });
    const error = thrown(() => findProject(dir, noEnv));
    expect(error.field).toBe('package.json');
    expect(error.violations[0]?.rule).toMatch(/^must be JSON \(.+\)$/);
    expect(error.message).toMatch(/^invalid project configuration: package\.json: must be JSON \(/);
  });

  describe(`${PROCESSORS_ENV}`, () => {
    it('is the variable BATCHKEEPER_PROCESSORS', () => {
      expect(PROCESSORS_ENV).toBe('BATCHKEEPER_PROCESSORS');
    });

    it('overrides package.json, relative to the folder searched from (not to package.json)', () => {
      const dir = tree({
        'package.json': { name: 'p', batchkeeper: { processors: 'src/processors.ts' } },
        'src/processors.ts': '',
        'src/other.ts': '',
      });
      const project = findProject(join(dir, 'src'), { [PROCESSORS_ENV]: 'other.ts' });
      expect(project).toEqual({
        root: dir,
        processorsModule: join(dir, 'src', 'other.ts'),
        processorsLabel: join('src', 'other.ts'),
      });
    });

    it('is used even when package.json holds a malformed setting', () => {
      const dir = tree({ 'package.json': { name: 'p', batchkeeper: 'oops' }, 'mine.ts': '' });
      expect(findProject(dir, { [PROCESSORS_ENV]: 'mine.ts' }).processorsModule).toBe(join(dir, 'mine.ts'));
    });

    it('works without any package.json, the folder being the root', () => {
      const dir = tree({ 'lib/p.ts': '' });
      expect(findProject(dir, { [PROCESSORS_ENV]: 'lib/p.ts' })).toEqual({
        root: dir,
        processorsModule: join(dir, 'lib', 'p.ts'),
        processorsLabel: join('lib', 'p.ts'),
      });
    });

    it('labels a module outside the project by its absolute path', () => {
      const outside = tree({ 'elsewhere.ts': '' });
      const dir = tree({ 'package.json': { name: 'p' } });
      const file = join(outside, 'elsewhere.ts');
      expect(findProject(dir, { [PROCESSORS_ENV]: file })).toEqual({
        root: dir,
        processorsModule: file,
        processorsLabel: file,
      });
    });

    it('is ignored when empty', () => {
      const dir = tree({
        'package.json': { name: 'p', batchkeeper: { processors: 'src/processors.ts' } },
        'src/processors.ts': '',
      });
      expect(findProject(dir, { [PROCESSORS_ENV]: '' }).processorsModule).toBe(
        join(dir, 'src', 'processors.ts'),
      );
    });

    it('is refused when it names a file that does not exist, naming the variable', () => {
      const dir = tree({ 'package.json': { name: 'p' } });
      const error = thrown(() => findProject(dir, { [PROCESSORS_ENV]: 'missing.ts' }));
      expect(error.violations).toEqual([
        {
          field: 'BATCHKEEPER_PROCESSORS',
          rule: `names missing.ts, which does not exist (looked at ${join(dir, 'missing.ts')})`,
        },
      ]);
    });
  });
});

describe('findLockFile', () => {
  it('finds the nearest lock file above the folder', () => {
    const dir = tree({ 'yarn.lock': '', 'app/package-lock.json': '{}', 'app/src/x.ts': '' });
    expect(findLockFile(join(dir, 'app', 'src'))).toBe(join(dir, 'app', 'package-lock.json'));
    expect(findLockFile(dir)).toBe(join(dir, 'yarn.lock'));
  });

  it('prefers package-lock.json to the others in one folder', () => {
    const dir = tree({ 'pnpm-lock.yaml': '', 'yarn.lock': '', 'package-lock.json': '{}' });
    expect(findLockFile(dir)).toBe(join(dir, 'package-lock.json'));
  });

  it.each(['npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb'])('recognises %s', (name) => {
    const dir = tree({ [name]: '', 'a/b/c.ts': '' });
    expect(findLockFile(join(dir, 'a', 'b'))).toBe(join(dir, name));
  });

  it('is undefined when no lock file is above the folder', () => {
    const dir = tree({ 'package.json': { name: 'p' }, 'src/x.ts': '' });
    expect(findLockFile(join(dir, 'src'))).toBeUndefined();
  });
});
