import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { LocalServiceError } from '../errors.ts';

/**
 * Loads an ASL file the way CDK deploys it (placeholders substituted, then validated) and rewrites it in memory
 * into what the local interpreter can run with AWS semantics. The file on disk is never changed: a local engine
 * runs the same definition as AWS.
 */

export type AslState = Record<string, unknown> & { Type: string };
export interface AslDefinition {
  readonly StartAt: string;
  readonly States: Record<string, AslState>;
  readonly TimeoutSeconds?: number;
  readonly [field: string]: unknown;
}

/** Account id of every local ARN (functions, state machine, executions). */
export const LOCAL_ACCOUNT = '000000000000';

export const localFunctionArn = (region: string, name: string): string =>
  `arn:aws:lambda:${region}:${LOCAL_ACCOUNT}:function:${name}`;

/** Fill every `${Name}` of an ASL text; a placeholder without a value is an error, never left in place. */
export function substitute(text: string, values: Readonly<Record<string, string>>): string {
  const missing = new Set<string>();
  const out = text.replace(/\$\{([A-Za-z0-9_]+)\}/g, (whole, name: string) => {
    const value = values[name];
    if (value === undefined) {
      missing.add(name);
      return whole;
    }
    // Values land inside JSON strings.
    return JSON.stringify(value).slice(1, -1);
  });
  if (missing.size > 0) {
    throw new LocalServiceError(`no local value for ${[...missing].map((n) => `\${${n}}`).join(', ')}`, {
      service: 'local Step Functions',
      missing: [...missing],
    });
  }
  return out;
}

type Validator = (
  definition: unknown,
  options?: { checkArn?: boolean; checkPaths?: boolean },
) => { isValid: boolean; errorsText: (separator?: string) => string };

/** Parse and validate a substituted definition with asl-validator, as the console would before a deploy. */
export function parseDefinition(text: string, what: string): AslDefinition {
  let definition: unknown;
  try {
    definition = JSON.parse(text);
  } catch (error) {
    throw new LocalServiceError(`${what} is not JSON: ${(error as Error).message}`, { service: what });
  }
  const validate = createRequire(import.meta.url)('asl-validator') as Validator;
  // The validator writes default fields into what it checks: give it a copy.
  const { isValid, errorsText } = validate(structuredClone(definition), { checkArn: true, checkPaths: true });
  if (!isValid)
    throw new LocalServiceError(`${what} is not valid ASL: ${errorsText('; ')}`, { service: what });
  return definition as AslDefinition;
}

/** Read, substitute and validate an ASL file. Returns the substituted text too (DescribeStateMachine shows it). */
export function loadDefinition(file: string, values: Readonly<Record<string, string>>) {
  const text = substitute(readFileSync(file, 'utf8'), values);
  return { text, definition: parseDefinition(text, file) };
}

/** How a Task state calls its function. */
export type TaskTarget =
  | { readonly kind: 'lambda-invoke' }
  | { readonly kind: 'lambda'; readonly functionArn: string }
  | { readonly kind: 'ecs-run-task-sync' };

/** A Map state, kept as written, with its item processor made runnable. */
export interface LocalMap {
  readonly name: string;
  readonly state: AslState;
  readonly processor: AslDefinition;
  readonly distributed: boolean;
  readonly executionType: 'STANDARD' | 'EXPRESS';
}

/** A definition the interpreter can run, with what the local runner needs to serve it. */
export interface LocalMachine {
  readonly definition: AslDefinition;
  /** The type of every state as written (Map states run as Tasks locally). Names are unique machine-wide. */
  readonly types: Readonly<Record<string, string>>;
  readonly tasks: Readonly<Record<string, TaskTarget>>;
  readonly maps: Readonly<Record<string, LocalMap>>;
}

/** Resource of the Task that stands in for a Map state; the local Map runner serves it. */
export const LOCAL_MAP_RESOURCE = 'arn:aws:states:::batchkeeper-local:map';
/** A Map has no timeout of its own: the longest timer Node keeps exact (2^31 ms is about 24.8 days). */
const MAP_TIMEOUT_SECONDS = 2_000_000;
const MAP_FIELDS_KEPT = [
  'Comment',
  'InputPath',
  'ResultSelector',
  'ResultPath',
  'OutputPath',
  'Retry',
  'Catch',
  'Next',
  'End',
];
const READERS = new Set(['arn:aws:states:::s3:getObject', 'arn:aws:states:::s3:listObjectsV2']);
const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;

