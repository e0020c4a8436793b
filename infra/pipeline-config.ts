import { z } from 'zod';
import { CONTAINER_FLAVOR_NAMES } from '../core/contracts/flavors.ts';
import { ValidationError } from '../core/errors.ts';

/**
 * The deployment's shape: which processors run (and how big their workers are), which data sets have secrets,
 * which jobs run on a schedule. Read from the CDK context key `batchkeeper` (cdk.json or `-c`), validated here.
 */

/** An Express execution is stopped after 5 minutes. */
export const EXPRESS_LIMIT_SECONDS = 300;
/**
 * A child's worst case, read off statemachines/run-job.asl.json (a test keeps them in step): one attempt plus
 * the RetryableError retries, each running to the worker timeout, plus their capped backoff and RecordFailure.
 */
export const CHILD_ATTEMPTS = 3;
export const CHILD_OVERHEAD_SECONDS = 75;

/** EXPRESS children when the worst-case child fits in an Express execution, else STANDARD. */
export function childExecutionType(workerTimeoutSeconds: number): 'EXPRESS' | 'STANDARD' {
  const worstCase = workerTimeoutSeconds * CHILD_ATTEMPTS + CHILD_OVERHEAD_SECONDS;
  return worstCase <= EXPRESS_LIMIT_SECONDS ? 'EXPRESS' : 'STANDARD';
}

const Name = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, {
  error: 'must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit',
});

export const ProcessorConfig = z.strictObject({
  name: Name,
  size: z.enum(['small', 'medium', 'large'], { error: 'must be small, medium or large' }),
});
export type ProcessorConfig = z.infer<typeof ProcessorConfig>;

/** A complete secret ARN (with its 6-character suffix), so that the grant names exactly one secret. */
const SECRET_ARN =
  /^arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]+-[A-Za-z0-9]{6}$/;

export const DatasetConfig = z
  .strictObject({
    id: Name,
    secretArn: z.string().regex(SECRET_ARN, { error: 'must be a complete secret ARN' }).optional(),
    createSecret: z.boolean().optional(),
  })
  .refine((d) => !(d.secretArn && d.createSecret), { error: 'give secretArn or createSecret, not both' });
export type DatasetConfig = z.infer<typeof DatasetConfig>;

export const ScheduleConfig = z.strictObject({
  jobId: Name,
  expression: z.string().regex(/^(rate\(\d+ (minute|minutes|hour|hours|day|days)\)|cron\(.+\)|at\(.+\))$/, {
    error: 'must be rate(...), cron(...) or at(...)',
  }),
  timeZone: z.string().optional(),
});
export type ScheduleConfig = z.infer<typeof ScheduleConfig>;

const SUBNET_ID = /^subnet-[0-9a-f]{8,17}$/;
const SECURITY_GROUP_ID = /^sg-[0-9a-f]{8,17}$/;

/** A network of the user's for the container tasks: their subnets and security groups. */
export const ContainerNetworkConfig = z.strictObject({
  subnetIds: z.array(z.string().regex(SUBNET_ID, { error: 'must be a subnet id (subnet-...)' })).min(1),
  securityGroupIds: z
    .array(z.string().regex(SECURITY_GROUP_ID, { error: 'must be a security group id (sg-...)' }))
    .min(1),
  /** Public subnets without NAT need a public IP for the tasks to reach ECR and the AWS APIs. @default false */
  assignPublicIp: z.boolean().optional(),
});

/**
 * Container flavors (core/contracts/flavors.ts): the flavors jobs may route to, the image that carries the batch
 * runner as its entrypoint, and optionally the user's network and ECS cluster.
 */
export const ContainersConfig = z.strictObject({
  flavors: z
    .array(z.enum(CONTAINER_FLAVOR_NAMES, { error: `must be one of ${CONTAINER_FLAVOR_NAMES.join(', ')}` }))
    .min(1, { error: 'must name at least one container flavor' }),
  /** A folder with a Dockerfile (built by CDK), or an image URI. */
  image: z.union([
    z.strictObject({ directory: z.string().min(1) }),
    z.strictObject({ uri: z.string().min(1) }),
  ]),
  /** The processors module inside the image. @default batchkeeper's built-ins */
  processorsModule: z.string().min(1).optional(),
  /** @default 'x86_64' */
  architecture: z.enum(['x86_64', 'arm64']).optional(),
  /** @default a VPC of its own: private isolated subnets and VPC endpoints */
  network: ContainerNetworkConfig.optional(),
  /** @default a cluster of its own */
  clusterArn: z
    .string()
    .regex(/^arn:aws[a-z-]*:ecs:[a-z0-9-]+:\d{12}:cluster\/[A-Za-z0-9_-]{1,255}$/, {
      error: 'must be an ECS cluster ARN',
    })
    .optional(),
});
export type ContainersConfig = z.infer<typeof ContainersConfig>;

export const PipelineConfig = z.strictObject({
  /** @default every processor of the project's module, at its own worker size */
  processors: z.array(ProcessorConfig).min(1, { error: 'must name at least one processor' }).optional(),
  datasets: z.array(DatasetConfig).default([]),
  schedules: z.array(ScheduleConfig).default([]),
  alarmEmail: z.email().optional(),
  /** @default none: every batch runs on the ProcessBatch Lambda */
  containers: ContainersConfig.optional(),
});
export type PipelineConfig = z.infer<typeof PipelineConfig>;

/** What a fresh project deploys: every processor of its module, no secrets, no schedules. */
export const DEFAULT_CONFIG: PipelineConfig = { datasets: [], schedules: [] };

/** Parse the `batchkeeper` context value; the ValidationError names each field (`batchkeeper.<path>`) and rule. */
export function parsePipelineConfig(raw: unknown): PipelineConfig {
  if (raw === undefined) return DEFAULT_CONFIG;
  let value: unknown = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch (error) {
      throw new ValidationError(
        [{ field: 'batchkeeper', rule: `must be JSON (${(error as Error).message})` }],
        {
          what: 'batchkeeper context',
        },
      );
    }
  }
  const result = PipelineConfig.safeParse(value);
  if (result.success) return result.data;
  const violations = result.error.issues.map((i) => ({
    field: ['batchkeeper', ...i.path.map(String)].join('.'),
    rule: i.message,
  }));
  throw new ValidationError(violations, { what: 'batchkeeper context', cause: result.error });
}
