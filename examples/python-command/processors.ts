/**
 * The company-records processor as a project registers it: copy this folder into your project and name this
 * module in package.json (`"batchkeeper": { "processors": "company-records/processors.ts" }`), or export
 * `companyRecords` from your own processors module. `cwd` is relative to where the runner starts: the project
 * root in the local mode, the image's WORKDIR in a container.
 */
import { defineCommandProcessor, z } from 'batchkeeper';

export const companyRecords = defineCommandProcessor({
  name: 'company-records',
  version: '1',
  configSchema: z.strictObject({
    /** Set aside names whose form suffix (Kft., Bt., ...) is missing or not the registry number's form. */
    checkForm: z.boolean().default(true),
    /** Copy the address, with its spacing tidied, into the output. */
    keepAddress: z.boolean().default(true),
  }),
  command: ['python3', 'main.py'],
  cwd: 'company-records',
  timeoutMs: 5 * 60_000,
});
