import { type Clients, makeClients, type ServiceName } from '../core/adapters/clients.ts';
import { makeDeps } from '../core/adapters/make-deps.ts';
import { ENV, type TableNames } from '../core/contracts/tables.ts';
import type { Deps } from '../core/deps.ts';
import { BatchkeeperError } from '../core/errors.ts';
import { defaultRegistry } from '../core/processors/builtin.ts';
import type { ProcessorRegistry } from '../core/processors/registry.ts';
import { loadProjectProcessors } from '../project/load-processors.ts';
import { type LocalState, readLocalState } from './local/local-state.ts';

/** Where the CLI works: the running local mode, or a deployed stack in an AWS account. */
export interface Target {
  readonly kind: 'local' | 'aws';
  readonly region: string;
  readonly clients: Clients;
  readonly deps: Deps;
  readonly stateMachineArn: string;
  readonly tables: TableNames;
  readonly buckets: { readonly work: string; readonly data: string };
  /** Local only: the engines' endpoints. */
  readonly endpoints?: Readonly<Record<ServiceName, string>>;
}

export interface TargetOptions {
  readonly local?: boolean;
  readonly dataDir?: string;
  readonly region?: string;
  /** @default 'Batchkeeper' */
  readonly stack?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** @default the project's processors (package.json `batchkeeper.processors`), else the built-ins */
  readonly processors?: ProcessorRegistry;
}

/** The deployment could not be found: no such stack, or an output missing. */
export class TargetNotFoundError extends BatchkeeperError {
  constructor(message: string, context: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, context, options);
  }
}

export const DEFAULT_STACK = 'Batchkeeper';

/**
 * Resolve the target once per CLI call.
 * @example const target = await resolveTarget({ local: true, dataDir: '/tmp/bk' });
 */
export async function resolveTarget(o: TargetOptions): Promise<Target> {
  // readLocalState names the state file and refuses one whose process is gone, instead of timing out later.
  const processors = o.processors ?? (await projectRegistry());
  if (o.local) return targetFromLocalState(readLocalState(o.dataDir), processors);
  return awsTarget({ ...o, processors });
}

/**
 * The processors of the project the CLI runs in. A module that does not build or load fails only the commands
 * that need a processor (creating a job, its stats), with the module's error; the others work on.
 */
async function projectRegistry(): Promise<ProcessorRegistry> {
  try {
    return (await loadProjectProcessors()).registry;
  } catch (error) {
    const fail = (): never => {
      throw error;
    };
    return { get: fail, has: fail, names: fail };
  }
}

/** A target over a local mode's state (the demo and the tests hold the state already). */
export function targetFromLocalState(
  state: LocalState,
  processors: ProcessorRegistry = defaultRegistry,
): Target {
  const clients = makeClients({
    region: state.region,
    endpoints: state.endpoints,
    credentials: state.credentials,
  });
  const names = { tables: state.tables, buckets: state.buckets };
  return {
    kind: 'local',
    region: state.region,
    clients,
    deps: makeDeps({ clients, ...names, processors }),
    stateMachineArn: state.stateMachineArn,
    ...names,
    endpoints: state.endpoints,
  };
}

type Names = { tables: TableNames; buckets: { work: string; data: string }; stateMachineArn: string };
export type NameKey = 'catalog' | 'inventory' | 'exceptions' | 'data' | 'work' | 'stateMachineArn';

/** Each resource: the environment variable that overrides it and the stack output that names it. */
const RESOURCES: readonly { key: NameKey; env: string; output: string }[] = [
  { key: 'catalog', env: ENV.catalogTable, output: 'CatalogTableName' },
  { key: 'inventory', env: ENV.inventoryTable, output: 'InventoryTableName' },
  { key: 'exceptions', env: ENV.exceptionsTable, output: 'ExceptionsTableName' },
  { key: 'data', env: ENV.dataBucket, output: 'DataBucketName' },
  { key: 'work', env: ENV.workBucket, output: 'WorkBucketName' },
  { key: 'stateMachineArn', env: ENV.stateMachineArn, output: 'StateMachineArn' },
];

async function awsTarget(o: TargetOptions): Promise<Target> {
  const env = o.env ?? process.env;
  const region = o.region ?? env.AWS_REGION ?? env.AWS_DEFAULT_REGION;
  const clients = makeClients({ region });
  const found = new Map<NameKey, string>();
  for (const r of RESOURCES) if (env[r.env]) found.set(r.key, env[r.env] as string);
  // Only ask CloudFormation when the environment does not name everything: operators may lack DescribeStacks.
  if (found.size < RESOURCES.length) await fromStack(o.stack ?? DEFAULT_STACK, region, found);
  const get = (k: NameKey) => found.get(k) as string;
  const names: Names = {
    tables: { catalog: get('catalog'), inventory: get('inventory'), exceptions: get('exceptions') },
    buckets: { work: get('work'), data: get('data') },
    stateMachineArn: get('stateMachineArn'),
  };
  const processors = o.processors ?? defaultRegistry;
  const resolvedRegion = await clients.sfn.config.region();
  return {
    kind: 'aws',
    region: resolvedRegion,
    clients,
    deps: makeDeps({ clients, ...names, processors }),
    ...names,
  };
}

/** The outputs of the stack, read with DescribeStacks (the SDK client is loaded only when needed). */
async function fromStack(
  stack: string,
  region: string | undefined,
  found: Map<NameKey, string>,
): Promise<void> {
  const { CloudFormationClient, DescribeStacksCommand } = await import('@aws-sdk/client-cloudformation');
  const cfn = new CloudFormationClient(region ? { region } : {});
  try {
    const out = await cfn.send(new DescribeStacksCommand({ StackName: stack }));
    namesFromOutputs(stack, out.Stacks?.[0]?.Outputs ?? [], found);
  } catch (cause) {
    if (cause instanceof TargetNotFoundError) throw cause;
    const reason = (cause as Error).message;
    throw new TargetNotFoundError(
      `cannot read the outputs of stack ${stack}: ${reason}`,
      { stack },
      { cause },
    );
  } finally {
    cfn.destroy();
  }
}

export interface StackOutput {
  readonly OutputKey?: string;
  readonly OutputValue?: string;
  readonly Description?: string;
}

/**
 * Fill the names the environment left open from a stack's outputs. An output is recognised by its key
 * (`CatalogTableName`), or by the environment variable it carries, as key without punctuation or as
 * description (`BATCHKEEPERCATALOGTABLE` / `BATCHKEEPER_CATALOG_TABLE`: what infra/batchkeeper-stack.ts emits).
 */
export function namesFromOutputs(
  stack: string,
  outputs: readonly StackOutput[],
  found: Map<NameKey, string>,
): void {
  for (const r of RESOURCES) {
    if (found.has(r.key)) continue;
    const compact = r.env.replace(/[^A-Za-z0-9]/g, '');
    const hit = outputs.find(
      (x) => x.OutputKey === r.output || x.OutputKey === compact || x.Description === r.env,
    );
    if (!hit?.OutputValue) {
      throw new TargetNotFoundError(`stack ${stack} has no output ${r.output} (and ${r.env} is not set)`, {
        stack,
        output: r.output,
      });
    }
    found.set(r.key, hit.OutputValue);
  }
}
