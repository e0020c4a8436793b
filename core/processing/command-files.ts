import { CommandOutputError } from '../errors.ts';
import type { BatchScope } from '../model.ts';
import type { NewException } from '../ports/index.ts';

/**
 * The files a command processor's batch is made of (docs/command-processors.md): the names in the work folder,
 * the descriptor, and the strict reading of what the command wrote.
 */
export const WORK_FILES = {
  descriptor: 'batch.json',
  inputs: 'items.jsonl',
  outputs: 'outputs.jsonl',
  exceptions: 'exceptions.jsonl',
  secret: 'secret',
} as const;

/** The longest exception kind a command may give. */
export const KIND_MAX = 100;
/** The largest `details` of one exception, as JSON. */
export const DETAILS_MAX_BYTES = 16 * 1024;

/** `batch.json`: everything a command knows of its batch. Paths are absolute. */
export interface BatchDescriptor {
  readonly version: 1;
  readonly jobId: string;
  readonly runId: string;
  readonly processor: { readonly name: string; readonly version: string };
  readonly batch: {
    readonly scope: BatchScope['kind'];
    readonly start: number;
    readonly end: number;
    /** Items staged in `inputs`. */
    readonly items: number;
  };
  readonly config: unknown;
  readonly configHash: string;
  readonly attempt: number;
  /** The lease's fencing token: unique per attempt of this batch. */
  readonly token: number;
  readonly workDir: string;
  readonly inputs: string;
  readonly outputs: string;
  readonly exceptions: string;
  /** The file holding the data set's secret (mode 0600), or null when the processor asks for none. */
  readonly secret: string | null;
}

/** A staged item: one line of `items.jsonl`. */
export const inputLine = (id: number, item: unknown): string => JSON.stringify({ id, item });

/** What the command made of the staged items, checked: output lines in staged order, and the exceptions. */
export interface CommandResults {
  readonly lines: string[];
  readonly exceptions: NewException[];
}

/**
 * Read `outputs.jsonl` and `exceptions.jsonl` (undefined: the file was not written, as good as empty) against
 * the staged ids. Every staged item must appear exactly once in one of them; a line that breaks a rule throws
 * CommandOutputError naming the file, the line and the rule.
 */
export function readResults(
  processor: string,
  staged: readonly number[],
  outputs: string | undefined,
  exceptions: string | undefined,
): CommandResults {
  const known = new Set(staged);
  const seen = new Map<number, string>();
  const fail = (file: string, line: number, rule: string) =>
    new CommandOutputError({ processor, file, line, rule });
  const claim = (file: string, line: number, id: unknown) => {
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) throw fail(file, line, 'id must be an integer');
    if (!known.has(id)) throw fail(file, line, `id ${id} is not an item of ${WORK_FILES.inputs}`);
    const first = seen.get(id);
    if (first) throw fail(file, line, `id ${id} appears again (first at ${first})`);
    seen.set(id, `${file} line ${line}`);
    return id;
  };
  const byId = new Map<number, string>();
  eachRecord(outputs, WORK_FILES.outputs, ['id', 'output'], fail, (record, line) => {
    const id = claim(WORK_FILES.outputs, line, record.id);
    if (!('output' in record)) throw fail(WORK_FILES.outputs, line, 'output is missing');
    byId.set(id, JSON.stringify({ id, output: record.output }));
  });
  const excepted: NewException[] = [];
  eachRecord(exceptions, WORK_FILES.exceptions, ['id', 'kind', 'details'], fail, (record, line) => {
    const id = claim(WORK_FILES.exceptions, line, record.id);
    excepted.push({
      itemId: id,
      ...exceptionBody(record, (rule) => fail(WORK_FILES.exceptions, line, rule)),
    });
  });
  const missing = staged.find((id) => !seen.has(id));
  if (missing !== undefined)
    throw fail(
      `${WORK_FILES.outputs} and ${WORK_FILES.exceptions}`,
      0,
      `item ${missing} is in neither: every staged item needs an output or an exception`,
    );
  const lines = staged.flatMap((id) => byId.get(id) ?? []);
  return { lines, exceptions: excepted.sort((a, b) => a.itemId - b.itemId) };
}

type Fail = (file: string, line: number, rule: string) => Error;

/** Each non-blank line of a JSON Lines file as an object holding only `keys`, with its 1-based line number. */
function eachRecord(
  text: string | undefined,
  file: string,
  keys: readonly string[],
  fail: Fail,
  visit: (record: Record<string, unknown>, line: number) => void,
): void {
  if (text === undefined) return;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const raw = (lines[i] as string).trim();
    if (raw === '') continue;
    let record: unknown;
    try {
      record = JSON.parse(raw);
    } catch {
      throw fail(file, i + 1, 'must be one JSON object per line');
    }
    if (typeof record !== 'object' || record === null || Array.isArray(record))
      throw fail(file, i + 1, 'must be a JSON object');
    const extra = Object.keys(record).find((k) => !keys.includes(k));
    if (extra !== undefined)
      throw fail(file, i + 1, `key ${extra} is not allowed (allowed: ${keys.join(', ')})`);
    visit(record as Record<string, unknown>, i + 1);
  }
}

function exceptionBody(record: Record<string, unknown>, fail: (rule: string) => Error) {
  const { kind, details } = record;
  if (typeof kind !== 'string' || kind.length === 0 || kind.length > KIND_MAX)
    throw fail(`kind must be a string of 1-${KIND_MAX} characters`);
  if (details !== undefined && (typeof details !== 'object' || details === null || Array.isArray(details)))
    throw fail('details must be a JSON object');
  if (details !== undefined && Buffer.byteLength(JSON.stringify(details)) > DETAILS_MAX_BYTES)
    throw fail(`details must be at most ${DETAILS_MAX_BYTES} bytes of JSON`);
  return { kind, details: { ...(details as Record<string, unknown> | undefined) } };
}
