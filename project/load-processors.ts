import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ProcessorModuleError, ValidationError } from '../core/errors.ts';
import { defaultRegistry } from '../core/processors/builtin.ts';
import type { AnyProcessor } from '../core/processors/define-processor.ts';
import { type ProcessorRegistry, registryFromModule } from '../core/processors/registry.ts';
import { findProject, type Project } from './find-project.ts';

/**
 * A user's processors module, loaded in this process. The module and the files it imports are bundled by
 * esbuild (TypeScript or JavaScript, on any supported Node) with every package left external, so that it
 * shares batchkeeper, zod and the rest with whoever loads it; the bundle is imported from the project's
 * node_modules/.cache, named by its content hash. A change to any of the user's files makes a new bundle; an
 * unchanged module is the same bundle, imported once.
 */
export interface LoadedProcessors {
  readonly registry: ProcessorRegistry;
  /** The module's processors, as exported (also what the CDK construct sizes ProcessBatch by). */
  readonly processors: readonly AnyProcessor[];
  /** The module, absolute; undefined for the built-ins. */
  readonly module?: string;
  /** How to name it to the user. */
  readonly label: string;
}

const BUILTINS_LABEL = "batchkeeper's built-in processors";

/** The processors of the project around `from`: its module when it names one, else the built-ins. */
export async function loadProjectProcessors(
  from: string = process.cwd(),
  env = process.env,
): Promise<LoadedProcessors> {
  return loadProcessors(findProject(from, env));
}

/** batchkeeper's own processors (the example address normaliser and noop), for a project that names none. */
export function builtinProcessors(): LoadedProcessors {
  const processors = defaultRegistry.names().map((n) => defaultRegistry.get(n));
  return { registry: defaultRegistry, processors, label: BUILTINS_LABEL };
}

export async function loadProcessors(project: Project): Promise<LoadedProcessors> {
  if (!project.processorsModule) return builtinProcessors();
  const label = project.processorsLabel ?? project.processorsModule;
  const exports = await importBundle(project, label);
  let registry: ProcessorRegistry;
  try {
    registry = registryFromModule(exports, label);
  } catch (error) {
    const reason =
      error instanceof ValidationError
        ? error.violations.map((v) => `${v.field}: ${v.rule}`).join('; ')
        : (error as Error).message;
    throw new ProcessorModuleError({ module: label, reason }, { cause: error });
  }
  const processors = registry.names().map((n) => registry.get(n));
  return { registry, processors, module: project.processorsModule, label };
}

/**
 * A registry that follows the user's module: `refresh()` loads it again, so that a change takes effect at the
 * next run without restarting anything. Until the first refresh it answers with what it was created with.
 */
export class RefreshingRegistry implements ProcessorRegistry {
  #current: LoadedProcessors;
  readonly #project: Project;

  constructor(project: Project, loaded: LoadedProcessors) {
    this.#project = project;
    this.#current = loaded;
  }

  static async open(project: Project): Promise<RefreshingRegistry> {
    return new RefreshingRegistry(project, await loadProcessors(project));
  }

  get label(): string {
    return this.#current.label;
  }

  /** Load the module again; a module that no longer builds or loads throws ProcessorModuleError. */
  async refresh(): Promise<void> {
    if (!this.#project.processorsModule) return;
    this.#current = await loadProcessors(this.#project);
  }

  get(name: string): AnyProcessor {
    return this.#current.registry.get(name);
  }
  has(name: string): boolean {
    return this.#current.registry.has(name);
  }
  names(): string[] {
    return this.#current.registry.names();
  }
}

/** Bundles already imported by this process, by project and content hash. */
const imported = new Map<string, Promise<Record<string, unknown>>>();

async function importBundle(project: Project, label: string): Promise<Record<string, unknown>> {
  const code = await bundle(project.processorsModule as string, label, project.root);
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  // By project too: the same code elsewhere resolves its packages from another node_modules.
  const key = `${project.root}\0${hash}`;
  let loading = imported.get(key);
  if (!loading) {
    const file = writeBundle(project.root, `processors-${hash}.mjs`, code);
    loading = import(pathToFileURL(file).href).catch((error: unknown) => {
      imported.delete(key);
      throw new ProcessorModuleError(
        { module: label, reason: `failed while loading: ${(error as Error)?.message ?? String(error)}` },
        { cause: error },
      );
    }) as Promise<Record<string, unknown>>;
    imported.set(key, loading);
  }
  return loading;
}

async function bundle(entry: string, label: string, root: string): Promise<string> {
  // Loaded on demand: only commands that read a user's module need esbuild.
  const { build } = await import('esbuild');
  try {
    const out = await build({
      entryPoints: [entry],
      // Paths in messages and the source map are the project's own, relative to its root.
      absWorkingDir: root,
      bundle: true,
      packages: 'external',
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'inline',
      write: false,
      logLevel: 'silent',
    });
    return out.outputFiles[0]?.text ?? '';
  } catch (error) {
    const first = (error as { errors?: { text: string; location?: { file: string; line: number } }[] })
      .errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    throw new ProcessorModuleError(
      { module: label, reason: `does not build: ${first?.text ?? (error as Error).message}${where}` },
      { cause: error },
    );
  }
}

/**
 * Where a bundle is imported from: inside the project's node_modules, so that the packages it leaves external
 * resolve as they would from the user's own files. Written whole, then renamed, so a reader never sees half.
 */
export function writeBundle(root: string, name: string, code: string): string {
  const dir = join(root, 'node_modules', '.cache', 'batchkeeper');
  const file = join(dir, name);
  if (existsSync(file)) return file;
  mkdirSync(dir, { recursive: true });
  const partial = `${file}.${process.pid}.tmp`;
  writeFileSync(partial, code);
  renameSync(partial, file);
  return file;
}
