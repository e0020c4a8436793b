import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository's root, from this file's place in it. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

/** A file of the repository by its path from the root, absolute: what a temp module imports batchkeeper by. */
export const repoFile = (path: string) => join(REPO_ROOT, path);

/**
 * Temp projects for tests that bundle and import a processors module: a folder under os.tmpdir() with a
 * package.json naming `src/processors.ts`, and `node_modules/zod` linked to the repository's own, so that the
 * bare imports a bundle leaves external resolve. `cleanup()` removes every folder made.
 */
export function tempProjects(prefix: string) {
  const made: string[] = [];
  return {
    create(files: Record<string, string> = {}, manifest: unknown = defaultManifest): string {
      const dir = mkdtempSync(join(tmpdir(), `batchkeeper-${prefix}-`));
      made.push(dir);
      writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest));
      mkdirSync(join(dir, 'node_modules'), { recursive: true });
      symlinkSync(join(REPO_ROOT, 'node_modules', 'zod'), join(dir, 'node_modules', 'zod'), 'dir');
      for (const [path, text] of Object.entries(files)) write(dir, path, text);
      return dir;
    },
    cleanup() {
      for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
    },
  };
}

const defaultManifest = { name: 'p', type: 'module', batchkeeper: { processors: 'src/processors.ts' } };

export function write(dir: string, path: string, text: string): void {
  mkdirSync(dirname(join(dir, path)), { recursive: true });
  writeFileSync(join(dir, path), text);
}
