import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { appendFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ExecutionHistory, type HistoryEvent, newLane } from './sfn-history.ts';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';
export type ClosedStatus = Exclude<ExecutionStatus, 'RUNNING'>;

/** One execution of the local Step Functions engine: what DescribeExecution and GetExecutionHistory show. */
export interface ExecutionRecord {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  status: ExecutionStatus;
  /** Epoch milliseconds. */
  readonly startDate: number;
  stopDate?: number;
  /** The input as given to StartExecution: JSON text (the endpoint refuses any other). */
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
  readonly history: HistoryEvent[];
}

export interface Closing {
  readonly status: ClosedStatus;
  readonly output?: string;
  readonly error?: string;
  readonly cause?: string;
}

/** The history event that closes an execution in each status. */
const CLOSING_EVENT: Readonly<Record<ClosedStatus, string>> = {
  SUCCEEDED: 'ExecutionSucceeded',
  FAILED: 'ExecutionFailed',
  TIMED_OUT: 'ExecutionTimedOut',
  ABORTED: 'ExecutionAborted',
};

const STATUSES = ['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'] as const;

/** Records read back from disk are validated once, at the edge. */
const StoredRecord = z.object({
  executionArn: z.string(),
  stateMachineArn: z.string(),
  name: z.string(),
  status: z.enum(STATUSES),
  startDate: z.number(),
  stopDate: z.number().optional(),
  input: z.string(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});
const StoredEvent = z.looseObject({
  timestamp: z.number(),
  type: z.string(),
  id: z.number(),
  previousEventId: z.number(),
});

/** Running executions are written at most this often; new and closed ones at once. */
const SAVE_EVERY_MS = 250;

/**
 * Executions of the local engine, in memory, and on disk under `dir` when given, so that a restarted local
 * mode still describes them. Executions a killed process left RUNNING are ABORTED on open.
 * @example const store = ExecutionStore.open(join(dataDir, 'executions'));
 */
export class ExecutionStore {
  readonly #records = new Map<string, ExecutionRecord>();
  readonly #dirty = new Set<ExecutionRecord>();
  readonly #files: ExecutionFiles | undefined;
  #writing: Promise<void> = Promise.resolve();
  #timer: NodeJS.Timeout | undefined;

  private constructor(dir: string | undefined) {
    this.#files = dir === undefined ? undefined : new ExecutionFiles(dir);
  }

  static open(dir?: string, now = Date.now()): ExecutionStore {
    const store = new ExecutionStore(dir);
    for (const record of store.#files?.load() ?? []) {
      store.#records.set(record.executionArn, record);
      const cause = 'the local mode stopped while this execution was running';
      if (record.status === 'RUNNING') store.close(record, { status: 'ABORTED', cause }, now);
    }
    return store;
  }

  get(executionArn: string): ExecutionRecord | undefined {
    return this.#records.get(executionArn);
  }

  /** Executions of one state machine, newest first. */
  list(stateMachineArn: string, status?: ExecutionStatus): ExecutionRecord[] {
    return [...this.#records.values()]
      .filter((r) => r.stateMachineArn === stateMachineArn && (status === undefined || r.status === status))
      .sort((a, b) => b.startDate - a.startDate || (a.name < b.name ? 1 : -1));
  }

  create(record: Omit<ExecutionRecord, 'status' | 'history'>): ExecutionRecord {
    const created: ExecutionRecord = { ...record, status: 'RUNNING', history: [] };
    this.#records.set(created.executionArn, created);
    this.changed(created);
    return created;
  }

  /** The history of a record, whose appends are saved with it. */
  historyOf(record: ExecutionRecord): ExecutionHistory {
    return new ExecutionHistory(
      record.history,
      () => this.changed(record),
      () => record.status === 'RUNNING',
    );
  }

  /** Close a RUNNING execution with its final event; a closed one stays as it is. Returns whether it closed. */
  close(record: ExecutionRecord, closing: Closing, now = Date.now()): boolean {
    if (record.status !== 'RUNNING') return false;
    const last = record.history.at(-1)?.id ?? 0;
    const details =
      closing.status === 'SUCCEEDED'
        ? { output: closing.output ?? 'null', outputDetails: { truncated: false } }
        : {
            ...(closing.error === undefined ? {} : { error: closing.error }),
            ...(closing.cause === undefined ? {} : { cause: closing.cause }),
          };
    this.historyOf(record).append(newLane({ last }), CLOSING_EVENT[closing.status], details, now);
    Object.assign(record, { ...closing, stopDate: now });
    this.changed(record);
    return true;
  }

  /** Mark a record for saving; closed records are saved without waiting for the timer. */
  changed(record: ExecutionRecord): void {
    if (this.#files === undefined) return;
    this.#dirty.add(record);
    if (record.status !== 'RUNNING' || record.history.length <= 1) {
      void this.flush();
      return;
    }
    this.#timer ??= setTimeout(() => {
      this.#timer = undefined;
      void this.flush();
    }, SAVE_EVERY_MS).unref();
  }

  /** Write every changed record; resolves once they are on disk. */
  flush(): Promise<void> {
    const files = this.#files;
    if (files === undefined) return Promise.resolve();
    const batch = [...this.#dirty];
    this.#dirty.clear();
    // One writer at a time, so that an older snapshot never lands after a newer one.
    this.#writing = this.#writing.then(async () => {
      for (const record of batch) {
        // A record that cannot be written stays in memory: the engine goes on, the operator is told.
        await files.save(record).catch((error: Error) => {
          process.emitWarning(
            `could not save execution ${record.executionArn}: ${error.message}`,
            'LocalModeWarning',
          );
        });
      }
    });
    return this.#writing;
  }

  /** Stop the timer and write what is left. */
  async shutdown(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}

/**
 * One execution on disk: `<id>.events.jsonl`, its history, only ever appended (a long run does not rewrite
 * thousands of events), and `<id>.json`, the rest of the record, replaced whole through a rename.
 */
class ExecutionFiles {
  readonly #dir: string;
  /** How many events of each record are on disk already. */
  readonly #saved = new WeakMap<ExecutionRecord, number>();

  constructor(dir: string) {
    this.#dir = dir;
    mkdirSync(dir, { recursive: true });
  }

  load(): ExecutionRecord[] {
    const records: ExecutionRecord[] = [];
    for (const file of readdirSync(this.#dir).filter((f) => f.endsWith('.json'))) {
      const header = StoredRecord.safeParse(readJson(join(this.#dir, file)));
      if (!header.success) continue;
      const history = readEvents(join(this.#dir, file.replace(/\.json$/, '.events.jsonl')));
      const record: ExecutionRecord = { ...header.data, history };
      this.#saved.set(record, history.length);
      records.push(record);
    }
    return records;
  }

  async save(record: ExecutionRecord): Promise<void> {
    const base = join(this.#dir, createHash('sha256').update(record.executionArn).digest('hex').slice(0, 32));
    const saved = this.#saved.get(record) ?? 0;
    const fresh = record.history.slice(saved);
    // Events first: a header that says closed always has its closing event on disk.
    if (fresh.length > 0) {
      await appendFile(`${base}.events.jsonl`, `${fresh.map((e) => JSON.stringify(e)).join('\n')}\n`);
      this.#saved.set(record, saved + fresh.length);
    }
    const { history: _history, ...header } = record;
    await writeFile(`${base}.json.${process.pid}.tmp`, JSON.stringify(header));
    await rename(`${base}.json.${process.pid}.tmp`, `${base}.json`);
  }
}

function readJson(file: string): unknown {
  return existsSync(file) ? parseJson(readFileSync(file, 'utf8')) : undefined;
}

/**
 * The events of a history file, up to the first line a crash cut short; the file is cut there too, so that
 * what is appended next starts on a line of its own.
 */
function readEvents(file: string): HistoryEvent[] {
  if (!existsSync(file)) return [];
  const lines = readFileSync(file, 'utf8').split('\n');
  const events: HistoryEvent[] = [];
  for (const line of lines) {
    const parsed = StoredEvent.safeParse(parseJson(line));
    if (!parsed.success) break;
    events.push(parsed.data as HistoryEvent);
  }
  const whole = events.length === lines.length - 1 && lines.at(-1) === '';
  if (!whole) writeFileSync(file, events.map((e) => `${JSON.stringify(e)}\n`).join(''));
  return events;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
