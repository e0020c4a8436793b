import { createHash } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { ValidationError } from '../core/errors.ts';
import type { LoadedProcessors } from '../project/load-processors.ts';
import { writeBundle } from '../project/load-processors.ts';
import type { ProcessorConfig } from './pipeline-config.ts';

/**
 * How a deployment gets its user's processors: ProcessBatch is bundled from an entry written here, which imports
 * the user's module, hands its processors to the handlers' runtime, and re-exports the handler. The other
 * handlers never run a processor and are bundled as they are.
 */

/** batchkeeper's own files, where this module is: the sources in the repository, dist/ in the package. */
const PACKAGE_ROOT = fileURLToPath(new URL('..', import.meta.url));
const EXT = import.meta.url.endsWith('.ts') ? '.ts' : '.js';

/** A file of batchkeeper by its path from the repository root (`functions/process-batch.ts`). */
export function packageFile(path: string): string {
  return `${PACKAGE_ROOT}${path.replace(/\.ts$/, EXT)}`;
}

/**
 * The processors a deployment sizes ProcessBatch by. Without a `processors` setting, every processor of the
 * module at its own worker size; with one, each name must be one the module exports (synth stops otherwise,
 * naming the entry and what the module has).
 */
export function deployedProcessors(
  configured: readonly ProcessorConfig[] | undefined,
  loaded: LoadedProcessors,
): ProcessorConfig[] {
  if (configured === undefined) return loaded.processors.map((p) => ({ name: p.name, size: p.workerSize }));
  const known = loaded.processors.map((p) => p.name);
  const violations = configured.flatMap((p, index) =>
    known.includes(p.name)
      ? []
      : [
          {
            field: `batchkeeper.processors.${index}.name`,
            rule: `names ${p.name}, which ${loaded.label} does not export (it exports: ${known.join(', ')})`,
          },
        ],
  );
  if (violations.length > 0) throw new ValidationError(violations, { what: 'deployment configuration' });
  return [...configured];
}

/**
 * The ProcessBatch entry for a user's module, written under the project's node_modules/.cache (named by its
 * content, so an unchanged module gives an unchanged asset); undefined for the built-ins.
 */
export function processBatchEntry(loaded: LoadedProcessors, projectRoot: string): string | undefined {
  if (!loaded.module) return undefined;
  const code = [
    '// Written by batchkeeper at synth: ProcessBatch with the processors of the module below.',
    `import * as processors from ${JSON.stringify(loaded.module)};`,
    `import { registryFromModule } from ${JSON.stringify(packageFile('core/processors/registry.ts'))};`,
    `import { useProcessors } from ${JSON.stringify(packageFile('functions/support/runtime.ts'))};`,
    `useProcessors(registryFromModule(processors, ${JSON.stringify(loaded.label)}));`,
    `export { handler } from ${JSON.stringify(packageFile('functions/process-batch.ts'))};`,
    '',
  ].join('\n');
  const hash = createHash('sha256').update(code).digest('hex').slice(0, 16);
  return writeBundle(projectRoot, `process-batch-${hash}.mjs`, code);
}
