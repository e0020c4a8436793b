import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { build, TEST_CONFIG } from './support.ts';

const run = promisify(execFile);

/**
 * W3005 ("DependsOn already enforced by a GetAtt") is how CDK renders a construct dependency on a role it also
 * references; it is noise, not a defect. Every other warning and every error fails the test.
 */
const IGNORED = ['W3005'];

/** The linter to run: `cfn-lint` on PATH unless CFN_LINT names another executable. */
const CFN_LINT = process.env.CFN_LINT ?? 'cfn-lint';

async function cfnLint(files: string[]): Promise<{ code: number; output: string }> {
  try {
    const { stdout, stderr } = await run(CFN_LINT, ['--ignore-checks', ...IGNORED, '--', ...files]);
    return { code: 0, output: stdout + stderr };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { code?: number | string; stdout?: string; stderr?: string };
    if (err.code === 'ENOENT') {
      throw new Error(
        `${CFN_LINT} is not on PATH: install cfn-lint (pip install cfn-lint); this test never skips`,
      );
    }
    return { code: Number(err.code), output: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

describe('synthesized templates', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'batchkeeper-cfn-lint-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('pass cfn-lint', async () => {
    const { app } = build(
      { ...TEST_CONFIG, processors: [...TEST_CONFIG.processors, { name: 'video', size: 'large' }] },
      outdir,
    );
    app.synth();
    const templates = readdirSync(outdir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(outdir, f));
    expect(templates.length).toBeGreaterThan(0);
    const { code, output } = await cfnLint(templates);
    expect(output).toBe('');
    expect(code).toBe(0);
  });

  it('pass cfn-lint with container flavors, their network and cluster', async () => {
    const dir = join(outdir, 'containers');
    const { app } = build(
      {
        ...TEST_CONFIG,
        containers: {
          flavors: ['fargate-small', 'fargate-xlarge'],
          image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/my-batches:v1' },
        },
      },
      dir,
    );
    app.synth();
    const templates = readdirSync(dir)
      .filter((f) => f.endsWith('.template.json'))
      .map((f) => join(dir, f));
    const { code, output } = await cfnLint(templates);
    expect(output).toBe('');
    expect(code).toBe(0);
  });
});
