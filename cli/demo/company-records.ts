import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { defineCommandProcessor } from '../../core/processors/define-command-processor.ts';

/** The example command processor's folder (examples/python-command, shipped in the package). */
export const EXAMPLE_DIR = fileURLToPath(new URL('../../examples/python-command/', import.meta.url));

/**
 * The company-records processor of examples/python-command/processors.ts, as the command demo registers it: the
 * same command and config, with `cwd` made absolute so that the demo runs from any directory.
 */
export const companyRecords = defineCommandProcessor({
  name: 'company-records',
  version: '1',
  configSchema: z.strictObject({
    checkForm: z.boolean().default(true),
    keepAddress: z.boolean().default(true),
  }),
  command: ['python3', 'main.py'],
  cwd: EXAMPLE_DIR,
  // The shipped folder stays as shipped: no __pycache__ beside the scripts.
  env: { PYTHONDONTWRITEBYTECODE: '1' },
  timeoutMs: 5 * 60_000,
});
