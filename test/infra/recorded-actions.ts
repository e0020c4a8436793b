import { randomUUID } from 'node:crypto';
import type { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import type { Clients } from '../../core/adapters/clients.ts';
import type { FUNCTIONS } from '../../core/contracts/functions.ts';
import type { TableNames } from '../../core/contracts/tables.ts';
import type { BatchkeeperStack } from '../../infra/batchkeeper-stack.ts';
import { allows, grants, logicalId, resourcesOf, type Statement, type TemplateResources } from './support.ts';

/**
 * The local engines enforce no IAM. These helpers record, per Lambda function, the DynamoDB, S3 and EventBridge
 * actions its core code asks for (as IAM authorizes them: a transaction item by item, a 404 only with s3:ListBucket), and
 * check each against the Allow statements of that function's role in the synthesized template.
 */

/** The pipeline's functions, named as in the function table (and on PipelineFunctions). */
export type FunctionName = keyof typeof FUNCTIONS;

const SHOWN: Record<FunctionName, string> = {
  planRun: 'Plan',
  processBatch: 'ProcessBatch',
  recordFailure: 'RecordFailure',
  finalizeRun: 'Finalize',
  registerObjects: 'RegisterObjects',
  triggerRuns: 'TriggerRuns',
};

/** A table role, `work` or `data` for the buckets, `bus` for the event bus, or the unknown name itself. */
type Store = string;

/** One action a request needs IAM to allow. */
export interface Needed {
  readonly fn: FunctionName;
  readonly action: string;
  readonly store: Store;
  /** DynamoDB: the index queried. */
  readonly index?: string;
  /** DynamoDB: the sort key's kind (`N#...`, `META`); S3: the object key. */
  readonly key?: string;
  /** s3:ListBucket: the prefix listed, or the key found missing. */
  readonly prefix?: string;
  readonly missing?: boolean;
}

type Action = Omit<Needed, 'fn'>;
type Input = Record<string, unknown>;
type Key = Record<string, unknown> | undefined;

export interface Recorder {
  /** Run `work` as `fn`: what it sends meanwhile is that function's. Flows run one at a time. */
  as<T>(fn: FunctionName, work: () => Promise<T>): Promise<T>;
  readonly needed: Needed[];
  /** Every recorded need as a readable line, once each, sorted. */
  lines(): string[];
  stop(): void;
}

export interface Recorded {
  /** `events` is recorded when there is one: PutEvents to the bus. */
  readonly clients: Pick<Clients, 'doc' | 's3'> & { readonly events?: EventBridgeClient };
  readonly tables: TableNames;
  readonly bucket: string;
  readonly dataBucket: string;
  /** The name of the bus that stands for the deployment's (store `bus`). @default - none */
  readonly eventBus?: string;
}

/** Record what the shared document, S3 and EventBridge clients send while a function is named; nothing otherwise. */
export function recordActions(env: Recorded): Recorder {
  const needed: Needed[] = [];
  let current: FunctionName | undefined;
  const roles = new Map<string, Store>(Object.entries(env.tables).map(([role, name]) => [name, role]));
  const table = (name: unknown): Store => roles.get(String(name)) ?? `table ${String(name)}`;
  const buckets = new Map([
    [env.bucket, 'work'],
    [env.dataBucket, 'data'],
  ]);
  const bucket = (name: unknown): Store => buckets.get(String(name)) ?? `bucket ${String(name)}`;
  const bus = (name: unknown): Store =>
    env.eventBus !== undefined && name === env.eventBus ? 'bus' : `bus ${String(name)}`;
  const ddbName = `record-ddb-${randomUUID()}`;
  const s3Name = `record-s3-${randomUUID()}`;
  const eventsName = `record-events-${randomUUID()}`;

  env.clients.doc.middlewareStack.add(
    (next, context) => async (args) => {
      const fn = current;
      if (fn) {
        const name = (context.commandName ?? 'Unknown').replace(/Command$/, '');
        for (const a of dynamoActions(name, args.input as Input, table)) needed.push({ fn, ...a });
      }
      return next(args);
    },
    { step: 'initialize', name: ddbName },
  );
  env.clients.s3.middlewareStack.add(
    (next, context) => async (args) => {
      const fn = current;
      const name = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      const input = args.input as Input;
      if (fn) for (const a of s3Actions(name, input, bucket)) needed.push({ fn, ...a });
      try {
        return await next(args);
      } catch (e) {
        // On AWS a missing key answers 404 only to a caller who may list the bucket; otherwise 403, which the
        // object store would not read as "absent".
        if (fn && (name === 'GetObject' || name === 'HeadObject') && isMissing(e)) {
          const key = String(input.Key);
          needed.push({
            fn,
            action: 's3:ListBucket',
            store: bucket(input.Bucket),
            prefix: key,
            missing: true,
          });
        }
        throw e;
      }
    },
    { step: 'initialize', name: s3Name },
  );
  env.clients.events?.middlewareStack.add(
    (next, context) => async (args) => {
      const fn = current;
      const name = (context.commandName ?? 'Unknown').replace(/Command$/, '');
      if (fn) for (const a of eventsActions(name, args.input as Input, bus)) needed.push({ fn, ...a });
      return next(args);
    },
    { step: 'initialize', name: eventsName },
  );

  return {
    needed,
    async as(fn, work) {
      // Nested: a Plan run from inside a worker (to interleave them) hands the worker its name back after.
      const outer = current;
      current = fn;
      try {
        return await work();
      } finally {
        current = outer;
      }
    },
    lines: () => [...new Set(needed.map(lineOf))].sort(),
    stop() {
      env.clients.doc.middlewareStack.remove(ddbName);
      env.clients.s3.middlewareStack.remove(s3Name);
      env.clients.events?.middlewareStack.remove(eventsName);
    },
  };
}

const TRANSACT_ACTIONS: Record<string, string> = {
  Put: 'dynamodb:PutItem',
  Update: 'dynamodb:UpdateItem',
  Delete: 'dynamodb:DeleteItem',
  ConditionCheck: 'dynamodb:ConditionCheckItem',
  Get: 'dynamodb:GetItem',
};

/** IAM authorizes a transaction item by item, and a batch per table. */
function dynamoActions(name: string, input: Input, table: (name: unknown) => Store): Action[] {
  const one = (action: string, tableName: unknown, key?: Key): Action => ({
    action,
    store: table(tableName),
    ...(key ? { key: kindOf(key.sk) } : {}),
  });
  switch (name) {
    case 'GetItem':
    case 'UpdateItem':
    case 'DeleteItem':
      return [one(`dynamodb:${name}`, input.TableName, input.Key as Key)];
    case 'PutItem':
      return [one('dynamodb:PutItem', input.TableName, input.Item as Key)];
    case 'Query': {
      const prefix = (input.ExpressionAttributeValues as Input | undefined)?.[':prefix'];
      return [
        {
          action: 'dynamodb:Query',
          store: table(input.TableName),
          ...(input.IndexName ? { index: String(input.IndexName) } : {}),
          ...(prefix === undefined ? {} : { key: kindOf(prefix) }),
        },
      ];
    }
    case 'TransactWriteItems':
    case 'TransactGetItems':
      return ((input.TransactItems ?? []) as Record<string, Input>[]).flatMap((item) =>
        Object.entries(item).map(([op, body]) =>
          one(TRANSACT_ACTIONS[op] ?? `dynamodb:${op}`, body.TableName, (body.Item ?? body.Key) as Key),
        ),
      );
    case 'BatchGetItem':
    case 'BatchWriteItem':
      return Object.entries((input.RequestItems ?? {}) as Record<string, unknown>).map(([tableName]) =>
        one(`dynamodb:${name}`, tableName),
      );
    default:
      return [one(`dynamodb:${name}`, input.TableName)];
  }
}

function s3Actions(name: string, input: Input, bucket: (name: unknown) => Store): Action[] {
  const object = (action: string, b: unknown, key: unknown): Action => ({
    action,
    store: bucket(b),
    key: String(key),
  });
  switch (name) {
    case 'GetObject':
    case 'HeadObject':
      return [object('s3:GetObject', input.Bucket, input.Key)];
    case 'PutObject':
      return [object('s3:PutObject', input.Bucket, input.Key)];
    case 'DeleteObject':
      return [object('s3:DeleteObject', input.Bucket, input.Key)];
    case 'DeleteObjects': {
      const objects = ((input.Delete as Input | undefined)?.Objects ?? []) as { Key?: string }[];
      return objects.map((o) => object('s3:DeleteObject', input.Bucket, o.Key));
    }
    case 'CopyObject': {
      const source = decodeURIComponent(String(input.CopySource).replace(/^\//, '').replace(/\?.*$/, ''));
      const slash = source.indexOf('/');
      return [
        object('s3:GetObject', source.slice(0, slash), source.slice(slash + 1)),
        object('s3:PutObject', input.Bucket, input.Key),
      ];
    }
    case 'ListObjectsV2':
    case 'ListObjects':
      return [{ action: 's3:ListBucket', store: bucket(input.Bucket), prefix: String(input.Prefix ?? '') }];
    default:
      return [{ action: `s3:${name}`, store: bucket(input.Bucket) }];
  }
}

/** IAM authorizes PutEvents per entry, on the bus each entry names (`default` when it names none). */
function eventsActions(name: string, input: Input, bus: (name: unknown) => Store): Action[] {
  if (name !== 'PutEvents')
    return [{ action: `events:${name}`, store: bus(input.Name ?? input.EventBusName) }];
  const entries = (input.Entries ?? []) as { EventBusName?: string }[];
  const names = [...new Set(entries.map((e) => e.EventBusName ?? 'default'))];
  return names.map((n) => ({ action: 'events:PutEvents', store: bus(n) }));
}

/** The part of a sort key before its first '#': what kind of record it is. */
function kindOf(sk: unknown): string {
  const text = typeof sk === 'object' && sk !== null && 'S' in sk ? String(sk.S) : String(sk);
  const hash = text.indexOf('#');
  return hash < 0 ? text : `${text.slice(0, hash + 1)}...`;
}

function isMissing(e: unknown): boolean {
  const err = e as { name?: string; $metadata?: { httpStatusCode?: number } };
  return err.name === 'NoSuchKey' || err.name === 'NotFound' || err.$metadata?.httpStatusCode === 404;
}

/** `Plan: dynamodb:DeleteItem on inventory (N#...)`, `ProcessBatch: s3:DeleteObject on work outputs/j/...`. */
export function lineOf(n: Needed): string {
  const head = `${SHOWN[n.fn]}: ${n.action} on ${n.store}`;
  if (n.action.startsWith('dynamodb:'))
    return `${head}${n.index ? ` index ${n.index}` : ''}${n.key ? ` (${n.key})` : ''}`;
  if (n.action === 's3:ListBucket')
    return n.missing
      ? `${head} (to read the missing key ${n.prefix} as absent)`
      : `${head} (prefix '${n.prefix}')`;
  return n.key === undefined ? head : `${head} ${n.key}`;
}

/**
 * A CloudFormation token as a string: `arn:<id>` for a GetAtt of Arn, `ref:<id>` for a Ref, joins joined.
 * Anything else becomes its JSON, which matches no resource.
 */
export function resolve(token: unknown): string {
  if (typeof token === 'string') return token;
  const t = (token ?? {}) as Record<string, unknown>;
  const getAtt = t['Fn::GetAtt'] as [string, string] | undefined;
  if (getAtt) return getAtt[1] === 'Arn' ? `arn:${getAtt[0]}` : `${getAtt[1]}:${getAtt[0]}`;
  if (typeof t.Ref === 'string') return `ref:${t.Ref}`;
  const join = t['Fn::Join'] as [string, unknown[]] | undefined;
  if (join) return join[1].map(resolve).join(join[0]);
  return JSON.stringify(token);
}

/** IAM's string wildcards: `*` any characters, `?` one. */
export function matches(pattern: string, value: string): boolean {
  const source = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${source}$`).test(value);
}

/**
 * Conditions this check can evaluate: `s3:prefix` under StringLike or StringEquals, for a listing. Any other
 * condition key cannot be told from a local request, so a statement carrying one is not counted as a grant. A
 * read of a missing key carries no `s3:prefix` (it is a GetObject or HeadObject, not a listing), so a statement
 * conditioned on it does not turn that read's 403 into a 404.
 */
function conditionHolds(s: Statement, n: Needed): boolean {
  for (const [operator, entries] of Object.entries(s.Condition ?? {})) {
    if (operator !== 'StringLike' && operator !== 'StringEquals') return false;
    for (const [key, value] of Object.entries(entries)) {
      const prefix = n.prefix;
      if (key !== 's3:prefix' || prefix === undefined || n.missing) return false;
      const values = (Array.isArray(value) ? value : [value]).map(String);
      const ok = operator === 'StringLike' ? values.some((v) => matches(v, prefix)) : values.includes(prefix);
      if (!ok) return false;
    }
  }
  return true;
}

export interface GrantCheck {
  /** One readable line per need no statement of the function's role allows. */
  misses(needed: readonly Needed[]): string[];
}

/** Check recorded needs against the roles of the synthesized stack. */
export function grantCheck(stack: BatchkeeperStack, resources: TemplateResources): GrantCheck {
  const fns = stack.pipeline.functions;
  const all = grants(resources);
  const ofRole = (role: string) => {
    // Customer managed policies of the template attached to the role count too.
    const attached = Object.entries(resources)
      .filter(([, r]) => r.Type === 'AWS::IAM::ManagedPolicy')
      .filter(([, r]) => ((r.Properties.Roles ?? []) as { Ref?: string }[]).some((x) => x.Ref === role))
      .map(([id]) => id);
    return all.filter((g) => g.owner === role || attached.includes(g.owner)).map((g) => g.statement);
  };
  const names: FunctionName[] = [
    'planRun',
    'processBatch',
    'recordFailure',
    'finalizeRun',
    'registerObjects',
    'triggerRuns',
  ];
  const statements = Object.fromEntries(
    names.map((fn) => [fn, ofRole(logicalId(stack, fns[fn].role))]),
  ) as Record<FunctionName, Statement[]>;
  const tableIds: Record<string, string> = Object.fromEntries(
    Object.entries(stack.stores.tables).map(([role, t]) => [role, logicalId(stack, t)]),
  );
  const bucketIds: Record<string, string> = {
    work: logicalId(stack, stack.stores.workBucket),
    data: logicalId(stack, stack.stores.dataBucket),
  };
  const busId = logicalId(stack, stack.stores.eventBus);
  const resourceOf = (n: Needed): string => {
    if (n.action.startsWith('events:')) return n.store === 'bus' ? `arn:${busId}` : `unknown ${n.store}`;
    if (n.action.startsWith('dynamodb:')) {
      const id = tableIds[n.store];
      if (!id) return `unknown ${n.store}`;
      return n.index ? `arn:${id}/index/${n.index}` : `arn:${id}`;
    }
    const id = bucketIds[n.store];
    if (!id) return `unknown ${n.store}`;
    return n.action === 's3:ListBucket' || n.key === undefined ? `arn:${id}` : `arn:${id}/${n.key}`;
  };
  const granted = (n: Needed) => {
    const resource = resourceOf(n);
    return statements[n.fn].some(
      (s) =>
        allows(s, n.action) &&
        resourcesOf(s).some((r) => matches(resolve(r), resource)) &&
        conditionHolds(s, n),
    );
  };
  return {
    misses: (needed) => [...new Set(needed.filter((n) => !granted(n)).map(lineOf))].sort(),
  };
}
