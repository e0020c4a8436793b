import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { closest, editDistance } from '../../../cli/commands/args.ts';
import { COMMANDS, lookup } from '../../../cli/commands/index.ts';
import { main } from '../../../cli/commands/main.ts';
import { memoryIo } from '../../../cli/output.ts';
import { findPackageInfo, PackageInfoError, packageInfo } from '../../../cli/package-info.ts';

async function cli(...argv: string[]) {
  const io = memoryIo();
  const code = await main(argv, io);
  return { code, stdout: io.stdout, stderr: io.stderr };
}

const temps: string[] = [];
const tempDir = () => {
  const dir = mkdtempSync(join(tmpdir(), 'batchkeeper-package-info-'));
  temps.push(dir);
  return dir;
};
afterAll(() => {
  for (const dir of temps) rmSync(dir, { recursive: true, force: true });
});

const root = new URL('../../../', import.meta.url);
const manifest = JSON.parse(readFileSync(new URL('package.json', root), 'utf8')) as { version: string };

describe('batchkeeper --version', () => {
  it.each([['--version'], ['-V']])('%s prints the version of package.json, exit 0', async (flag) => {
    const { code, stdout, stderr } = await cli(flag);
    expect(code).toBe(0);
    expect(stdout).toBe(`batchkeeper ${manifest.version}\n`);
    expect(stderr).toBe('');
  });

  it('finds package.json from the source tree and from the compiled tree alike', () => {
    expect(packageInfo()).toMatchObject({
      name: 'batchkeeper',
      version: manifest.version,
      root: fileURLToPath(root).replace(/\/$/, ''),
    });
    // Only the folder of the module matters: neither file needs to exist.
    for (const module of ['cli/package-info.ts', 'dist/cli/package-info.js', 'dist/cli/commands/main.js'])
      expect(findPackageInfo(new URL(module, root)).version).toBe(manifest.version);
  });

  it('passes by the package.json of another package on the way up', () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'dist', 'cli', 'commands'), { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: 'batchkeeper', version: '9.8.7' }));
    writeFileSync(join(dir, 'dist', 'package.json'), JSON.stringify({ name: 'other', version: '1.0.0' }));
    writeFileSync(join(dir, 'dist', 'cli', 'package.json'), '{not json');
    const from = pathToFileURL(join(dir, 'dist', 'cli', 'commands', 'main.js'));
    expect(findPackageInfo(from)).toMatchObject({ name: 'batchkeeper', version: '9.8.7', root: dir });
  });

  it('is a typed error when no package.json of batchkeeper is above', () => {
    const dir = tempDir();
    // The temp folder is outside the repository, so the walk reaches the file system's root.
    expect(() => findPackageInfo(pathToFileURL(join(dir, 'x.js')))).toThrow(PackageInfoError);
  });
});

describe('batchkeeper help', () => {
  it.each([
    [['help'], ['--help']],
    [['help'], ['-h']],
    [
      ['help', 'jobs'],
      ['jobs', '--help'],
    ],
    [
      ['help', 'jobs', 'create'],
      ['jobs', 'create', '--help'],
    ],
    [
      ['help', 'run'],
      ['run', '--help'],
    ],
    [
      ['help', 'local', 'up'],
      ['local', 'up', '--help'],
    ],
    [
      ['help', 'exceptions', 'requeue', '--json'],
      ['exceptions', 'requeue', '--help'],
    ],
  ])('%j prints what %j prints, exit 0', async (asked, flagged) => {
    const viaHelp = await cli(...asked);
    const viaFlag = await cli(...flagged);
    expect(viaHelp).toEqual({ code: 0, stdout: viaFlag.stdout, stderr: '' });
    expect(viaFlag.code).toBe(0);
    expect(viaHelp.stdout).toMatch(/^usage: batchkeeper/);
  });

  it('answers help for every command', async () => {
    for (const c of COMMANDS) {
      const { code, stdout } = await cli('help', ...c.words);
      expect(code).toBe(0);
      expect(stdout).toContain(`usage: batchkeeper ${c.words.join(' ')}`);
    }
  });

  it('is listed in the overview, and --version next to the usage', async () => {
    const { stdout } = await cli('--help');
    expect(stdout).toContain('batchkeeper help [<command>]');
    expect(stdout).toContain('batchkeeper --version');
  });

  it('answers through lookup without running anything', () => {
    expect(lookup(['help', 'jobs'])).toMatchObject({
      kind: 'help',
      text: expect.stringContaining('jobs list'),
    });
  });
});

