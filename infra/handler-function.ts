import { basename, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  LoggingFormat,
  Runtime,
  SystemLogLevel,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { type BundlingOptions, NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../core/contracts/metrics.ts';
import { ValidationError } from '../core/errors.ts';
import { findLockFile } from '../project/find-project.ts';
import { acknowledge } from './nag.ts';
import { packageFile } from './processor-bundle.ts';

/**
 * Where the handlers are bundled from: the project `cdk synth` runs in (its lock file and node_modules), or the
 * repository itself.
 */
export function bundlingRoot(): { projectRoot: string; depsLockFilePath: string } {
  const lock = findLockFile() ?? findLockFile(fileURLToPath(new URL('..', import.meta.url)));
  if (!lock)
    throw new ValidationError([{ field: 'package-lock.json', rule: "must exist in the CDK app's project" }], {
      what: 'project',
    });
  return { projectRoot: dirname(lock), depsLockFilePath: lock };
}

/**
 * How every handler is bundled (by the local esbuild, never Docker). Exported so that a test can bundle with
 * the same options and check what matters at run time.
 */
export const HANDLER_BUNDLING = {
  format: OutputFormat.ESM,
  target: 'node22',
  mainFields: ['module', 'main'],
  // Bundle the SDK too: the pinned versions of package-lock.json run, not whatever the runtime carries.
  externalModules: [],
  minify: true,
  // Error names are the contract with Step Functions (Retry on RetryableError): minifying must keep them.
  keepNames: true,
  sourceMap: true,
  // Lets CommonJS dependencies call require() from inside the ESM bundle.
  banner: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
  forceDockerBundling: false,
} as const satisfies BundlingOptions;

export interface HandlerFunctionProps {
  /** The handler's file, relative to the repository root (`entry` of core/contracts/functions.ts). */
  readonly entry: string;
  /** A file to bundle in place of `entry` (ProcessBatch with a user's processors). @default entry's file */
  readonly entryFile?: string;
  readonly description: string;
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** Resource names the handler reads (ENV of core/contracts/tables.ts). @default {} */
  readonly environment?: Readonly<Record<string, string>>;
  /** @default RetentionDays.ONE_MONTH */
  readonly logRetention?: RetentionDays;
  /** @default 'INFO' */
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR';
}

/**
 * One handler of functions/: Node.js 22 on arm64, bundled as ESM by the local esbuild (no Docker), its own log
 * group and its own role with nothing attached but log writing and X-Ray, so that every other permission is
 * a deliberate statement added by the pipeline.
 */
export class HandlerFunction extends Construct {
  readonly fn: NodejsFunction;
  readonly role: Role;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: HandlerFunctionProps) {
    super(scope, id);
    const logLevel = props.logLevel ?? 'INFO';
    this.role = new Role(this, 'Role', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `batchkeeper ${basename(props.entry, '.ts')}`,
    });
    this.logGroup = new LogGroup(this, 'Logs', {
      retention: props.logRetention ?? RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.fn = new NodejsFunction(this, 'Function', {
      entry: props.entryFile ?? packageFile(props.entry),
      handler: 'handler',
      ...bundlingRoot(),
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      role: this.role,
      logGroup: this.logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel[logLevel],
      systemLogLevelV2: SystemLogLevel.WARN,
      tracing: Tracing.ACTIVE,
      environment: {
        ...props.environment,
        POWERTOOLS_SERVICE_NAME: SERVICE_NAME,
        POWERTOOLS_METRICS_NAMESPACE: METRICS_NAMESPACE,
        POWERTOOLS_LOG_LEVEL: logLevel,
      },
      bundling: HANDLER_BUNDLING,
    });
    // With a role of its own the function gets no AWSLambdaBasicExecutionRole: it writes to its log group only.
    this.logGroup.grantWrite(this.role);
    acknowledge(
      this.role,
      'AwsSolutions-IAM5[Resource::*]',
      'X-Ray PutTraceSegments and PutTelemetryRecords support no resource-level permissions.',
    );
    acknowledge(
      this.fn,
      'AwsSolutions-L1',
      'Pinned to nodejs22.x on purpose: the code is tested on Node 20 and 22, and the runtime moves with a review.',
    );
  }
}
