import type { RunOutcome } from '../commands/run-wait.ts';
import { formatCount, formatDuration, type Io, table } from '../output.ts';

/**
 * The demo's narration: numbered steps with the time since the start, so that a reader sees where the
 * minutes go, and the runs it collected for the closing table.
 */
export class Narrator {
  readonly runs: { label: string; outcome: RunOutcome }[] = [];
  readonly #began = Date.now();
  #step = 0;

  constructor(readonly io: Io) {}

  elapsed(): string {
    return `${((Date.now() - this.#began) / 1000).toFixed(1).padStart(5)} s`;
  }

  step(title: string): void {
    this.#step++;
    this.io.out(`\n[${this.elapsed()}] ${this.#step}. ${title}\n`);
  }

  say(text: string): void {
    this.io.out(`           ${text}\n`);
  }

  /** The command line a reader could type to do the same; the demo then runs it in-process. */
  command(args: readonly string[]): void {
    this.io.out(`           $ batchkeeper ${args.map(quote).join(' ')}\n`);
  }

  run(label: string, outcome: RunOutcome): void {
    this.runs.push({ label, outcome });
    const b = outcome.batches;
    this.say(
      `${outcome.status}: ${formatCount(b.succeeded)}/${formatCount(b.planned)} batches, ${formatCount(outcome.items.succeeded)} items, ` +
        `${formatCount(outcome.items.excepted)} exceptions in ${formatDuration(outcome.durationMs)} (run ${outcome.runId})`,
    );
  }

  summary(): string {
    const rows = this.runs.map(({ label, outcome: o }) => [
      label,
      o.input.mode,
      o.input.idStart !== undefined ? `${o.input.idStart}..${o.input.idEnd}` : '',
      o.batches.succeeded,
      o.items.succeeded,
      o.items.excepted,
      formatDuration(o.durationMs),
      o.status,
    ]);
    return table(['run', 'mode', 'ids', 'batches', 'items', 'exceptions', 'duration', 'status'], rows);
  }
}

const quote = (arg: string) => (/^[A-Za-z0-9_./:=@-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "'\\''")}'`);

/** Indent a block of command output under the narration. */
export const indent = (text: string): string =>
  text
    .trimEnd()
    .split('\n')
    .map((l) => `           ${l}`)
    .join('\n')
    .concat('\n');
