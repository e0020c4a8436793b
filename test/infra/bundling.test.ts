import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { HANDLER_BUNDLING } from '../../infra/handler-function.ts';

const ERRORS = new URL('../../core/errors.ts', import.meta.url);

describe('handler bundling', () => {
  const outdir = mkdtempSync(join(tmpdir(), 'batchkeeper-bundle-'));
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  it('keeps the error class names that Step Functions matches on, even minified', async () => {
    // The same esbuild options NodejsFunction derives from HANDLER_BUNDLING.
    const outfile = join(outdir, 'errors.mjs');
    await build({
      entryPoints: [ERRORS.pathname],
      outfile,
      bundle: true,
      platform: 'node',
      format: HANDLER_BUNDLING.format,
      target: HANDLER_BUNDLING.target,
      mainFields: [...HANDLER_BUNDLING.mainFields],
      minify: HANDLER_BUNDLING.minify,
      keepNames: HANDLER_BUNDLING.keepNames,
      banner: { js: HANDLER_BUNDLING.banner },
      logLevel: 'silent',
    });
    const bundled = (await import(pathToFileURL(outfile).href)) as typeof import('../../core/errors.ts');
    expect(new bundled.RetryableError('throttled').name).toBe('RetryableError');
    expect(new bundled.ValidationError([{ field: 'jobId', rule: 'is required' }]).name).toBe(
      'ValidationError',
    );
    expect(
      new bundled.LeaseLostError({ jobId: 'j', batchStart: 1, token: 2, operation: 'commit' }).name,
    ).toBe('LeaseLostError');
  });
});
