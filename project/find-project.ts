import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { ValidationError } from '../core/errors.ts';

/**
 * A user's project, as batchkeeper finds it: the nearest package.json above a directory, and the processors
 * module it names in its `batchkeeper` field:
 *
 *   "batchkeeper": { "processors": "src/processors.ts" }
 *
 * That one setting is read by the CLI, the local mode and the CDK construct alike. BATCHKEEPER_PROCESSORS (a
 * path, relative to the working directory) overrides it.
 */
export interface Project {
  /** The directory of the project's package.json. */
  readonly root: string;
  /** The processors module, absolute; undefined when the project names none (batchkeeper's built-ins run). */
  readonly processorsModule?: string;
  /** The module as the user wrote it, for messages. */
  readonly processorsLabel?: string;
}

/** The environment variable that names a processors module in place of package.json. */
export const PROCESSORS_ENV = 'BATCHKEEPER_PROCESSORS';

/**
 * Find the project around `from`. Without a package.json above it, the project is `from` itself with no
 * processors module. A malformed setting, or one naming a file that does not exist, is a ValidationError
 * naming the field and the rule.
 */
export function findProject(from: string = process.cwd(), env = process.env): Project {
  const start = resolve(from);
  const manifest = nearestPackageJson(start);
  const root = manifest ? dirname(manifest) : start;
  const override = env[PROCESSORS_ENV];
  if (override !== undefined && override !== '') {
    return moduleAt(root, resolve(start, override), override, PROCESSORS_ENV);
  }
  if (!manifest) return { root };
  const field = 'package.json batchkeeper.processors';
  const setting = readSetting(manifest);
  if (setting === undefined) return { root };
  if (typeof setting !== 'object' || setting === null || Array.isArray(setting))
    throw invalid(
      'package.json batchkeeper',
      'must be an object such as { "processors": "src/processors.ts" }',
    );
  const processors = (setting as { processors?: unknown }).processors;
  if (processors === undefined) return { root };
  if (typeof processors !== 'string' || processors === '')
    throw invalid(field, 'must be the path of a module, relative to package.json');
  return moduleAt(root, resolve(root, processors), processors, field);
}

function moduleAt(root: string, file: string, label: string, field: string): Project {
  if (!existsSync(file)) throw invalid(field, `names ${label}, which does not exist (looked at ${file})`);
  if (!statSync(file).isFile())
    throw invalid(field, `names ${label}, which is not a file (a module such as src/processors.ts)`);
  const shown = relative(root, file);
  return { root, processorsModule: file, processorsLabel: shown.startsWith('..') ? file : shown };
}

function nearestPackageJson(dir: string): string | undefined {
  for (let d = dir; ; d = dirname(d)) {
    const candidate = join(d, 'package.json');
    if (existsSync(candidate)) return candidate;
    if (dirname(d) === d) return undefined;
  }
}

function readSetting(manifest: string): unknown {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(manifest, 'utf8'));
  } catch (error) {
    throw invalid('package.json', `must be JSON (${(error as Error).message})`);
  }
  return (parsed as { batchkeeper?: unknown } | null)?.batchkeeper;
}

const invalid = (field: string, rule: string) =>
  new ValidationError([{ field, rule }], { what: 'project configuration' });

/** The lock files a bundler reads, in the order they are looked for. */
const LOCK_FILES = ['package-lock.json', 'npm-shrinkwrap.json', 'yarn.lock', 'pnpm-lock.yaml', 'bun.lockb'];

/** The nearest lock file above `from`: where the CDK bundles the handlers from. */
export function findLockFile(from: string = process.cwd()): string | undefined {
  for (let d = resolve(from); ; d = dirname(d)) {
    for (const name of LOCK_FILES) if (existsSync(join(d, name))) return join(d, name);
    if (dirname(d) === d) return undefined;
  }
}
