import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.ts';
import { configHash, effectiveHash } from '../../../core/jobs/config-hash.ts';
import { createJob } from '../../../core/jobs/jobs.ts';
import { testProcessor } from '../../../core/processing/test-processor.ts';
import { DEFAULT_COMMAND_TIMEOUT_MS } from '../../../core/processors/command-spec.ts';
import {
  defineCommandProcessor,
  isCommandProcessor,
} from '../../../core/processors/define-command-processor.ts';
import { isProcessor } from '../../../core/processors/define-processor.ts';
import { createRegistry, registryFromModule } from '../../../core/processors/registry.ts';
import { fakeDeps } from '../../support/fakes/fake-deps.ts';

const define = (o: Partial<Parameters<typeof defineCommandProcessor>[0]> = {}) =>
  defineCommandProcessor({
    name: 'companies',
    version: '1',
    configSchema: z.strictObject({ country: z.string().default('HU') }),
    command: ['python3', 'main.py'],
    ...o,
  });

describe('defineCommandProcessor', () => {
  it('makes a processor the registry takes like any other, carrying its command with defaults', () => {
    const p = define({ cwd: 'examples/python-command', workerSize: 'large' });

    expect(isProcessor(p)).toBe(true);
    expect(isCommandProcessor(p)).toBe(true);
    expect(registryFromModule({ p }, 'processors.ts').get('companies')).toBe(p);
    expect(p.workerSize).toBe('large');
    expect(p.command).toEqual({
      argv: ['python3', 'main.py'],
      cwd: 'examples/python-command',
      env: {},
      secret: 'none',
      timeoutMs: DEFAULT_COMMAND_TIMEOUT_MS,
    });
    expect(p.parseConfig({})).toEqual({ country: 'HU' });
    expect(p.parseItem({ anything: 1 })).toEqual({ ok: true, item: { anything: 1 } });
  });

  it.each([
    [{ command: [] }, 'command: must name a program'],
    [{ command: ['python3', ''] }, 'command.1: must not be empty'],
    [{ env: { BATCHKEEPER_BATCH: 'x' } }, 'env: must not set BATCHKEEPER_* variables'],
    [{ env: { 'NOT A NAME': 'x' } }, 'env: keys must be variable names'],
    [{ secret: 'env' as 'file' }, "secret: must be 'file' or 'none'"],
    [{ timeoutMs: 10 }, 'timeoutMs: must be >= 1000'],
  ])('refuses %j, naming the field and the rule', (bad, rule) => {
    expect(() => define(bad)).toThrow(ValidationError);
    expect(() => define(bad)).toThrow(rule);
  });

  it('cannot be called in process: its command runs in ProcessBatch', async () => {
    await expect(define().processItem({}, {} as never)).rejects.toThrow(/is a command processor/);
  });
});

describe('the config hash of a command processor', () => {
  it('includes the command, so that a changed command is a changed config', () => {
    const config = { country: 'HU' };
    const base = configHash(define(), config);

    expect(configHash(define({ command: ['python3', 'main.py', '--strict'] }), config)).not.toBe(base);
    expect(configHash(define({ cwd: 'elsewhere' }), config)).not.toBe(base);
    expect(configHash(define({ env: { LEVEL: '2' } }), config)).not.toBe(base);
    expect(configHash(define({ secret: 'file' }), config)).not.toBe(base);
    // How long it may run does not change what it makes.
    expect(configHash(define({ timeoutMs: 60_000 }), config)).toBe(base);
  });

  it('hashes an in-process processor as before', () => {
    expect(configHash({ name: 'p', version: '1' }, {})).toBe(
      configHash({ name: 'p', version: '1', command: undefined }, {}),
    );
  });

  it('makes every batch of a job drift when the deployed command changes', async () => {
    const before = fakeDeps({ processors: createRegistry([define()]) });
    const at = new Date(before.clock.now()).toISOString();
    await before.catalog.createDataset({ datasetId: 'ds' }, at);
    const spec = {
      jobId: 'j',
      datasetId: 'ds',
      processor: { name: 'companies' },
      batching: { by: 'count', size: 10 },
    };
    const { job } = await createJob(before, spec);
    const after = { processors: createRegistry([define({ command: ['python3', 'v2.py'] })]) };

    expect(effectiveHash(before, job)).toBe(job.configHash);
    expect(effectiveHash(after, job)).not.toBe(job.configHash);
  });
});

describe('testProcessor with a command processor', () => {
  it('refuses it, pointing at the local mode', async () => {
    await expect(testProcessor(define(), { items: [{ id: 1, item: {} }] })).rejects.toThrow(
      /companies is a command processor: run it in the local mode/,
    );
  });
});