/** [argv, the whole first line of stderr]: each is a usage error, exit 2. */
const SUGGESTIONS: [string[], string][] = [
  [['jbos', 'list'], 'error: unknown command "jbos", did you mean "jobs list"?'],
  [['jobs', 'lst'], 'error: unknown command "jobs lst", did you mean "jobs list"?'],
  [['jobs', 'ls'], 'error: unknown command "jobs ls", did you mean "jobs list"?'],
  [['lcoal', 'up'], 'error: unknown command "lcoal", did you mean "local up"?'],
  [['jbos', 'lst'], 'error: unknown command "jbos", did you mean "jobs list"?'],
  [['exceptons'], 'error: unknown command "exceptons", did you mean "exceptions"?'],
  [['exc', 'requeue', 'j1'], 'error: unknown command "exc", did you mean "exceptions requeue"?'],
  [['rnu', 'j1'], 'error: unknown command "rnu", did you mean "run"?'],
  [['diagnsoe', 'j1', '1'], 'error: unknown command "diagnsoe", did you mean "diagnose"?'],
  [['hlep'], 'error: unknown command "hlep", did you mean "help"?'],
  [['help', 'jbos'], 'error: unknown command "jbos", did you mean "help jobs"?'],
  [['help', 'jobs', 'craete'], 'error: unknown command "jobs craete", did you mean "help jobs create"?'],
  [['jobs', 'list', '--jsno'], 'error: --jsno: unknown flag, did you mean "--json"?'],
  [
    ['jobs', 'create', 'j1', '--dataset', 'd1', '--processor', 'p', '--batch-szie=5'],
    'error: --batch-szie: unknown flag, did you mean "--batch-size"?',
  ],
  [['run', 'j1', '--retry-fail'], 'error: --retry-fail: unknown flag, did you mean "--retry-failed"?'],
  [['xyzzyq'], 'error: unknown command "xyzzyq"'],
  [['xyzzyq', 'list'], 'error: unknown command "xyzzyq"'],
  [['jobs', 'xyzzyq'], 'error: unknown command "jobs xyzzyq"'],
  [['local', 'zz'], 'error: unknown command "local zz"'],
  [['help', 'xyzzyq'], 'error: unknown command "xyzzyq"'],
  [['jobs', 'list', '--xyzzyq'], 'error: --xyzzyq: unknown flag'],
  [['help', 'run', 'j1'], 'error: unexpected argument "j1"'],
  [['help', '--bogus'], 'error: --bogus: unknown flag'],
];

describe('did you mean', () => {
  it.each(SUGGESTIONS)('refuses %j with exit 2: %s', async (argv, line) => {
    const { code, stdout, stderr } = await cli(...argv);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr.split('\n')[0]).toBe(line);
    expect(stderr).toContain('usage: batchkeeper');
  });

  it('carries the suggestion into the --json error', async () => {
    const { code, stderr } = await cli('jbos', 'list', '--json');
    expect(code).toBe(2);
    const doc = JSON.parse(stderr) as { error: Record<string, unknown> };
    expect(doc.error).toMatchObject({
      name: 'UsageError',
      exitCode: 2,
      message: 'unknown command "jbos", did you mean "jobs list"?',
    });
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('jbos', 'jobs')).toBe(1);
    expect(editDistance('lcoal', 'local')).toBe(1);
    expect(editDistance('lst', 'list')).toBe(1);
    expect(editDistance('', 'run')).toBe(3);
    expect(editDistance('kitten', 'sitting')).toBe(3);
  });

  it('prefers the fewest edits and suggests nothing far-fetched', () => {
    expect(closest('show', ['list', 'show'])).toBe('show');
    expect(closest('shw', ['list', 'show'])).toBe('show');
    expect(closest('exc', ['datasets', 'exceptions'])).toBe('exceptions');
    expect(closest('zz', ['up', 'down'])).toBeUndefined();
    expect(closest('xyzzyq', ['jobs', 'runs', 'run', 'help'])).toBeUndefined();
  });
});
