import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ValidationError } from '../../../core/errors.ts';
import { defineProcessor, type WorkerSize } from '../../../core/processors/define-processor.ts';
import { createRegistry } from '../../../core/processors/registry.ts';
import { DEFAULT_CONFIG, parsePipelineConfig } from '../../../infra/pipeline-config.ts';
import { deployedProcessors } from '../../../infra/processor-bundle.ts';
import { builtinProcessors, type LoadedProcessors } from '../../../project/load-processors.ts';

const sized = (name: string, workerSize?: WorkerSize) =>
  defineProcessor({
    name,
    version: '1',
    workerSize,
    configSchema: z.object({}),
    itemSchema: z.unknown(),
    processItem: () => null,
  });

/** A user's module as loadProcessors would answer it, exporting `a` (default size) and `b` (large). */
function loaded(): LoadedProcessors {
  const processors = [sized('a'), sized('b', 'large')];
  return {
    registry: createRegistry(processors),
    processors,
    module: '/work/p/src/processors.ts',
    label: 'src/processors.ts',
  };
}

function thrown(f: () => unknown): ValidationError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ValidationError);
    return e as ValidationError;
  }
  throw new Error('expected a throw');
}

describe('deployedProcessors', () => {
  it('deploys every processor of the module at its own worker size when nothing is configured', () => {
    expect(deployedProcessors(undefined, loaded())).toEqual([
      { name: 'a', size: 'small' },
      { name: 'b', size: 'large' },
    ]);
  });

  it('deploys the built-ins at their sizes for a project without a module', () => {
    expect(deployedProcessors(undefined, builtinProcessors())).toEqual([
      { name: 'noop', size: 'small' },
      { name: 'normalize-address', size: 'small' },
    ]);
  });

  it('keeps the configured processors and the sizes configured, over the processors’ own', () => {
    const configured = [
      { name: 'b', size: 'medium' },
      { name: 'a', size: 'large' },
    ] as const;
    expect(deployedProcessors(configured, loaded())).toEqual([
      { name: 'b', size: 'medium' },
      { name: 'a', size: 'large' },
    ]);
  });

  it('deploys only the processors configured', () => {
    expect(deployedProcessors([{ name: 'a', size: 'small' }], loaded())).toEqual([
      { name: 'a', size: 'small' },
    ]);
  });

  it('refuses a configured name the module does not export, naming the entry and what the module exports', () => {
    const error = thrown(() =>
      deployedProcessors(
        [
          { name: 'a', size: 'small' },
          { name: 'word-count', size: 'medium' },
        ],
        loaded(),
      ),
    );
    expect(error.message).toBe(
      'invalid deployment configuration: batchkeeper.processors.1.name: names word-count, ' +
        'which src/processors.ts does not export (it exports: a, b)',
    );
    expect(error.field).toBe('batchkeeper.processors.1.name');
  });

  it('names every missing entry at once', () => {
    const error = thrown(() =>
      deployedProcessors(
        [
          { name: 'x', size: 'small' },
          { name: 'b', size: 'small' },
          { name: 'y', size: 'small' },
        ],
        loaded(),
      ),
    );
    expect(error.violations.map((v) => v.field)).toEqual([
      'batchkeeper.processors.0.name',
      'batchkeeper.processors.2.name',
    ]);
  });

  it('names the built-ins by their label when the project has no module', () => {
    const error = thrown(() => deployedProcessors([{ name: 'a', size: 'small' }], builtinProcessors()));
    expect(error.message).toBe(
      "invalid deployment configuration: batchkeeper.processors.0.name: names a, which batchkeeper's " +
        'built-in processors does not export (it exports: noop, normalize-address)',
    );
  });
});

