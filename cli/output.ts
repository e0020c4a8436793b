/**
 * Everything the CLI writes goes through an Io, so that the unit tests can run `main` without a terminal and
 * the demo can reuse the commands with its own progress lines.
 */
export interface Io {
  out(text: string): void;
  err(text: string): void;
  /** Whether stderr is a terminal: the progress bar redraws one line there and prints lines elsewhere. */
  readonly errIsTty: boolean;
}

export const processIo: Io = {
  out: (text) => process.stdout.write(text),
  err: (text) => process.stderr.write(text),
  errIsTty: process.stderr.isTTY === true,
};

/** An Io that keeps what was written, for tests and for capturing a command's text. */
export function memoryIo(): Io & { readonly stdout: string; readonly stderr: string } {
  let stdout = '';
  let stderr = '';
  return {
    out: (text) => {
      stdout += text;
    },
    err: (text) => {
      stderr += text;
    },
    errIsTty: false,
    get stdout() {
      return stdout;
    },
    get stderr() {
      return stderr;
    },
  };
}

/** One JSON document on one line: the `--json` contract of every command. */
export const jsonLine = (value: unknown): string => `${JSON.stringify(value)}\n`;

/**
 * A plain-text table with a header row; columns are as wide as their widest cell, numbers align right.
 * @example table(['mode', 'items'], [['incremental', 100000]])
 */
export function table(header: readonly string[], rows: readonly (readonly unknown[])[]): string {
  if (rows.length === 0) return '(none)\n';
  const cells = [header.map(String), ...rows.map((r) => r.map(cell))];
  const numeric = header.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number'));
  const widths = header.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  const line = (r: readonly string[]) =>
    r
      .map((c, i) => (numeric[i] ? c.padStart(widths[i] ?? 0) : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${cells.map(line).join('\n')}\n`;
}

function cell(value: unknown): string {
  if (value === undefined || value === null) return '-';
  if (typeof value === 'number') return formatCount(value);
  if (typeof value === 'boolean') return value ? 'yes' : 'no';
  return String(value);
}

/** 100000 -> `100,000`: counts read at a glance. */
export const formatCount = (n: number): string =>
  Number.isInteger(n) ? n.toLocaleString('en-US') : n.toFixed(1);

/** Milliseconds as `850 ms`, `12.3 s` or `2 min 05 s`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return '-';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const s = Math.round(ms / 1000);
  return `${Math.floor(s / 60)} min ${String(s % 60).padStart(2, '0')} s`;
}

/** `key  value` lines, keys padded to one width; undefined values are left out. */
export function fields(pairs: readonly (readonly [string, unknown])[]): string {
  const shown = pairs.filter(([, v]) => v !== undefined);
  const width = Math.max(0, ...shown.map(([k]) => k.length));
  return shown
    .map(([k, v]) => `${k.padEnd(width)}  ${typeof v === 'object' ? JSON.stringify(v) : cell(v)}\n`)
    .join('');
}

/** Progress of a run: batches done and failed out of those planned. */
export interface Progress {
  readonly planned?: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly elapsedMs: number;
}

const BAR_WIDTH = 30;

/** `[#########.....] 30/100 batches, 2 failed, 4.2 s` */
export function progressLine(label: string, p: Progress): string {
  const done = p.succeeded + p.failed;
  const total = p.planned ?? 0;
  const filled = total > 0 ? Math.min(BAR_WIDTH, Math.round((done / total) * BAR_WIDTH)) : 0;
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const of = p.planned === undefined ? 'planning' : `${formatCount(done)}/${formatCount(total)} batches`;
  return `${label} ${bar} ${of}, ${formatCount(p.failed)} failed, ${formatDuration(p.elapsedMs)}`;
}

/**
 * A progress display on stderr: on a terminal one line redrawn in place; elsewhere (CI, tests, pipes) a line
 * when the counts changed, at most every `everyMs`, so that logs stay readable.
 */
export function progressReporter(io: Io, label: string, everyMs = 2_000) {
  let shown = '';
  let latest: Progress | undefined;
  let lastAt = 0;
  const key = (p: Progress) => `${p.planned}/${p.succeeded}/${p.failed}`;
  return {
    update(p: Progress) {
      latest = p;
      if (io.errIsTty) {
        io.err(`\r${progressLine(label, p)}\u001b[K`);
        shown = key(p);
      } else if (key(p) !== shown && Date.now() - lastAt >= everyMs) {
        io.err(`${progressLine(label, p)}\n`);
        shown = key(p);
        lastAt = Date.now();
      }
    },
    /** The final counts, if they were not shown yet, and the end of the redrawn line. */
    done() {
      if (io.errIsTty) {
        if (latest) io.err('\n');
      } else if (latest && key(latest) !== shown) {
        io.err(`${progressLine(label, latest)}\n`);
      }
    },
  };
}
