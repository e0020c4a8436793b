import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const EXAMPLE = fileURLToPath(new URL('../../../examples/python-command/', import.meta.url));

describe('examples/python-command', () => {
  it('passes its own Python tests (python3 -m unittest, standard library only)', () => {
    const run = spawnSync('python3', ['-m', 'unittest', 'discover', '-s', '.', '-v'], {
      cwd: EXAMPLE,
      encoding: 'utf8',
      // The shipped folder stays as shipped: no __pycache__ beside the scripts.
      env: { ...process.env, PYTHONDONTWRITEBYTECODE: '1' },
    });

    expect(run.error).toBeUndefined();
    expect(run.stderr).toMatch(/^Ran \d+ tests/m);
    expect(run.status, run.stderr).toBe(0);
    expect(run.stderr).toMatch(/\nOK\n?$/);
  });
});