describe('parsePipelineConfig', () => {
  it('answers the default, with no processors setting, when there is no context value', () => {
    expect(parsePipelineConfig(undefined)).toEqual({ datasets: [], schedules: [] });
    expect(parsePipelineConfig(undefined)).toBe(DEFAULT_CONFIG);
    expect(parsePipelineConfig(undefined).processors).toBeUndefined();
  });

  it('leaves processors out when the value names none, filling the defaults', () => {
    const config = parsePipelineConfig({ alarmEmail: 'ops@example.com' });
    expect(config).toEqual({ datasets: [], schedules: [], alarmEmail: 'ops@example.com' });
    expect('processors' in config).toBe(false);
  });

  it('reads a value given as a JSON string (cdk -c)', () => {
    expect(parsePipelineConfig('{"processors":[{"name":"word-count","size":"medium"}]}')).toEqual({
      processors: [{ name: 'word-count', size: 'medium' }],
      datasets: [],
      schedules: [],
    });
  });

  it('refuses a string that is not JSON, naming the field batchkeeper', () => {
    const error = thrown(() => parsePipelineConfig('{processors: oops'));
    expect(error.field).toBe('batchkeeper');
    expect(error.violations).toHaveLength(1);
    expect(error.message).toMatch(/^invalid batchkeeper context: batchkeeper: must be JSON \(.+\)$/);
  });

  it.each<[string, unknown, string, string]>([
    ['no processor', { processors: [] }, 'batchkeeper.processors', 'must name at least one processor'],
    [
      'a size that is none of the three',
      { processors: [{ name: 'a', size: 'huge' }] },
      'batchkeeper.processors.0.size',
      'must be small, medium or large',
    ],
    [
      'a processor name with a space',
      {
        processors: [
          { name: 'a', size: 'small' },
          { name: 'bad name', size: 'small' },
        ],
      },
      'batchkeeper.processors.1.name',
      'must be 1-128 characters of A-Z a-z 0-9 . _ - starting with a letter or digit',
    ],
    [
      'a secret ARN without its suffix',
      { datasets: [{ id: 'd1', secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db' }] },
      'batchkeeper.datasets.0.secretArn',
      'must be a complete secret ARN',
    ],
    [
      'both secretArn and createSecret',
      {
        datasets: [
          {
            id: 'd1',
            secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:db-AbCdEf',
            createSecret: true,
          },
        ],
      },
      'batchkeeper.datasets.0',
      'give secretArn or createSecret, not both',
    ],
    [
      'a schedule expression of another kind',
      { schedules: [{ jobId: 'j1', expression: 'every day' }] },
      'batchkeeper.schedules.0.expression',
      'must be rate(...), cron(...) or at(...)',
    ],
  ])('refuses %s, naming batchkeeper.<path> and the rule', (_, raw, field, rule) => {
    const error = thrown(() => parsePipelineConfig(raw));
    expect(error.violations).toEqual([{ field, rule }]);
    expect(error.message).toBe(`invalid batchkeeper context: ${field}: ${rule}`);
  });

  it('refuses the same bad value given as a JSON string', () => {
    const error = thrown(() =>
      parsePipelineConfig(JSON.stringify({ processors: [{ name: 'a', size: 'xl' }] })),
    );
    expect(error.violations).toEqual([
      { field: 'batchkeeper.processors.0.size', rule: 'must be small, medium or large' },
    ]);
  });

  it('refuses a key it does not know, and a value that is not an object, at batchkeeper', () => {
    expect(thrown(() => parsePipelineConfig({ processor: [] })).field).toBe('batchkeeper');
    expect(
      thrown(() => parsePipelineConfig({ processors: [{ name: 'a', size: 'small', memory: 1 }] })).field,
    ).toBe('batchkeeper.processors.0');
    expect(thrown(() => parsePipelineConfig('null')).field).toBe('batchkeeper');
    expect(thrown(() => parsePipelineConfig(42)).field).toBe('batchkeeper');
  });

  it('lists every field that breaks a rule', () => {
    const error = thrown(() =>
      parsePipelineConfig({ processors: [{ name: '', size: 'tiny' }], alarmEmail: 'not-an-email' }),
    );
    expect(error.violations.map((v) => v.field).sort()).toEqual([
      'batchkeeper.alarmEmail',
      'batchkeeper.processors.0.name',
      'batchkeeper.processors.0.size',
    ]);
  });
});
