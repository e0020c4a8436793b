import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { ValidationError } from '../core/errors.ts';

/**
 * `batchkeeper init`: a project of the user's own that depends on batchkeeper, from the files of
 * templates/init. `{{key}}` in a file is replaced by the value of `key`; a few files are stored under other
 * names, because npm would treat them specially inside this package.
 */
export interface ScaffoldOptions {
  /** Where the project goes: absent or empty. */
  readonly dir: string;
  /** The templates' folder. */
  readonly templates: string;
  /** The npm package name. @default the folder's name */
  readonly name?: string;
  /** Values for `{{key}}`, e.g. the dependency specs: `batchkeeper`, `vitest`, ... */
  readonly values: Readonly<Record<string, string>>;
}

/** Template files stored under another name than the one they get. */
const RENAMED: Readonly<Record<string, string>> = {
  'package.json.template': 'package.json',
  gitignore: '.gitignore',
};

/** npm's rule for a new package name: lowercase, URL-safe, at most 214 characters. */
const PACKAGE_NAME = /^(?:@[a-z0-9-~][a-z0-9-._~]*\/)?[a-z0-9-~][a-z0-9-._~]*$/;

/** Write the project; returns its files, relative to `dir`. Checks everything before the first write. */
export function scaffold(o: ScaffoldOptions): string[] {
  const dir = resolve(o.dir);
  const name = o.name ?? basename(dir);
  const problems = [];
  if (existsSync(dir) && (!statSync(dir).isDirectory() || readdirSync(dir).length > 0))
    problems.push({ field: 'dir', rule: `must be a new or empty folder (${dir} is not)` });
  if (!PACKAGE_NAME.test(name) || name.length > 214)
    problems.push({
      field: o.name === undefined ? 'dir' : 'name',
      rule: `${name} is not a valid npm package name (lowercase letters, digits, - . _ ~; give --name)`,
    });
  if (problems.length > 0) throw new ValidationError(problems, { what: 'init' });
  const values = { ...o.values, name };
  const files = templateFiles(o.templates).map((file) => {
    const target = RENAMED[basename(file)] ? join(file, '..', RENAMED[basename(file)] as string) : file;
    return { source: join(o.templates, file), target: relative('.', target) };
  });
  // Render all first: a placeholder without a value is found before anything is written.
  const rendered = files.map((f) => ({
    ...f,
    text: render(readFileSync(f.source, 'utf8'), values, f.source, f.target.endsWith('.json')),
  }));
  for (const f of rendered) {
    mkdirSync(join(dir, f.target, '..'), { recursive: true });
    writeFileSync(join(dir, f.target), f.text);
  }
  return rendered.map((f) => f.target).sort();
}

function templateFiles(root: string, under = ''): string[] {
  return readdirSync(join(root, under), { withFileTypes: true }).flatMap((entry) => {
    const path = under ? `${under}/${entry.name}` : entry.name;
    return entry.isDirectory() ? templateFiles(root, path) : [path];
  });
}

/** Placeholders in a JSON file stand inside strings: their values are escaped as JSON string content. */
function render(
  text: string,
  values: Readonly<Record<string, string>>,
  source: string,
  json: boolean,
): string {
  return text.replace(/\{\{([^{}\s]+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`template ${source} needs a value for {{${key}}}`);
    return json ? JSON.stringify(value).slice(1, -1) : value;
  });
}
