import { randomUUID } from 'node:crypto';
import { SfnApiError } from '../errors.ts';
import type { ExecutionRecord } from './execution-store.ts';
import type { Json } from './json.ts';
import type { LocalStepFunctions } from './sfn-runner.ts';

/**
 * The operations of the Step Functions API that the local engine serves, with AWS's validation, error types
 * and messages. Timestamps are epoch seconds, as the AWS JSON protocol carries them.
 */

export type Body = Record<string, unknown>;
type Operation = (sfn: LocalStepFunctions, body: Body) => Body | Promise<Body>;

const MAX_INPUT_BYTES = 256 * 1024;
const STATUSES = new Set(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']);
/** What Step Functions refuses in a name: whitespace, brackets, wildcards, some punctuation, control characters. */
const BAD_NAME_CHARACTERS = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/u;
const isBadName = (name: string) =>
  name === '' ||
  BAD_NAME_CHARACTERS.test(name) ||
  [...name].some((c) => {
    const code = c.codePointAt(0) ?? 0;
    return code < 0x20 || (code >= 0x7f && code <= 0x9f);
  });
const ARN = {
  stateMachine: /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:stateMachine:[^:]+$/,
  execution: /^arn:aws[a-z-]*:states:[a-z0-9-]+:\d{12}:execution:[^:]+:[^:]+$/,
};

const seconds = (ms: number) => ms / 1000;

function text(
  body: Body,
  field: string,
  options: { required?: boolean; max?: number } = {},
): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) {
    if (options.required) throw validation(field, 'Member must not be null', value);
    return undefined;
  }
  if (typeof value !== 'string') throw new SfnApiError('SerializationException', `${field} must be a string`);
  if (options.max !== undefined && value.length > options.max)
    throw validation(field, `Member must have length less than or equal to ${options.max}`, value);
  return value;
}

function validation(field: string, constraint: string, value: unknown): SfnApiError {
  return new SfnApiError(
    'ValidationException',
    `1 validation error detected: Value '${String(value)}' at '${field}' failed to satisfy constraint: ${constraint}`,
  );
}

/**
 * The input of StartExecution, parsed: as on AWS, input that is not JSON, or over 256 KiB, is refused with
 * InvalidExecutionInput before any execution exists.
 */
function executionInput(input: string): Json {
  const refuse = (why: string) =>
    new SfnApiError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${why}'`);
  const bytes = Buffer.byteLength(input);
  if (bytes > MAX_INPUT_BYTES) throw refuse(`${bytes} bytes, over the limit of ${MAX_INPUT_BYTES} bytes`);
  try {
    return JSON.parse(input) as Json;
  } catch (error) {
    throw refuse(`not JSON: ${(error as Error).message}`);
  }
}

function machineOf(sfn: LocalStepFunctions, body: Body): string {
  const arn = text(body, 'stateMachineArn', { required: true }) as string;
  if (!ARN.stateMachine.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  if (arn !== sfn.stateMachineArn)
    throw new SfnApiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  return arn;
}

function executionOf(sfn: LocalStepFunctions, body: Body): ExecutionRecord {
  const arn = text(body, 'executionArn', { required: true }) as string;
  if (!ARN.execution.test(arn)) throw new SfnApiError('InvalidArn', `Invalid Arn: '${arn}'`);
  const record = sfn.store.get(arn);
  if (!record) throw new SfnApiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
  return record;
}

/** A page of `items`: tokens are opaque offsets, bound to the operation that issued them. */
function page<T>(items: readonly T[], body: Body, kind: string): { items: T[]; nextToken?: string } {
  const max = body.maxResults ?? 0;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000)
    throw validation('maxResults', 'Member must have value between 0 and 1000', max);
  const token = text(body, 'nextToken', { max: 1024 });
  let offset = 0;
  if (token !== undefined) {
    const decoded = /^(\w+):(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!decoded || decoded[1] !== kind) throw new SfnApiError('InvalidToken', `Invalid Token: '${token}'`);
    offset = Number(decoded[2]);
  }
  const end = offset + (max || 100);
  const next = end < items.length ? Buffer.from(`${kind}:${end}`).toString('base64url') : undefined;
  return { items: items.slice(offset, end), ...(next === undefined ? {} : { nextToken: next }) };
}

