import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchkeeperError } from '../core/errors.ts';

export interface PackageInfo {
  readonly name: string;
  readonly version: string;
  /** The package's directory: the repository, or node_modules/batchkeeper. */
  readonly root: string;
  /** What its package.json pins, for a scaffold that should install the same versions. */
  readonly devDependencies: Readonly<Record<string, string>>;
  readonly peerDependencies: Readonly<Record<string, string>>;
}

/** The name our package.json carries: another package's package.json on the way up is passed by. */
export const PACKAGE_NAME = 'batchkeeper';

/** No package.json of batchkeeper above a module: an install that lost its package.json. */
export class PackageInfoError extends BatchkeeperError {
  constructor(message: string, from: string) {
    super(message, { from });
  }
}

let cached: PackageInfo | undefined;

/**
 * The name and version of this package, from its own package.json, read once.
 * @example `batchkeeper ${packageInfo().version}`
 */
export function packageInfo(): PackageInfo {
  cached ??= findPackageInfo(import.meta.url);
  return cached;
}

/**
 * Walks up from the module at `from` to the first package.json named batchkeeper. A fixed relative path would
 * not do: the same code runs from source (`cli/`, package.json one level up from here) and compiled
 * (`dist/cli/`, two levels up).
 */
export function findPackageInfo(from: string | URL): PackageInfo {
  const start = dirname(fileURLToPath(from));
  for (let dir = start; ; dir = dirname(dir)) {
    const file = join(dir, 'package.json');
    const manifest = readManifest(file);
    if (manifest?.name === PACKAGE_NAME) {
      if (typeof manifest.version !== 'string' || manifest.version === '')
        throw new PackageInfoError(`${file} has no version`, start);
      return {
        name: PACKAGE_NAME,
        version: manifest.version,
        root: dir,
        devDependencies: stringRecord(manifest.devDependencies),
        peerDependencies: stringRecord(manifest.peerDependencies),
      };
    }
    if (dirname(dir) === dir) break;
  }
  throw new PackageInfoError(`no package.json of ${PACKAGE_NAME} in ${start} or above`, start);
}

/** A package.json that is missing or not JSON is not ours: the walk goes on. */
type Manifest = { name?: unknown; version?: unknown; devDependencies?: unknown; peerDependencies?: unknown };

const stringRecord = (value: unknown): Record<string, string> =>
  typeof value === 'object' && value !== null
    ? Object.fromEntries(Object.entries(value).filter((e): e is [string, string] => typeof e[1] === 'string'))
    : {};

function readManifest(file: string): Manifest | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Manifest) : undefined;
  } catch {
    return undefined;
  }
}
