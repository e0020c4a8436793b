import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import {
  METRIC_DIMENSIONS,
  METRIC_NAMES,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../../../../core/contracts/metrics.ts';
import { metrics } from '../../../../functions/support/runtime.ts';

const FUNCTIONS_DIR = fileURLToPath(new URL('../../../../functions/', import.meta.url));

/** The first argument of every `addMetric(` call in the handlers, by file. */
function emitted(): { file: string; name: string }[] {
  const files = readdirSync(FUNCTIONS_DIR, { recursive: true, encoding: 'utf8' }).filter((f) =>
    f.endsWith('.ts'),
  );
  return files.flatMap((file) =>
    [...readFileSync(`${FUNCTIONS_DIR}${file}`, 'utf8').matchAll(/addMetric\(\s*([^,]+),/g)].map((m) => ({
      file,
      name: (m[1] as string).trim(),
    })),
  );
}

describe('core/contracts/metrics.ts', () => {
  it('names every metric a handler emits', () => {
    const calls = emitted();
    expect(calls.length).toBeGreaterThan(0);
    for (const { file, name } of calls) {
      const key = /^METRIC_NAMES\.(\w+)$/.exec(name)?.[1];
      expect(key, `${file}: addMetric(${name}, …)`).toBeDefined();
      expect(Object.keys(METRIC_NAMES), file).toContain(key);
    }
  });

  it('gives each metric a name of its own', () => {
    const names = Object.values(METRIC_NAMES);
    expect(new Set(names).size).toBe(names.length);
  });

  it('is the namespace and the dimensions the handlers emit under', () => {
    metrics.addMetric(METRIC_NAMES.batchesFailed, MetricUnit.Count, 1);
    const emf = metrics.serializeMetrics() as unknown as {
      _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
      [dimension: string]: unknown;
    };
    metrics.clearMetrics();
    const [directive] = emf._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe(METRICS_NAMESPACE);
    expect(directive?.Dimensions).toEqual([Object.keys(METRIC_DIMENSIONS)]);
    expect(emf.service).toBe(SERVICE_NAME);
  });
});
