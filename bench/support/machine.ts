import { readdirSync, readFileSync } from 'node:fs';
import { loadavg } from 'node:os';

/** Processes of this machine by what they are, leaving out this process and its children (our local engines). */
function others(): Record<string, number> {
  const kinds: Record<string, number> = {};
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = read(`/proc/${pid}/stat`);
    const cmd = read(`/proc/${pid}/cmdline`).replaceAll('\0', ' ');
    if (!stat || !cmd || Number(pid) === process.pid || ppidOf(stat) === process.pid) continue;
    const kind = /vitest/.test(cmd)
      ? 'vitest'
      : /\btsc\b/.test(cmd)
        ? 'tsc'
        : /java/.test(cmd)
          ? 'java'
          : /moto_server/.test(cmd)
            ? 'moto'
            : /cdk|esbuild/.test(cmd)
              ? 'cdk/esbuild'
              : undefined;
    if (kind) kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

/** The parent pid from /proc/<pid>/stat (the command may hold spaces, so count from the closing parenthesis). */
const ppidOf = (stat: string) => Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);

/** One line on how busy the machine is: load averages and the other heavy processes running. */
export function machineNote(): string {
  const [one, five] = loadavg();
  const busy = Object.entries(others())
    .map(([k, n]) => `${n} ${k}`)
    .join(', ');
  return `load ${one?.toFixed(1)} (1 min) ${five?.toFixed(1)} (5 min); other processes: ${busy || 'none of note'}`;
}

/** Resident memory of this process's direct children (DynamoDB Local, s3rver, moto), in bytes. */
export function childrenRss(): number {
  let total = 0;
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = read(`/proc/${pid}/stat`);
    if (!stat || ppidOf(stat) !== process.pid) continue;
    const kb = /VmRSS:\s+(\d+) kB/.exec(read(`/proc/${pid}/status`))?.[1];
    total += Number(kb ?? 0) * 1024;
  }
  return total;
}

/** Sample the peak RSS of this Node process (every 100 ms) and of its children (every second) until stop(). */
export function rssSampler() {
  let peak = process.memoryUsage().rss;
  let childPeak = childrenRss();
  const fast = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().rss);
  }, 100);
  const slow = setInterval(() => {
    childPeak = Math.max(childPeak, childrenRss());
  }, 1000);
  return {
    stop() {
      clearInterval(fast);
      clearInterval(slow);
      return { peak: Math.max(peak, process.memoryUsage().rss), childPeak };
    },
  };
}

/** Kernel clock ticks per second of /proc/<pid>/stat times (getconf CLK_TCK; 100 on Linux x86 and arm64). */
const TICKS = 100;

const engineOf = (cmd: string) =>
  /DynamoDBLocal|java/.test(cmd)
    ? 'DynamoDB Local (java)'
    : /S3RVER|s3rver/i.test(cmd)
      ? 's3rver (node)'
      : /moto/.test(cmd)
        ? 'moto (python)'
        : 'other child';

/** CPU seconds used so far by this Node process and by each of its children (by engine). */
export function cpuSeconds(): Record<string, number> {
  const { user, system } = process.cpuUsage();
  const out: Record<string, number> = { 'this Node process': (user + system) / 1e6 };
  for (const pid of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    const stat = read(`/proc/${pid}/stat`);
    if (!stat || ppidOf(stat) !== process.pid) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = Number(fields[11]) + Number(fields[12]);
    const engine = engineOf(read(`/proc/${pid}/cmdline`).replaceAll('\0', ' '));
    out[engine] = (out[engine] ?? 0) + ticks / TICKS;
  }
  return out;
}

/** CPU seconds spent between two cpuSeconds() readings. */
export function cpuBetween(
  before: Record<string, number>,
  after: Record<string, number>,
): Record<string, number> {
  return Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)]));
}
