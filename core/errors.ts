/**
 * Every error batchkeeper raises. Error names are the contract with Step Functions (`ErrorEquals`) and with
 * the CLI's exit codes, so a class here is never renamed lightly: a test checks that each name used in
 * `statemachines/*.asl.json` is exported from this file.
 */

/** Registered (Symbol.for), so that every copy of this module shares it. */
const ERROR_CLASSES = Symbol.for('batchkeeper.errorClasses');

/** Base class: carries a context object that names what was being done. */
export abstract class BatchkeeperError extends Error {
  readonly context: Readonly<Record<string, unknown>>;
  /** The names of this error's classes, most derived first: what `instanceof` checks across copies. */
  readonly [ERROR_CLASSES]: readonly string[];
  constructor(message: string, context: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.context = context;
    this[ERROR_CLASSES] = classNames(new.target);
  }

  /**
   * `instanceof` holds for an error of the same class from another copy of batchkeeper too: a user's processors
   * module may import its own install, and an ItemRejectedError it throws must still set the item aside.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const names = (value as { [ERROR_CLASSES]?: unknown } | null | undefined)?.[ERROR_CLASSES];
    return Array.isArray(names) && names.includes(this.name);
  }
}

function classNames(target: abstract new (...args: never[]) => unknown): string[] {
  const names: string[] = [];
  for (let c: unknown = target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c))
    names.push((c as { name: string }).name);
  return names;
}

/** One rule broken by one field of an input. */
export interface Violation {
  readonly field: string;
  readonly rule: string;
}

/**
 * Bad input: an execution input, a CLI argument, a spec or a record read back. Raised before any write.
 * @example new ValidationError([{ field: 'idStart', rule: 'must be an integer >= 1' }])
 */
export class ValidationError extends BatchkeeperError {
  readonly violations: readonly Violation[];
  constructor(violations: readonly Violation[], options?: { cause?: unknown; what?: string }) {
    const text = violations.map((v) => `${v.field}: ${v.rule}`).join('; ');
    super(`invalid ${options?.what ?? 'input'}: ${text}`, { violations }, options);
    this.violations = violations;
  }
  /** The first field named, for callers that show one. */
  get field(): string {
    return this.violations[0]?.field ?? '';
  }
}

export class JobNotFoundError extends BatchkeeperError {
  constructor(ctx: { jobId: string }) {
    super(`job ${ctx.jobId} does not exist`, ctx);
  }
}

/** The same job id was created with a different spec. */
export class JobConflictError extends BatchkeeperError {
  constructor(ctx: {
    jobId: string;
    existingHash: string;
    requestedHash: string;
    differs?: readonly string[];
  }) {
    const what = ctx.differs?.length ? ctx.differs.join(', ') : `configHash ${ctx.existingHash.slice(0, 12)}`;
    super(`job ${ctx.jobId} exists with another spec (it differs in ${what})`, ctx);
  }
}

/** The job is being deleted: nothing new may be planned or acquired. */
export class JobDeletingError extends BatchkeeperError {
  constructor(ctx: { jobId: string }) {
    super(`job ${ctx.jobId} is being deleted: run jobs delete ${ctx.jobId} again to finish it`, ctx);
  }
}

/** Deleting a job while one of its batches is under a live lease, without force. */
export class JobBusyError extends BatchkeeperError {
  constructor(ctx: { jobId: string; batchStart: number; leaseExpiresAt: number }) {
    super(`job ${ctx.jobId} has a live lease on batch ${ctx.batchStart}; wait for it or force`, ctx);
  }
}

/** Deleting a job that other jobs depend on (they read its outputs or wait on it), without force. */
export class JobInUseError extends BatchkeeperError {
  constructor(ctx: { jobId: string; dependents: readonly string[] }) {
    const shown = ctx.dependents.slice(0, 10).join(', ');
    const more = ctx.dependents.length > 10 ? ` and ${ctx.dependents.length - 10} more` : '';
    super(
      `job ${ctx.jobId} is a producer of job(s) ${shown}${more}: delete them first, or force (they will then wait forever)`,
      ctx,
    );
  }
}

export class DatasetNotFoundError extends BatchkeeperError {
  constructor(ctx: { datasetId: string }) {
    super(`data set ${ctx.datasetId} does not exist`, ctx);
  }
}

/** The same data set id was created with another source or secret. */
export class DatasetConflictError extends BatchkeeperError {
  constructor(ctx: { datasetId: string; field: string }) {
    super(`data set ${ctx.datasetId} exists with another ${ctx.field}`, ctx);
  }
}

export class BatchNotFoundError extends BatchkeeperError {
  constructor(ctx: { jobId: string; batchStart: number; scope?: string }) {
    super(`job ${ctx.jobId} has no batch starting at ${ctx.batchStart}`, ctx);
  }
}

/** Another owner holds a live lease on the batch. */
export class LeaseBusyError extends BatchkeeperError {
  constructor(ctx: { jobId: string; batchStart: number; leaseOwner: string; leaseExpiresAt: number }) {
    super(`batch ${ctx.batchStart} of job ${ctx.jobId} is leased by ${ctx.leaseOwner}`, ctx);
  }
}

/** Fencing: the caller's token is no longer current (expired or taken over). Nothing was written. */
export class LeaseLostError extends BatchkeeperError {
  constructor(ctx: { jobId: string; batchStart: number; token: number; operation: string }) {
    super(
      `lease on batch ${ctx.batchStart} of job ${ctx.jobId} lost (token ${ctx.token}, ${ctx.operation})`,
      ctx,
    );
  }
}

/** Optimistic concurrency gave up after its retries (many planners racing on one job). */
export class ContentionError extends BatchkeeperError {
  constructor(ctx: { jobId: string; operation: string; attempts: number }) {
    super(`gave up ${ctx.operation} on job ${ctx.jobId} after ${ctx.attempts} conflicting attempts`, ctx);
  }
}

export class ExceptionNotFoundError extends BatchkeeperError {
  constructor(ctx: { jobId: string; exceptionId: string }) {
    super(`job ${ctx.jobId} has no exception ${ctx.exceptionId}`, ctx);
  }
}

export class UnknownProcessorError extends BatchkeeperError {
  constructor(ctx: { name: string; known: readonly string[] }) {
    super(`no processor named ${ctx.name} (known: ${ctx.known.join(', ') || 'none'})`, ctx);
  }
}

/** A user's processors module could not be built or loaded: its file, and what went wrong there. */
export class ProcessorModuleError extends BatchkeeperError {
  constructor(ctx: { module: string; reason: string }, options?: { cause?: unknown }) {
    super(`processors module ${ctx.module}: ${ctx.reason}`, ctx, options);
  }
}

/** A processor asks for the batch to be tried again (throttling, a flaky upstream). */
export class RetryableError extends BatchkeeperError {
  constructor(message: string, options?: { cause?: unknown; context?: Record<string, unknown> }) {
    super(message, options?.context ?? {}, options);
  }
}

/**
 * A command processor's command failed: it exited with a code other than 0 or 2, was ended by a signal, or was
 * killed at its timeout. The tail of its stderr (the secret's value redacted) is kept with the attempt.
 */
export class CommandFailedError extends BatchkeeperError {
  constructor(ctx: {
    processor: string;
    exitCode: number | null;
    signal: string | null;
    reason: string;
    stderrTail: string;
  }) {
    const tail = ctx.stderrTail ? `; stderr ends with:\n${ctx.stderrTail}` : '; stderr was empty';
    super(`command of processor ${ctx.processor} ${ctx.reason}${tail}`, ctx);
  }
}

/**
 * A command processor's command exited 0 but one of its result files breaks the contract
 * (docs/command-processors.md): the file, the line (0 when the rule is about the file as a whole) and the rule.
 */
export class CommandOutputError extends BatchkeeperError {
  constructor(ctx: { processor: string; file: string; line: number; rule: string }) {
    const where = ctx.line > 0 ? `${ctx.file} line ${ctx.line}` : ctx.file;
    super(`command of processor ${ctx.processor} broke the file contract: ${where}: ${ctx.rule}`, ctx);
  }
}

/** A processor sets one item aside for human review; the batch goes on. */
export class ItemRejectedError extends BatchkeeperError {
  readonly kind: string;
  readonly details: Readonly<Record<string, unknown>>;
  constructor(kind: string, details: Record<string, unknown> = {}, options?: { cause?: unknown }) {
    super(`item rejected: ${kind}`, { kind, details }, options);
    this.kind = kind;
    this.details = details;
  }
}

/** Preflight answers by question (core/processing/preflight.ts). */
export type PreflightAnswers = { readonly [question: string]: { ok: boolean; detail: string } | undefined };

/** A preflight question answered no: the batch cannot be processed as it stands. */
export class PreflightFailedError extends BatchkeeperError {
  /** Every answer given up to the failed question, as the attempt records them. */
  readonly answers: PreflightAnswers;
  constructor(
    ctx: { jobId: string; batchStart: number; question: string; detail: string },
    answers: PreflightAnswers = {},
  ) {
    super(`preflight ${ctx.question} failed for batch ${ctx.batchStart}: ${ctx.detail}`, ctx);
    this.answers = answers;
  }
}

/** The data set's secret could not be resolved or read. The message never carries the value. */
export class SecretAccessError extends BatchkeeperError {
  constructor(ctx: { secretArn: string; reason: string }, options?: { cause?: unknown }) {
    super(`secret ${ctx.secretArn} is not accessible: ${ctx.reason}`, ctx, options);
  }
}

/** An item could not be read from storage (missing object, bad JSON line). */
export class ItemLoadError extends BatchkeeperError {
  constructor(ctx: { datasetId: string; id: number; reason: string }, options?: { cause?: unknown }) {
    super(`item ${ctx.id} of data set ${ctx.datasetId} cannot be loaded: ${ctx.reason}`, ctx, options);
  }
}

/** Raised by the fault-injection hook in tests and chaos runs: a simulated crash. */
export class InjectedFaultError extends BatchkeeperError {
  constructor(ctx: { point: string }) {
    super(`injected fault at ${ctx.point}`, ctx);
  }
}

/** True when a thrown value is one of ours (by name, so that it survives serialisation). */
export function isBatchkeeperError(e: unknown): e is BatchkeeperError {
  return e instanceof BatchkeeperError;
}

/** Raised by the state machine's last state when a run ended with failed batches (Finalize has reported). */
export class BatchesFailedError extends BatchkeeperError {
  constructor(ctx: { jobId: string; runId: string; failed: number }) {
    super(`run ${ctx.runId} of job ${ctx.jobId} ended with ${ctx.failed} failed batch(es)`, ctx);
  }
}

/** The data set is being deleted: nothing may register into it or read it. */
export class DatasetDeletingError extends BatchkeeperError {
  constructor(ctx: { datasetId: string }) {
    super(
      `data set ${ctx.datasetId} is being deleted: run datasets delete ${ctx.datasetId} again to finish it`,
      ctx,
    );
  }
}

/** Deleting a data set that jobs still read, without force. */
export class DatasetInUseError extends BatchkeeperError {
  constructor(ctx: { datasetId: string; jobIds: readonly string[] }) {
    const shown = ctx.jobIds.slice(0, 10).join(', ');
    const more = ctx.jobIds.length > 10 ? ` and ${ctx.jobIds.length - 10} more` : '';
    super(
      `data set ${ctx.datasetId} is used by job(s) ${shown}${more}: delete them first, or force (their runs will then fail)`,
      ctx,
    );
  }
}