function describe(r: ExecutionRecord): Body {
  return {
    executionArn: r.executionArn,
    stateMachineArn: r.stateMachineArn,
    name: r.name,
    status: r.status,
    startDate: seconds(r.startDate),
    ...(r.stopDate === undefined ? {} : { stopDate: seconds(r.stopDate) }),
    input: r.input,
    inputDetails: { included: true },
    ...(r.status === 'SUCCEEDED' ? { output: r.output ?? 'null', outputDetails: { included: true } } : {}),
    ...(r.error === undefined ? {} : { error: r.error }),
    ...(r.cause === undefined ? {} : { cause: r.cause }),
  };
}

const listItem = (r: ExecutionRecord): Body => {
  const { executionArn, stateMachineArn, name, status, startDate, stopDate } = describe(r);
  return {
    executionArn,
    stateMachineArn,
    name,
    status,
    startDate,
    ...(stopDate === undefined ? {} : { stopDate }),
  };
};

/** GetExecutionHistory with includeExecutionData false leaves out inputs, outputs and parameters. */
function withoutData(event: Body): Body {
  return Object.fromEntries(
    Object.entries(event).map(([key, value]) => {
      if (!key.endsWith('EventDetails') || typeof value !== 'object' || value === null) return [key, value];
      const { input: _i, output: _o, parameters: _p, ...rest } = value as Body;
      return [key, rest];
    }),
  );
}

export const OPERATIONS: Readonly<Record<string, Operation>> = {
  async StartExecution(sfn, body) {
    machineOf(sfn, body);
    const name = text(body, 'name', { max: 80 }) ?? randomUUID();
    if (isBadName(name)) throw new SfnApiError('InvalidName', `Invalid Name: '${name}'`);
    const input = text(body, 'input') ?? '{}';
    const value = executionInput(input);
    const existing = sfn.store.get(sfn.executionArn(name));
    // As on AWS: the same name and input while RUNNING is the same start; anything else is a conflict.
    if (existing && !(existing.status === 'RUNNING' && existing.input === input)) {
      throw new SfnApiError('ExecutionAlreadyExists', `Execution Already Exists: '${existing.executionArn}'`);
    }
    const record = existing ?? sfn.startExecution(name, input, value);
    return { executionArn: record.executionArn, startDate: seconds(record.startDate) };
  },
  DescribeExecution: (sfn, body) => describe(executionOf(sfn, body)),
  async StopExecution(sfn, body) {
    const record = executionOf(sfn, body);
    const error = text(body, 'error', { max: 256 });
    const cause = text(body, 'cause', { max: 32_768 });
    if (record.status === 'RUNNING') await sfn.stopExecution(record, { error, cause });
    return { stopDate: seconds(record.stopDate ?? Date.now()) };
  },
  ListExecutions(sfn, body) {
    const arn = machineOf(sfn, body);
    const status = text(body, 'statusFilter');
    if (status !== undefined && !STATUSES.has(status))
      throw validation(
        'statusFilter',
        `Member must satisfy enum value set: [${[...STATUSES].join(', ')}]`,
        status,
      );
    const { items, nextToken } = page(
      sfn.store.list(arn, status as ExecutionRecord['status'] | undefined),
      body,
      'executions',
    );
    return { executions: items.map(listItem), ...(nextToken === undefined ? {} : { nextToken }) };
  },
  GetExecutionHistory(sfn, body) {
    const record = executionOf(sfn, body);
    const events = body.reverseOrder === true ? [...record.history].reverse() : record.history;
    const { items, nextToken } = page(events, body, 'history');
    const shaped = body.includeExecutionData === false ? items.map((e) => withoutData(e)) : items;
    return { events: shaped, ...(nextToken === undefined ? {} : { nextToken }) };
  },
  DescribeStateMachine(sfn, body) {
    machineOf(sfn, body);
    return {
      stateMachineArn: sfn.stateMachineArn,
      name: sfn.name,
      status: 'ACTIVE',
      definition: sfn.definitionText,
      roleArn: sfn.roleArn,
      type: 'STANDARD',
      creationDate: seconds(sfn.createdAt),
      loggingConfiguration: { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: { enabled: false },
    };
  },
  DescribeStateMachineForExecution(sfn, body) {
    executionOf(sfn, body);
    const { stateMachineArn, name, definitionText: definition, roleArn } = sfn;
    return { stateMachineArn, name, definition, roleArn, updateDate: seconds(sfn.createdAt) };
  },
  ListStateMachines(sfn) {
    return {
      stateMachines: [
        {
          stateMachineArn: sfn.stateMachineArn,
          name: sfn.name,
          type: 'STANDARD',
          creationDate: seconds(sfn.createdAt),
        },
      ],
    };
  },
};
