import { readdirSync, readFileSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../../../..');
const ENGINES = join(ROOT, 'cli/local/engines');
/** Static and dynamic imports, re-exports, and files located with `new URL(..., import.meta.url)`. */
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(?\s*|\bnew URL\(\s*)(['"])([^'"]+)\1/g;

const sources = readdirSync(ENGINES, { recursive: true, encoding: 'utf8' })
  .filter((file) => /\.(ts|mjs)$/.test(file))
  .map((file) => join(ENGINES, file));

function specifiersOf(file: string): string[] {
  return [...readFileSync(file, 'utf8').matchAll(SPECIFIER)].map((m) => m[2] as string);
}

const isPackage = (specifier: string) =>
  specifier.startsWith('node:') || builtinModules.includes(specifier) || /^[@a-z]/.test(specifier);

describe('cli/local/engines', () => {
  it('imports nothing of the domain or the product: only its own files, Node and packages', () => {
    const outside = sources.flatMap((file) =>
      specifiersOf(file)
        .filter((specifier) => !isPackage(specifier))
        .map((specifier) => resolve(dirname(file), specifier))
        .filter((target) => relative(ENGINES, target).startsWith('..'))
        .map((target) => `${relative(ROOT, file)} -> ${relative(ROOT, target)}`),
    );
    expect(sources.length).toBeGreaterThan(10);
    expect(outside).toEqual([]);
  });

  it('has no import cycle', () => {
    const edges = new Map(
      sources.map((file) => [
        file,
        specifiersOf(file)
          .filter((specifier) => specifier.startsWith('.'))
          .map((specifier) => resolve(dirname(file), specifier))
          .filter((target) => sources.includes(target)),
      ]),
    );
    const cycles: string[] = [];
    const state = new Map<string, 'open' | 'done'>();
    const visit = (file: string, path: string[]): void => {
      if (state.get(file) === 'done') return;
      if (state.get(file) === 'open') {
        cycles.push([...path.slice(path.indexOf(file)), file].map((f) => relative(ENGINES, f)).join(' -> '));
        return;
      }
      state.set(file, 'open');
      for (const next of edges.get(file) ?? []) visit(next, [...path, file]);
      state.set(file, 'done');
    };
    for (const file of sources) visit(file, []);
    expect(cycles).toEqual([]);
  });
});
