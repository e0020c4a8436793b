import { PreflightFailedError } from '../errors.ts';

/** One answer of the preflight: yes or no, with what was seen. */
export interface Answer {
  readonly ok: boolean;
  readonly detail: string;
}

/** The five questions, answered before a batch is processed and recorded with its attempt. */
export type Preflight = {
  readonly ready?: Answer;
  readonly right?: Answer;
  readonly where?: Answer;
  readonly safe?: Answer;
  readonly valid?: Answer;
};

export type Question = keyof Preflight;

/**
 * The preflight said no to `question`: the error carries every answer given up to it, which the failed attempt
 * records.
 */
export function preflightFailed(
  batch: { jobId: string; start: number },
  question: Question,
  answers: Preflight,
): PreflightFailedError {
  const detail = answers[question]?.detail ?? 'no answer';
  return new PreflightFailedError({ jobId: batch.jobId, batchStart: batch.start, question, detail }, answers);
}

/** The answers to record with a failed attempt: those given before it failed, and those its error carries. */
export const answersOf = (e: unknown, given: Preflight): Preflight =>
  e instanceof PreflightFailedError ? { ...given, ...(e.answers as Preflight) } : given;
