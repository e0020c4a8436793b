import { z } from 'zod';
import { WORKER_SIZES, type WorkerSize } from './functions.ts';

/**
 * Worker flavors: where a batch runs. The Lambda sizes of functions.ts, and container flavors that run the same
 * ProcessBatch as an ECS Fargate task started by the state machine (`ecs:runTask.sync`). The CDK app builds one
 * task definition per container flavor a deployment uses (infra/container-flavors.ts), the entrypoint sizes its
 * lease from the flavor's timeout (functions/process-batch-container.ts), and the local mode runs the entrypoint
 * as a subprocess: all three read this file.
 */

/** CPU (in ECS units, 1024 = 1 vCPU), memory, ephemeral storage and timeout of one Fargate task. */
export interface ContainerFlavor {
  readonly cpu: number;
  readonly memoryMb: number;
  readonly ephemeralStorageGiB: number;
  /** The entrypoint stops the batch after this long, as Lambda stops a function at its timeout. */
  readonly timeoutSeconds: number;
}

/** Container presets a job routes batches to by name; each is a valid Fargate CPU and memory combination. */
export const CONTAINER_FLAVORS = {
  'fargate-small': { cpu: 1024, memoryMb: 4096, ephemeralStorageGiB: 21, timeoutSeconds: 3_600 },
  'fargate-medium': { cpu: 2048, memoryMb: 8192, ephemeralStorageGiB: 50, timeoutSeconds: 4 * 3_600 },
  'fargate-large': { cpu: 4096, memoryMb: 16_384, ephemeralStorageGiB: 100, timeoutSeconds: 8 * 3_600 },
  'fargate-xlarge': { cpu: 8192, memoryMb: 32_768, ephemeralStorageGiB: 200, timeoutSeconds: 12 * 3_600 },
} as const satisfies Record<string, ContainerFlavor>;

export type ContainerFlavorName = keyof typeof CONTAINER_FLAVORS;
export const CONTAINER_FLAVOR_NAMES = Object.keys(CONTAINER_FLAVORS) as [
  ContainerFlavorName,
  ...ContainerFlavorName[],
];

/** Every flavor, Lambda sizes and containers, by name. */
export type FlavorName = WorkerSize | ContainerFlavorName;
export const FLAVORS = {
  ...Object.fromEntries(
    Object.entries(WORKER_SIZES).map(([name, limits]) => [name, { kind: 'lambda', ...limits }]),
  ),
  ...Object.fromEntries(
    Object.entries(CONTAINER_FLAVORS).map(([name, limits]) => [name, { kind: 'fargate', ...limits }]),
  ),
} as Readonly<
  Record<WorkerSize, { kind: 'lambda'; memoryMb: number; timeoutSeconds: number }> &
    Record<ContainerFlavorName, { kind: 'fargate' } & ContainerFlavor>
>;

export const isContainerFlavor = (name: string): name is ContainerFlavorName =>
  Object.hasOwn(CONTAINER_FLAVORS, name);

/** Memory (MiB) Fargate accepts for each CPU value: [min, max, step]. */
const FARGATE_MEMORY: Readonly<Record<number, readonly [number, number, number]>> = {
  256: [512, 2048, 512],
  512: [1024, 4096, 1024],
  1024: [2048, 8192, 1024],
  2048: [4096, 16_384, 1024],
  4096: [8192, 30_720, 1024],
  8192: [16_384, 61_440, 4096],
  16384: [32_768, 122_880, 8192],
};

/**
 * Whether Fargate runs a task of this size: a CPU value it offers, memory inside that CPU's range on its step,
 * and ephemeral storage of 21 to 200 GiB.
 */
export function isFargateSize(f: Pick<ContainerFlavor, 'cpu' | 'memoryMb' | 'ephemeralStorageGiB'>): boolean {
  const range = FARGATE_MEMORY[f.cpu];
  if (!range) return false;
  const [min, max, step] = range;
  const memoryOk = f.memoryMb >= min && f.memoryMb <= max && (f.memoryMb - min) % step === 0;
  return (
    memoryOk &&
    Number.isInteger(f.ephemeralStorageGiB) &&
    f.ephemeralStorageGiB >= 21 &&
    f.ephemeralStorageGiB <= 200
  );
}

/** The backstop TimeoutSeconds of the container Task: above the longest flavor, whose own timer governs. */
export const CONTAINER_TASK_TIMEOUT_SECONDS =
  Math.max(...Object.values(CONTAINER_FLAVORS).map((f) => f.timeoutSeconds)) + 300;

/**
 * The container's contract with the state machine and the task definition: its name (the task's overrides
 * address it), the variables it reads, and what its exit code says. Step Functions learns only the exit code of
 * an `ecs:runTask.sync` task: 0 succeeds the state, anything else fails it with States.TaskFailed. The
 * entrypoint has already recorded the attempt (error name and message) in the inventory by then.
 */
export const CONTAINER = {
  name: 'batch-runner',
  /** The entrypoint's file, relative to the repository root (beside the Lambda handlers of functions.ts). */
  entry: 'functions/process-batch-container.ts',
  env: {
    /** The ProcessBatch event (the Map's item), as JSON: set per task by the state machine's overrides. */
    event: 'BATCHKEEPER_BATCH_EVENT',
    /** The flavor the task definition was made for: set by the task definition. */
    flavor: 'BATCHKEEPER_FLAVOR',
    /** A module whose exports are the processors to run. @default the built-ins */
    processorsModule: 'BATCHKEEPER_PROCESSORS_MODULE',
  },
  exitCodes: { done: 0, failed: 1, retry: 2, timedOut: 124 },
} as const;

/** Task definition family of a flavor: the state machine picks the family from the batch's flavor. */
export const taskFamilyOf = (prefix: string, flavor: ContainerFlavorName): string => `${prefix}${flavor}`;

/**
 * A job's routing by weight: batches whose weight is at least `minWeight` run on the container `flavor`, the
 * rest on Lambda. `minWeight: 0` sends every batch to the container.
 */
export const Routing = z.strictObject({
  flavor: z.enum(CONTAINER_FLAVOR_NAMES, { error: `must be one of ${CONTAINER_FLAVOR_NAMES.join(', ')}` }),
  minWeight: z.number({ error: 'must be a number' }).min(0, { error: 'must be >= 0' }).default(0),
});
export type Routing = z.infer<typeof Routing>;

/**
 * The container flavor a batch of this weight runs on, or undefined for Lambda: what a manifest item's `flavor`
 * carries, and what the state machine's RouteBatch Choice dispatches on.
 * @example flavorFor({ flavor: 'fargate-large', minWeight: 1000 }, 5000) // 'fargate-large'
 */
export function flavorFor(routing: Routing | undefined, weight: number): ContainerFlavorName | undefined {
  return routing && weight >= routing.minWeight ? routing.flavor : undefined;
}
