import type { BatchScope } from '../model.ts';

/**
 * Where a batch's output goes: derived from the job and the range alone, so a retry overwrites it. Samples keep
 * theirs apart, per run.
 */
export const outputKeyOf = (jobId: string, scope: BatchScope, b: { start: number; end: number }) =>
  scope.kind === 'inventory'
    ? `outputs/${jobId}/${String(b.start).padStart(16, '0')}-${String(b.end).padStart(16, '0')}.jsonl`
    : `samples/${jobId}/${scope.runId}/${String(b.start).padStart(16, '0')}-${String(b.end).padStart(16, '0')}.jsonl`;

/** An output object's body: one JSON line per item, or nothing. */
export const jsonLines = (lines: readonly string[]): string =>
  lines.length > 0 ? `${lines.join('\n')}\n` : '';

/** The non-empty lines of a JSON Lines object. */
export const linesOf = (body: Uint8Array): string[] =>
  new TextDecoder().decode(body).split('\n').filter(Boolean);

/** The item id of an output line (`{"id":…,"output":…}`). */
export function idOfLine(line: string): number {
  return (JSON.parse(line) as { id: number }).id;
}
