import { mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { HeadBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { type Clients, LOCAL_CREDENTIALS, LOCAL_REGION, makeClients } from '../../core/adapters/clients.ts';
import { makeDeps } from '../../core/adapters/make-deps.ts';
import { SfnRunLiveness } from '../../core/adapters/sfn-run-liveness.ts';
import { SfnRunStarter } from '../../core/adapters/sfn-run-starter.ts';
import type { TableNames } from '../../core/contracts/tables.ts';
import type { Deps } from '../../core/deps.ts';
import type { FaultHook } from '../../core/ports/index.ts';
import type { ProcessorRegistry } from '../../core/processors/registry.ts';
import { TriggerBus } from '../../core/runs/trigger-bus.ts';
import { findProject } from '../../project/find-project.ts';
import { RefreshingRegistry } from '../../project/load-processors.ts';
import { createBucket, createTables, tableNamesFor } from './create-resources.ts';
import { startDynamoDbLocal } from './engines/dynamodb-local/dynamodb-local.ts';
import { LocalServiceError } from './engines/errors.ts';
import { startMoto } from './engines/moto.ts';
import { startS3Local } from './engines/s3-local/s3-local.ts';
import { LOCAL_ACCOUNT } from './engines/stepfunctions/asl-local.ts';
import { ExecutionStore } from './engines/stepfunctions/execution-store.ts';
import type { LambdaHandler, LocalFunction } from './engines/stepfunctions/lambda-local.ts';
import { startSfnEndpoint } from './engines/stepfunctions/sfn-endpoint.ts';
import type { LocalStepFunctions } from './engines/stepfunctions/sfn-runner.ts';
import { localTaskDefinitions } from './local-containers.ts';
import { loadLocalFunctions } from './local-functions.ts';
import { LocalSecrets } from './local-secrets.ts';
import {
  claimDataDir,
  envFor,
  type LocalState,
  localStatePath,
  removeLocalState,
  writeLocalState,
} from './local-state.ts';
import { LOCAL_FUNCTIONS, runJobEngine } from './run-job-engine.ts';

export { envFor, type LocalState, readLocalState } from './local-state.ts';

/** Fixed names of the local mode's resources (one local mode per data directory). */
export const LOCAL_NAMES = {
  tablePrefix: 'batchkeeper-local',
  workBucket: 'batchkeeper-local-work',
  dataBucket: 'batchkeeper-local-data',
  stateMachine: 'batchkeeper-local-run-job',
} as const;

export interface LocalOptions {
  /** Keep tables, objects, executions and secrets here across restarts. @default nothing is kept */
  readonly dataDir?: string;
  /** Ports on 127.0.0.1; moto serves Secrets Manager and KMS. @default free ports */
  readonly ports?: {
    readonly dynamodb?: number;
    readonly s3?: number;
    readonly moto?: number;
    readonly sfn?: number;
  };
  /**
   * The processors ProcessBatch can run. @default the processors module of the project around `projectDir`
   * (package.json `batchkeeper.processors`, else the built-ins), loaded again at the start of every run, so that
   * a change to the user's code takes effect without a restart
   */
  readonly processors?: ProcessorRegistry;
  /** Where the project is looked for. @default process.cwd() */
  readonly projectDir?: string;
  /** Where the state file goes; `false` writes none. @default localStatePath(dataDir) */
  readonly stateFile?: string | false;
  /** Wait before a state's retry, in place of its IntervalSeconds. @default 50 */
  readonly retryIntervalMs?: number;
  /** Log level of the handlers' Powertools logger, unless POWERTOOLS_LOG_LEVEL is set. @default 'INFO' */
  readonly logLevel?: string;
  /**
   * Fault injection for chaos tests: the handlers' core calls it by name between writes, and a thrown
   * InjectedFaultError simulates a crash there. @default no faults
   */
  readonly faults?: FaultHook;
  /**
   * How often the triggered jobs are reconciled (a run started where work is READY and none is live), beside
   * the runs that commits trigger. @default LOCAL_RECONCILE_MS
   */
  readonly reconcileMs?: number;
  /**
   * The module whose processors the container flavors run (their entrypoint runs as a subprocess and imports
   * it). @default the project's processors module, else the built-ins
   */
  readonly containerProcessorsModule?: string;
}

/** The local mode's reconcile of triggered jobs: every 30 s. */
export const LOCAL_RECONCILE_MS = 30_000;

export interface LocalMode {
  readonly state: LocalState;
  readonly clients: Clients;
  /** The core's dependencies the handlers run with (the same adapters as on AWS). */
  readonly deps: Deps;
  readonly sfn: LocalStepFunctions;
  /** What starts triggered runs here; `settled()` waits for the triggers in flight. */
  readonly triggers: TriggerBus;
  readonly stateFile?: string;
  /** Stop everything this local mode started; running executions end ABORTED. Safe to call twice. */
  stop(): Promise<void>;
}

const secretsOf = new WeakMap<LocalMode, LocalSecrets>();
let active: LocalMode | undefined;

/**
 * Start the local mode on 127.0.0.1: DynamoDB Local, s3rver, moto (Secrets Manager, KMS) and the Step
 * Functions endpoint running statemachines/run-job.asl.json with the real handlers in-process. Creates the
 * tables and buckets, re-creates recorded secrets and writes the state file. One local mode per process: the
 * handlers' dependencies are process-wide.
 * @example const local = await startLocal({ dataDir: '.local' }); console.log(envFor(local.state)); await local.stop();
 */
export async function startLocal(options: LocalOptions = {}): Promise<LocalMode> {
  if (active)
    throw new LocalServiceError('a local mode is already running in this process', {
      service: 'local mode',
      pid: active.state.pid,
    });
  const cleanup: Cleanup = [];
  const stopAll = async () => {
    // Last started, first stopped; a failing step does not keep the others running.
    for (const step of cleanup.splice(0).reverse())
      await Promise.resolve()
        .then(step)
        .catch(() => undefined);
  };
  try {
    const mode = await start(options, cleanup, stopAll);
    active = mode;
    cleanup.unshift(() => {
      if (active === mode) active = undefined;
    });
    return mode;
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** Create a KMS-encrypted secret through Secrets Manager (recorded for the next start); returns its ARN. */
export function createLocalSecret(mode: LocalMode, name: string, value: string): Promise<string> {
  const secrets = secretsOf.get(mode);
  if (!secrets) throw new LocalServiceError('this local mode is not running', { service: 'local mode' });
  return secrets.create(name, value);
}

type Cleanup = Array<() => unknown>;

async function start(options: LocalOptions, cleanup: Cleanup, stop: () => Promise<void>): Promise<LocalMode> {
  const dataDir = options.dataDir === undefined ? undefined : resolve(options.dataDir);
  if (dataDir !== undefined) {
    mkdirSync(dataDir, { recursive: true });
    cleanup.push(claimDataDir(dataDir));
  }
  const under = (name: string) => (dataDir === undefined ? undefined : join(dataDir, name));
  const engines = await startEngines(under, options.ports ?? {}, cleanup);
  const wired = deferred<LocalStepFunctions>();
  const endpoint = await startSfnEndpoint({ api: wired.promise, port: options.ports?.sfn });
  cleanup.push(() => endpoint.close());
  const endpoints = { ...engines, sfn: endpoint.url };
  const clients = makeClients({ endpoints, credentials: LOCAL_CREDENTIALS, region: LOCAL_REGION });
  const tables = tableNamesFor(LOCAL_NAMES.tablePrefix);
  const buckets = { work: LOCAL_NAMES.workBucket, data: LOCAL_NAMES.dataBucket };
  await createResources(clients, tables, buckets);
  const secrets = await LocalSecrets.open(clients, under('secrets.json'));
  const stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${LOCAL_NAMES.stateMachine}`;
  const liveness = new SfnRunLiveness({ sfn: clients.sfn, stateMachineArn });
  const project = options.processors ? undefined : findProject(options.projectDir);
  const processors = options.processors ?? (await RefreshingRegistry.open(project ?? findProject()));
  // No EventBridge here: what is published starts the triggered runs in this process (core/runs/triggers.ts).
  const bus = new TriggerBus((msg, data) => {
    // A trigger that failed is retried by the reconcile; it is shown, as a deployment's would be in its logs.
    if (msg !== 'triggered run started') console.error(`batchkeeper local: ${msg} ${JSON.stringify(data)}`);
  });
  const starter = new SfnRunStarter({ sfn: clients.sfn, stateMachineArn });
  const deps = makeDeps({
    clients,
    tables,
    buckets,
    processors,
    liveness,
    faults: options.faults,
    bus,
    starter,
  });
  bus.bind({ ...deps, starter });
  bus.reconcileEvery(options.reconcileMs ?? LOCAL_RECONCILE_MS);
  cleanup.push(() => bus.close());
  const executions = { stateMachineArn, executionsDir: under('executions') };
  const state: LocalState = {
    pid: process.pid,
    region: LOCAL_REGION,
    credentials: { ...LOCAL_CREDENTIALS },
    endpoints,
    tables,
    buckets,
    stateMachineArn,
    kmsKeyId: secrets.kmsKeyId,
    ...(dataDir === undefined ? {} : { dataDir }),
    startedAt: new Date().toISOString(),
  };
  const containers = {
    env: {
      ...envFor(state),
      POWERTOOLS_LOG_LEVEL: options.logLevel ?? 'INFO',
      POWERTOOLS_METRICS_DISABLED: 'true',
    },
    processorsModule: options.containerProcessorsModule ?? project?.processorsModule,
  };
  const sfn = await startEngine(deps, clients.s3, executions, { ...options, containers }, cleanup);
  wired.resolve(sfn);
  const stateFile = publishState(
    state,
    options.stateFile === false ? undefined : (options.stateFile ?? localStatePath(dataDir)),
    cleanup,
  );
  const mode: LocalMode = {
    state,
    clients,
    deps,
    sfn,
    triggers: bus,
    ...(stateFile === undefined ? {} : { stateFile }),
    stop,
  };
  secretsOf.set(mode, secrets);
  return mode;
}

/** The handlers with `deps` injected, behind the engine that runs run-job.asl.json. */
async function startEngine(
  deps: Deps,
  s3: S3Client,
  at: { stateMachineArn: string; executionsDir: string | undefined },
  options: LocalOptions & { containers: { env: Record<string, string>; processorsModule?: string } },
  cleanup: Cleanup,
) {
  const functions = await loadLocalFunctions(deps, options.logLevel ?? 'INFO');
  cleanup.push(functions.release);
  const sfn = runJobEngine({
    functions: refreshingAtPlan(functions.byName, deps.processors),
    taskDefinitions: localTaskDefinitions(options.containers.env, options.containers.processorsModule),
    s3,
    store: ExecutionStore.open(at.executionsDir),
    stateMachineArn: at.stateMachineArn,
    workBucket: deps.buckets.work,
    retryIntervalMs: options.retryIntervalMs,
  });
  cleanup.push(() => sfn.close());
  return sfn;
}

/**
 * A run starts with PlanRun: a registry that follows the user's module loads it again there, so that the run
 * (and every batch of it) sees the code as it is when the run starts.
 */
function refreshingAtPlan(
  functions: Readonly<Record<string, LocalFunction>>,
  processors: ProcessorRegistry,
): Readonly<Record<string, LocalFunction>> {
  const plan = functions[LOCAL_FUNCTIONS.PlanRunFunctionArn];
  if (!(processors instanceof RefreshingRegistry) || !plan) return functions;
  const handler: LambdaHandler = async (event, context) => {
    await processors.refresh();
    return plan.handler(event, context);
  };
  return { ...functions, [LOCAL_FUNCTIONS.PlanRunFunctionArn]: { ...plan, handler } };
}

function publishState(state: LocalState, file: string | undefined, cleanup: Cleanup): string | undefined {
  if (file === undefined) return undefined;
  writeLocalState(file, state);
  cleanup.push(() => removeLocalState(file, state.pid));
  return file;
}

/** DynamoDB Local, s3rver and moto, started together; whichever started is stopped if another fails. */
async function startEngines(
  at: (name: string) => string | undefined,
  ports: NonNullable<LocalOptions['ports']>,
  cleanup: Cleanup,
) {
  const [ddb, s3, moto] = await Promise.allSettled([
    startDynamoDbLocal({ port: ports.dynamodb, dataDir: at('dynamodb') }),
    startS3Local({ port: ports.s3, directory: at('s3'), credentials: LOCAL_CREDENTIALS }),
    startMoto({ port: ports.moto }),
  ]);
  for (const result of [ddb, s3, moto])
    if (result.status === 'fulfilled') cleanup.push(() => result.value.stop());
  for (const result of [ddb, s3, moto]) if (result.status === 'rejected') throw result.reason;
  const endpoint = (result: PromiseSettledResult<{ endpoint: string }>) =>
    (result as PromiseFulfilledResult<{ endpoint: string }>).value.endpoint;
  return { dynamodb: endpoint(ddb), s3: endpoint(s3), secretsmanager: endpoint(moto), kms: endpoint(moto) };
}

async function createResources(
  clients: Clients,
  tables: TableNames,
  buckets: { work: string; data: string },
): Promise<void> {
  await Promise.all([
    createTables(clients.ddb, tables),
    ensureBucket(clients.s3, buckets.work),
    ensureBucket(clients.s3, buckets.data),
  ]);
}

/** s3rver answers a repeated CreateBucket with BucketAlreadyExists, so a kept bucket is looked up first. */
async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new HeadBucketCommand({ Bucket: bucket }));
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 404) throw error;
    await createBucket(s3, bucket);
  }
}

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((res) => {
    resolve = res;
  });
  return { promise, resolve };
}
