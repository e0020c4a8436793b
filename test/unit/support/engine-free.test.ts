import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = resolve(import.meta.dirname, '../../..');

/** What needs a local engine or an AWS client: the unit tier reaches none of it. */
const ENGINE_BOUND = [
  /^test\/support\/(local|core-env|global-setup|invariants)\.ts$/,
  /^cli\/local\//,
  /^core\/adapters\/(clients|make-deps|s3-object-store|secrets-resolver|sfn-run-liveness|dynamo-[a-z-]+)\.ts$/,
  /^@aws-sdk\//,
];

const IMPORT = /(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]|import\s*\(?\s*['"]([^'"]+)['"]/g;

function importsOf(file: string): string[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  return [...text.matchAll(IMPORT)].map((m) => {
    const spec = (m[1] ?? m[2]) as string;
    return spec.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), spec)) : spec;
  });
}

function filesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith('.ts'))
    .map((e) => relative(ROOT, join(e.parentPath, e.name)));
}

/** Every module reachable from `entries`, with the chain that reached an engine-bound one. */
function engineBound(entries: readonly string[]): string[][] {
  const found: string[][] = [];
  const seen = new Set<string>();
  const walk = (file: string, chain: string[]) => {
    if (seen.has(file)) return;
    seen.add(file);
    for (const dep of importsOf(file)) {
      if (ENGINE_BOUND.some((re) => re.test(dep))) found.push([...chain, file, dep]);
      else if (dep.endsWith('.ts')) walk(dep, [...chain, file]);
    }
  };
  for (const entry of entries) walk(entry, []);
  return found;
}

describe('the unit tier of the domain and the ports', () => {
  it('reaches no local engine, no AWS client and no engine-bound test support', () => {
    const entries = [
      // The contract tests read both sides of a seam (handlers, the CDK app); they start no engine either.
      ...filesUnder('test/unit/core').filter((f) => !f.startsWith('test/unit/core/contracts/')),
      ...filesUnder('test/unit/ports'),
      ...filesUnder('test/support/fakes'),
      ...filesUnder('test/support/contracts'),
    ];

    expect(entries.length).toBeGreaterThan(20);
    expect(engineBound(entries)).toEqual([]);
  });
});