/**
 * Every Map state becomes a Task served by the local Map runner, which honours what the interpreter ignores or
 * does differently: ItemReader, ResultWriter, MaxConcurrencyPath, ToleratedFailurePercentage/Count(Path), and
 * children that fail without stopping their siblings. Retry, Catch and the paths stay with the interpreter.
 * Features neither can run are refused here, so that nothing silently behaves otherwise than on AWS.
 */
export function localize(source: AslDefinition): LocalMachine {
  const types: Record<string, string> = {};
  const tasks: Record<string, TaskTarget> = {};
  const maps: Record<string, LocalMap> = {};
  const level = (def: AslDefinition): AslDefinition => {
    refuse(def.QueryLanguage === 'JSONata', '(root)', 'JSONata');
    const states: Record<string, AslState> = {};
    for (const [name, state] of Object.entries(def.States)) {
      checkState(name, state);
      if (types[name] !== undefined) refuse(true, name, 'a state name used twice');
      types[name] = state.Type;
      if (state.Type === 'Task') tasks[name] = taskTarget(name, state);
      if (state.Type === 'Map') {
        maps[name] = localMap(name, state, level);
        states[name] = mapAsTask(state);
      } else if (state.Type === 'Parallel') {
        states[name] = { ...state, Branches: (state.Branches as AslDefinition[]).map(level) };
      } else {
        states[name] = state;
      }
    }
    return { ...def, States: states };
  };
  const definition = level(structuredClone(source));
  return { definition, types, tasks, maps };
}

function localMap(name: string, state: AslState, level: (d: AslDefinition) => AslDefinition): LocalMap {
  const source = (state.ItemProcessor ?? state.Iterator) as AslDefinition;
  const config = source.ProcessorConfig as { Mode?: string; ExecutionType?: string } | undefined;
  refuse(state.ItemBatcher !== undefined, name, 'ItemBatcher');
  const reader = state.ItemReader as { Resource?: string; ReaderConfig?: { InputType?: string } } | undefined;
  refuse(
    reader !== undefined && !READERS.has(String(reader.Resource)),
    name,
    `ItemReader ${reader?.Resource}`,
  );
  const inputType = reader?.ReaderConfig?.InputType;
  refuse(
    inputType !== undefined && inputType !== 'JSON' && inputType !== 'JSONL',
    name,
    `InputType ${inputType}`,
  );
  const writer = state.ResultWriter as { Resource?: string; WriterConfig?: unknown } | undefined;
  refuse(
    writer !== undefined && writer.Resource !== 'arn:aws:states:::s3:putObject',
    name,
    'this ResultWriter',
  );
  refuse(writer?.WriterConfig !== undefined, name, 'ResultWriter.WriterConfig');
  return {
    name,
    state,
    processor: level(source),
    distributed: config?.Mode === 'DISTRIBUTED',
    executionType: config?.ExecutionType === 'EXPRESS' ? 'EXPRESS' : 'STANDARD',
  };
}

function mapAsTask(state: AslState): AslState {
  const task: AslState = { Type: 'Task', Resource: LOCAL_MAP_RESOURCE, TimeoutSeconds: MAP_TIMEOUT_SECONDS };
  for (const field of MAP_FIELDS_KEPT) if (field in state) task[field] = state[field];
  return task;
}

function taskTarget(name: string, state: AslState): TaskTarget {
  const resource = String(state.Resource);
  if (resource === 'arn:aws:states:::lambda:invoke') return { kind: 'lambda-invoke' };
  if (LAMBDA_ARN.test(resource)) return { kind: 'lambda', functionArn: resource };
  if (resource === 'arn:aws:states:::ecs:runTask.sync') return { kind: 'ecs-run-task-sync' };
  throw unsupported(name, `Task resource ${resource} (only Lambda functions and ECS tasks run locally)`);
}

function checkState(name: string, state: AslState): void {
  refuse(state.QueryLanguage === 'JSONata', name, 'JSONata');
  for (const field of ['Assign', 'Arguments', 'Output', 'Items']) refuse(field in state, name, field);
}

function refuse(condition: boolean, name: string, feature: string): void {
  if (condition) throw unsupported(name, feature);
}

function unsupported(name: string, feature: string): LocalServiceError {
  return new LocalServiceError(`state ${name}: the local Step Functions engine does not support ${feature}`, {
    service: 'local Step Functions',
    state: name,
    feature,
  });
}
