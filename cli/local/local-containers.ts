import { fileURLToPath } from 'node:url';
import {
  CONTAINER,
  CONTAINER_FLAVOR_NAMES,
  type ContainerFlavorName,
  taskFamilyOf,
} from '../../core/contracts/flavors.ts';
import type { LocalTaskDefinition } from './engines/stepfunctions/ecs-local.ts';

/**
 * The container flavors in the local mode: one task definition per flavor, each running the container
 * entrypoint (functions/process-batch-container.ts) as a subprocess of this Node, with the local mode's
 * endpoints, credentials and names in its environment, where a deployment runs it in a Fargate task.
 */

/** The task definition family prefix of the local mode (CDK substitutes the stack's). */
export const LOCAL_TASK_FAMILY_PREFIX = 'batchkeeper-local-';

/**
 * The entrypoint beside this module: TypeScript from the sources, JavaScript once built. It runs with tsx's
 * loader where tsx resolves (always from the sources; in a project made by `batchkeeper init`, which has it), so
 * that a processors module written in TypeScript imports as it is.
 */
function entrypointCommand(): [string, ...string[]] {
  const fromSources = import.meta.url.endsWith('.ts');
  const file = fromSources ? CONTAINER.entry : CONTAINER.entry.replace(/\.ts$/, '.js');
  const entry = fileURLToPath(new URL(`../../${file}`, import.meta.url));
  const loader = tsxLoader();
  return loader === undefined ? [process.execPath, entry] : [process.execPath, '--import', loader, entry];
}

function tsxLoader(): string | undefined {
  try {
    return import.meta.resolve('tsx');
  } catch {
    return undefined;
  }
}

/**
 * A task definition for every container flavor.
 * @param env what the entrypoint needs to reach the local engines (envFor of the local state)
 * @param processorsModule the module whose processors the container runs. @default the built-ins
 */
export function localTaskDefinitions(
  env: Readonly<Record<string, string>>,
  processorsModule: string | undefined,
): Record<string, LocalTaskDefinition> {
  const command = entrypointCommand();
  const definitionOf = (flavor: ContainerFlavorName): LocalTaskDefinition => ({
    command,
    containerName: CONTAINER.name,
    environment: {
      ...env,
      [CONTAINER.env.flavor]: flavor,
      ...(processorsModule === undefined ? {} : { [CONTAINER.env.processorsModule]: processorsModule }),
    },
  });
  return Object.fromEntries(
    CONTAINER_FLAVOR_NAMES.map((flavor) => [
      taskFamilyOf(LOCAL_TASK_FAMILY_PREFIX, flavor),
      definitionOf(flavor),
    ]),
  );
}
