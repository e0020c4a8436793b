import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { NodeCommandHost } from '../../../core/adapters/node-command-host.ts';

const root = mkdtempSync(join(tmpdir(), 'bk-command-host-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const launch = (host: NodeCommandHost, script: string, cwd: string, env: Record<string, string> = {}) =>
  host.start({ argv: ['sh', '-c', script], cwd, env, stderrTailBytes: 64 });

/** A process id that belonged to a process that has ended. */
function deadPid(): number {
  const child = spawnSync('sh', ['-c', 'echo $$'], { encoding: 'utf8' });
  return Number(child.stdout.trim());
}

/** Whether a process runs: not gone, and not a zombie waiting for a parent that does not reap it. */
function isRunning(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('NodeCommandHost', () => {
  it('runs a program in its work folder and reports its exit code and the tail of its stderr', async () => {
    const host = new NodeCommandHost({ root: join(root, 'a') });
    const dir = await host.createWorkDir();
    await host.writeFile(join(dir, 'in.txt'), 'hello');

    const exit = await launch(host, 'cat in.txt > out.txt; printf "%0100d" 0 >&2; echo END >&2; exit 3', dir)
      .exited;

    expect(exit).toEqual({ exitCode: 3, signal: null, stderrTail: `${'0'.repeat(60)}END\n` });
    expect(await host.readFile(join(dir, 'out.txt'))).toBe('hello');
    expect(await host.readFile(join(dir, 'missing.txt'))).toBeUndefined();
    await host.removeWorkDir(dir);
    expect(existsSync(dir)).toBe(false);
  });

  it('writes a file with the exact mode asked for', async () => {
    const host = new NodeCommandHost({ root: join(root, 'b') });
    const dir = await host.createWorkDir();

    await host.writeFile(join(dir, 'secret'), 'value', 0o600);

    expect(statSync(join(dir, 'secret')).mode & 0o777).toBe(0o600);
    expect(statSync(host.root).mode & 0o777).toBe(0o700);
  });

  it('passes on only PATH, HOME and the locale of its own environment, plus what it is given', async () => {
    const host = new NodeCommandHost({ root: join(root, 'c') });
    const dir = await host.createWorkDir();
    process.env.BK_TEST_LEAK = 'leak';
    try {
      await launch(host, 'env > env.txt', dir, { GIVEN: 'yes' }).exited;
    } finally {
      delete process.env.BK_TEST_LEAK;
    }

    const env = (await host.readFile(join(dir, 'env.txt'))) ?? '';
    expect(env).toContain('GIVEN=yes');
    expect(env).toContain('PATH=');
    expect(env).not.toContain('BK_TEST_LEAK');
    expect(env).not.toContain('AWS_');
  });

  it('kills the whole process group, including what the command started', async () => {
    const host = new NodeCommandHost({ root: join(root, 'd') });
    const dir = await host.createWorkDir();
    const running = launch(host, 'sleep 300 & echo $! > child.pid; wait', dir);
    let pid = '';
    while (!pid) pid = ((await host.readFile(join(dir, 'child.pid'))) ?? '').trim();

    running.kill();
    const exit = await running.exited;

    expect(exit.signal).toBe('SIGKILL');
    expect(isRunning(Number(pid))).toBe(false);
  });

  it('reports a program that cannot be started', async () => {
    const host = new NodeCommandHost({ root: join(root, 'e') });
    const dir = await host.createWorkDir();

    const exit = await host.start({ argv: ['no-such-program-bk'], cwd: dir, env: {}, stderrTailBytes: 64 })
      .exited;

    expect(exit.spawnError).toMatch(/ENOENT/);
  });

  it("removes the work folders of dead runners, and this process's own unknown ones, at its first folder", async () => {
    const at = join(root, 'f');
    const dead = join(at, `${deadPid()}-abc`);
    const mine = join(at, `${process.pid}-left`);
    const alive = join(at, `${process.ppid}-busy`);
    const other = join(at, 'not-a-work-folder');
    for (const d of [dead, mine, alive, other]) mkdirSync(d, { recursive: true });
    const host = new NodeCommandHost({ root: at });

    const fresh = await host.createWorkDir();

    expect(readdirSync(at).sort()).toEqual([fresh, alive, other].map((d) => d.slice(at.length + 1)).sort());
  });
});
