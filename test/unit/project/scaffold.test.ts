import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ValidationError } from '../../../core/errors.ts';
import { scaffold } from '../../../project/scaffold.ts';

const TEMPLATES = fileURLToPath(new URL('../../../templates/init', import.meta.url));

/** Every value templates/init asks for besides `name`, as `batchkeeper init` gives them. */
const VALUES = {
  batchkeeper: '^9.9.9',
  '@types/node': '^20.19.0',
  'aws-cdk': '2.1148.1',
  'aws-cdk-lib': '2.276.0',
  constructs: '10.8.1',
  tsx: '4.23.15',
  typescript: '5.9.3',
  vitest: '4.1.12',
};

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'batchkeeper-scaffold-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

/** Every file under `dir`, relative and sorted. */
function filesUnder(dir: string, under = ''): string[] {
  return readdirSync(join(dir, under), { withFileTypes: true })
    .flatMap((e) => {
      const path = under ? `${under}/${e.name}` : e.name;
      return e.isDirectory() ? filesUnder(dir, path) : [path];
    })
    .sort();
}

function thrown(f: () => unknown): unknown {
  try {
    f();
  } catch (e) {
    return e;
  }
  throw new Error('expected a throw');
}

describe('scaffold', () => {
  it('writes every template, renaming package.json.template and gitignore, and returns the sorted list', () => {
    const dir = join(tempDir(), 'my-project');
    const files = scaffold({ dir, templates: TEMPLATES, values: VALUES });
    const expected = filesUnder(TEMPLATES)
      .map((f) =>
        f
          .replace(/(^|\/)package\.json\.template$/, '$1package.json')
          .replace(/(^|\/)gitignore$/, '$1.gitignore'),
      )
      .sort();
    expect(files).toEqual(expected);
    expect(files).toEqual([...files].sort());
    expect(files).toEqual(expect.arrayContaining(['.gitignore', 'package.json', 'src/processors.ts']));
    expect(files).not.toContain('gitignore');
    expect(files).not.toContain('package.json.template');
    expect(filesUnder(dir)).toEqual(files);
  });

  it('fills every placeholder: no {{ is left in any file written', () => {
    const dir = join(tempDir(), 'filled');
    const files = scaffold({ dir, templates: TEMPLATES, values: VALUES });
    for (const file of files) expect(readFileSync(join(dir, file), 'utf8'), file).not.toContain('{{');
    expect(readFileSync(join(dir, 'README.md'), 'utf8').split('\n')[0]).toBe('# filled');
  });

  it('renders a package.json that parses, named after the folder, with the values given', () => {
    const dir = join(tempDir(), 'word-counter');
    scaffold({ dir, templates: TEMPLATES, values: VALUES });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    expect(manifest.name).toBe('word-counter');
    expect(manifest.dependencies).toEqual({ batchkeeper: '^9.9.9' });
    expect(manifest.devDependencies).toMatchObject({ vitest: '4.1.12', '@types/node': '^20.19.0' });
  });

  it("names a processors module in package.json that is one of the scaffold's files", () => {
    const dir = join(tempDir(), 'with-module');
    const files = scaffold({ dir, templates: TEMPLATES, values: VALUES });
    const manifest = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
    const processors = manifest.batchkeeper?.processors;
    expect(typeof processors).toBe('string');
    expect(files).toContain(processors);
    expect(existsSync(join(dir, processors))).toBe(true);
  });

  it('takes the name given over the folder name, a scoped name too', () => {
    const dir = join(tempDir(), 'Folder With Spaces');
    scaffold({ dir, templates: TEMPLATES, name: '@me/counter', values: VALUES });
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).toBe('@me/counter');
    expect(readFileSync(join(dir, 'README.md'), 'utf8').split('\n')[0]).toBe('# @me/counter');
  });

  it('writes into an existing empty folder', () => {
    const dir = tempDir();
    const name = 'empty-folder';
    const files = scaffold({ dir, templates: TEMPLATES, name, values: VALUES });
    expect(files).toContain('package.json');
    expect(existsSync(join(dir, 'src', 'processors.ts'))).toBe(true);
  });

  it('refuses a folder that is not empty, writing nothing', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'notes.txt'), 'mine');
    const error = thrown(() => scaffold({ dir, templates: TEMPLATES, name: 'p', values: VALUES }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).violations).toEqual([
      { field: 'dir', rule: `must be a new or empty folder (${dir} is not)` },
    ]);
    expect((error as ValidationError).message).toMatch(/^invalid init: dir: must be a new or empty folder/);
    expect(readdirSync(dir)).toEqual(['notes.txt']);
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).toBe('mine');
  });

  it('refuses a path that is a file', () => {
    const file = join(tempDir(), 'a-file');
    writeFileSync(file, 'x');
    const error = thrown(() => scaffold({ dir: file, templates: TEMPLATES, name: 'p', values: VALUES }));
    expect((error as ValidationError).field).toBe('dir');
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it.each(['My Project', 'UPPER', '.dot-first', '_underscore-first', 'has/slash', '@scope', 'a'.repeat(215)])(
    'refuses the npm name %j before writing anything',
    (name) => {
      const dir = join(tempDir(), 'new');
      const error = thrown(() => scaffold({ dir, templates: TEMPLATES, name, values: VALUES }));
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).violations).toEqual([
        {
          field: 'name',
          rule: `${name} is not a valid npm package name (lowercase letters, digits, - . _ ~; give --name)`,
        },
      ]);
      expect(existsSync(dir)).toBe(false);
    },
  );

  it('accepts a name of 214 characters', () => {
    const dir = join(tempDir(), 'long');
    scaffold({ dir, templates: TEMPLATES, name: 'a'.repeat(214), values: VALUES });
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).toBe('a'.repeat(214));
  });

  it('refuses a folder whose name is not a valid npm name, naming dir, when no name is given', () => {
    const dir = join(tempDir(), 'My Project');
    const error = thrown(() => scaffold({ dir, templates: TEMPLATES, values: VALUES }));
    expect((error as ValidationError).violations).toEqual([
      {
        field: 'dir',
        rule: 'My Project is not a valid npm package name (lowercase letters, digits, - . _ ~; give --name)',
      },
    ]);
    expect(existsSync(dir)).toBe(false);
  });

  it('reports a non-empty folder and a bad name together', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'x'), '');
    const error = thrown(() => scaffold({ dir, templates: TEMPLATES, name: 'Bad', values: VALUES }));
    expect((error as ValidationError).violations.map((v) => v.field)).toEqual(['dir', 'name']);
  });

  it('throws for a placeholder without a value before any file is written', () => {
    const dir = join(tempDir(), 'incomplete');
    const { vitest: _, ...values } = VALUES;
    const error = thrown(() => scaffold({ dir, templates: TEMPLATES, values }));
    expect((error as Error).message).toBe(
      `template ${join(TEMPLATES, 'package.json.template')} needs a value for {{vitest}}`,
    );
    expect(existsSync(dir)).toBe(false);
  });

  it('renders templates of its own folder: nested files, renames in subfolders, every occurrence', () => {
    const templates = tempDir();
    const put = (path: string, text: string) => {
      mkdirSync(dirname(join(templates, path)), { recursive: true });
      writeFileSync(join(templates, path), text);
    };
    put('a/b/c.txt', '{{name}} and {{name}} use {{tool}}');
    put('a/gitignore', 'out/');
    put('package.json.template', '{"name":"{{name}}"}');
    put('z.txt', 'nothing to fill: { {not} } {}');
    const dir = join(tempDir(), 'own');
    const files = scaffold({ dir, templates, values: { tool: 'esbuild' } });
    expect(files).toEqual(['a/.gitignore', 'a/b/c.txt', 'package.json', 'z.txt']);
    expect(readFileSync(join(dir, 'a/b/c.txt'), 'utf8')).toBe('own and own use esbuild');
    expect(readFileSync(join(dir, 'a/.gitignore'), 'utf8')).toBe('out/');
    expect(readFileSync(join(dir, 'z.txt'), 'utf8')).toBe('nothing to fill: { {not} } {}');
  });

  it.each([
    ['a Windows tarball path', 'C:\\Users\\me\\batchkeeper-0.1.0.tgz'],
    ['a path with a double quote', '/home/me/my "builds"/batchkeeper-0.1.0.tgz'],
  ])('never leaves a package.json that is not JSON, whatever the dependency spec holds: %s', (_, spec) => {
    const dir = join(tempDir(), 'odd-spec');
    let refused: unknown;
    try {
      scaffold({ dir, templates: TEMPLATES, values: { ...VALUES, batchkeeper: spec } });
    } catch (e) {
      refused = e;
    }
    if (refused !== undefined) {
      // Refusing the value is fine, as a ValidationError before anything is written.
      expect(refused).toBeInstanceOf(ValidationError);
      expect(existsSync(dir)).toBe(false);
    } else {
      const text = readFileSync(join(dir, 'package.json'), 'utf8');
      expect(() => JSON.parse(text), text).not.toThrow();
      expect(JSON.parse(text).dependencies.batchkeeper).toBe(spec);
    }
  });

  it('gives `name` the project name even when values hold another', () => {
    const dir = join(tempDir(), 'real-name');
    scaffold({ dir, templates: TEMPLATES, values: { ...VALUES, name: 'other' } });
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name).toBe('real-name');
  });
});
