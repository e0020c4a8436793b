import { readdirSync, readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import ts from 'typescript';

/** Repository-relative path of a source file -> the repository-relative files it imports (relative imports). */
export type ImportGraph = ReadonlyMap<string, readonly string[]>;

const SOURCE = /\.(ts|mts|tsx)$/;
const SKIP = new Set(['node_modules', 'cdk.out', '.local', 'dist']);

function* sourceFiles(root: string, dir: string): Generator<string> {
  for (const entry of readdirSync(join(root, dir), { withFileTypes: true })) {
    if (SKIP.has(entry.name)) continue;
    const path = posix.join(dir, entry.name);
    if (entry.isDirectory()) yield* sourceFiles(root, path);
    else if (SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts')) yield path;
  }
}

/**
 * The relative imports of every source file under `dirs`, static, dynamic and type-only alike, read by the
 * TypeScript scanner (so an import inside a string or a comment does not count).
 */
export function importGraph(root: string, dirs: readonly string[]): ImportGraph {
  const graph = new Map<string, string[]>();
  for (const dir of dirs) {
    for (const file of sourceFiles(root, dir)) {
      const info = ts.preProcessFile(readFileSync(join(root, file), 'utf8'), true, true);
      const targets = info.importedFiles
        .map((f) => f.fileName)
        .filter((spec) => spec.startsWith('./') || spec.startsWith('../'))
        .map((spec) => posix.normalize(posix.join(posix.dirname(file), spec)));
      graph.set(file, [...new Set(targets)]);
    }
  }
  return graph;
}

/** Every strongly connected set of more than one file (or a file importing itself): the import cycles. */
export function cyclesOf(graph: ImportGraph): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!graph.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop() as string;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || (graph.get(v) ?? []).includes(v)) cycles.push(component.sort());
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

/** One dependency rule: files matching `from` may not import files matching `to`, except those `allow` lets. */
export interface Rule {
  readonly name: string;
  readonly from: (file: string) => boolean;
  readonly to: (target: string) => boolean;
  readonly allow?: (target: string, file: string) => boolean;
}

/** Every import that breaks a rule, as `rule: file -> target`. */
export function violationsOf(graph: ImportGraph, rules: readonly Rule[]): string[] {
  const out: string[] = [];
  for (const [file, targets] of graph) {
    for (const rule of rules) {
      if (!rule.from(file)) continue;
      for (const target of targets) {
        if (rule.to(target) && !rule.allow?.(target, file)) out.push(`${rule.name}: ${file} -> ${target}`);
      }
    }
  }
  return out.sort();
}
