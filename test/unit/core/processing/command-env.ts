import { z } from 'zod';
import type { BatchDescriptor } from '../../../../core/processing/command-files.ts';
import { DESCRIPTOR_ENV } from '../../../../core/processors/command-spec.ts';
import { defineCommandProcessor } from '../../../../core/processors/define-command-processor.ts';
import {
  FakeCommandHost,
  type FakeCommandRun,
  type FakeCommandScript,
} from '../../../support/fakes/fake-command-host.ts';
import { batchEnv } from './batch-env.ts';

export const ARN = 'arn:aws:secretsmanager:us-east-1:123456789012:secret:ds-creds-AbCdEf';
export const SECRET = 's3cr3t-value-of-the-data-set';

/** A command processor `cmd` over records `{ n }`, with a tag in its config. */
export const commandProcessor = (o: { secret?: 'file' | 'none'; timeoutMs?: number; maxN?: number } = {}) =>
  defineCommandProcessor({
    name: 'cmd',
    version: '1',
    configSchema: z.strictObject({ tag: z.string().default('a') }),
    itemSchema: z.object({
      n: z
        .number()
        .int()
        .max(o.maxN ?? Number.MAX_SAFE_INTEGER),
    }),
    secret: o.secret,
    timeoutMs: o.timeoutMs,
    command: ['python3', 'main.py'],
    cwd: '/opt/processor',
    env: { MODE: 'test' },
  });

/** The descriptor and the staged items, as the command reads them. */
export function batchOf(run: FakeCommandRun) {
  const descriptor = JSON.parse(
    run.read(run.launch.env[DESCRIPTOR_ENV] as string) as string,
  ) as BatchDescriptor;
  const items = (run.read(descriptor.inputs) ?? '')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as { id: number; item: { n: number } });
  return { descriptor, items };
}

/** A well-behaved command: even n gives an output, odd n an exception of kind `odd`. */
export const evenOdd: FakeCommandScript = (run) => {
  const { descriptor, items } = batchOf(run);
  const outputs = items
    .filter((i) => i.item.n % 2 === 0)
    .map((i) => ({ id: i.id, output: { half: i.item.n / 2 } }));
  const odd = items
    .filter((i) => i.item.n % 2 === 1)
    .map((i) => ({ id: i.id, kind: 'odd', details: { n: i.item.n } }));
  run.write(descriptor.outputs, outputs.map((o) => JSON.stringify(o)).join('\n'));
  run.write(descriptor.exceptions, `${odd.map((o) => JSON.stringify(o)).join('\n')}\n`);
  return { exitCode: 0 };
};

/** Job `j` over `ds` (records `{ n: i }`, 10 per batch) with the command processor, and its fake host. */
export async function commandEnv(
  script: FakeCommandScript,
  o: {
    secret?: 'file' | 'none';
    secretArn?: string;
    timeoutMs?: number;
    leaseSeconds?: number;
    maxN?: number;
  } = {},
) {
  const host = new FakeCommandHost(script);
  const env = await batchEnv({
    processor: 'cmd',
    processors: [commandProcessor(o)],
    commands: host,
    secretArn: o.secretArn,
    secrets: { [ARN]: SECRET },
    leaseSeconds: o.leaseSeconds,
  });
  return { ...env, host };
}
