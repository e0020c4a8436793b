import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  cyclesOf,
  type ImportGraph,
  importGraph,
  type Rule,
  violationsOf,
} from '../../support/import-graph.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
/** The product: what is deployed or installed. Tests and benchmarks may reach anywhere. */
const PRODUCT = ['core', 'functions', 'infra', 'cli', 'project', 'console'];

const under =
  (...dirs: string[]) =>
  (file: string) =>
    dirs.some((d) => file === d || file.startsWith(`${d}/`));
const not =
  (p: (f: string) => boolean) =>
  (f: string): boolean =>
    !p(f);

const DOMAIN = (f: string) => under('core')(f) && !under('core/adapters')(f);
const ENGINES = under('cli/local/engines');

/**
 * The rules of the house (README.md, Repository): the domain knows no adapter, no handler, no CLI and no CDK;
 * the local AWS engines know nothing of batchkeeper; the CDK app shares only contracts, the model and the
 * processors' worker sizes with the core.
 */
const RULES: readonly Rule[] = [
  {
    name: 'core imports no handler, CLI, CDK, console or project-loading code',
    from: under('core'),
    to: under('functions', 'cli', 'infra', 'project', 'console'),
  },
  { name: 'the domain never imports an adapter', from: DOMAIN, to: under('core/adapters') },
  {
    name: 'ports and contracts import only the model and the errors',
    from: under('core/ports', 'core/contracts'),
    to: under('core'),
    allow: (t) =>
      under('core/ports', 'core/contracts')(t) ||
      ['core/model.ts', 'core/errors.ts', 'core/validation.ts'].includes(t),
  },
  {
    name: 'handlers import the core, not the CLI, the CDK app or the project loader (esbuild stays out of Lambda)',
    from: under('functions'),
    to: under('cli', 'infra', 'project'),
  },
  { name: 'the CLI never imports the CDK app', from: under('cli'), to: under('infra') },
  {
    name: 'the CDK app shares only contracts, the model, errors and processors with the core',
    from: under('infra'),
    to: under('core', 'functions', 'cli'),
    allow: (t) =>
      under('core/contracts', 'core/processors')(t) ||
      ['core/model.ts', 'core/errors.ts', 'core/validation.ts'].includes(t),
  },
  {
    name: 'the project loader knows the processors, errors and model of the core, nothing else',
    from: under('project'),
    to: under('core', 'functions', 'cli', 'infra'),
    allow: (t) =>
      under('core/processors', 'core/contracts')(t) ||
      ['core/model.ts', 'core/errors.ts', 'core/validation.ts'].includes(t),
  },
  {
    name: 'the console serves the core through the CLI target, never the handlers or the CDK app',
    from: under('console'),
    to: under('functions', 'infra', 'cli/local', 'project'),
  },
  {
    name: "the console's page imports only its own files (it runs in a browser)",
    from: under('console/app'),
    to: not(under('console/app')),
  },
  {
    name: 'of the console, the CLI imports only the server and its backend (the `console` command)',
    from: under('cli'),
    to: under('console'),
    allow: (t) => ['console/server.ts', 'console/api/backend.ts'].includes(t),
  },
  {
    name: 'the local AWS engines import nothing of batchkeeper',
    from: ENGINES,
    to: not(ENGINES),
  },
];

describe('the dependency rules', () => {
  const graph = importGraph(ROOT, PRODUCT);

  it('reads the product code', () => {
    // A graph that lost its files would pass every rule below.
    expect(graph.size).toBeGreaterThan(120);
    expect(graph.get('core/planning/plan-run.ts')).toContain('core/planning/plan-existing.ts');
  });

  it('finds no import cycle in the product code', () => {
    expect(cyclesOf(graph)).toEqual([]);
  });

  it('finds no import against the rules', () => {
    expect(violationsOf(graph, RULES)).toEqual([]);
  });
});

describe('the dependency checks', () => {
  const graph: ImportGraph = new Map([
    ['core/planning/a.ts', ['core/planning/b.ts', 'core/adapters/x.ts']],
    ['core/planning/b.ts', ['core/planning/c.ts']],
    ['core/planning/c.ts', ['core/planning/a.ts']],
    ['core/adapters/x.ts', ['core/model.ts']],
    ['core/model.ts', []],
    ['cli/local/engines/e.ts', ['core/errors.ts']],
    ['functions/h.ts', ['functions/h.ts']],
  ]);

  it('report a cycle of three files and a file that imports itself', () => {
    expect(cyclesOf(graph)).toEqual([
      ['core/planning/a.ts', 'core/planning/b.ts', 'core/planning/c.ts'],
      ['functions/h.ts'],
    ]);
  });

  it('report the domain importing an adapter and an engine importing the core', () => {
    expect(violationsOf(graph, RULES)).toEqual([
      'the domain never imports an adapter: core/planning/a.ts -> core/adapters/x.ts',
      'the local AWS engines import nothing of batchkeeper: cli/local/engines/e.ts -> core/errors.ts',
    ]);
  });
});
