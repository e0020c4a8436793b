import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadLocalFunctions } from '../../../cli/local/local-functions.ts';
import {
  largestWorker,
  limitsOf,
  RUN_JOB_FUNCTIONS,
  WORKER_SIZES,
} from '../../../core/contracts/functions.ts';
import type { Deps } from '../../../core/deps.ts';
import { defaultRegistry } from '../../../core/processors/builtin.ts';
import { defineProcessor } from '../../../core/processors/define-processor.ts';
import { noop } from '../../../core/processors/noop.ts';
import { createRegistry, type ProcessorRegistry } from '../../../core/processors/registry.ts';

/** The local function registry over `processors`, released again after `check`. */
async function withLocalFunctions(
  processors: ProcessorRegistry,
  check: (byName: Awaited<ReturnType<typeof loadLocalFunctions>>['byName']) => Promise<void>,
) {
  const local = await loadLocalFunctions({ processors } as unknown as Deps, 'ERROR');
  try {
    await check(local.byName);
  } finally {
    local.release();
  }
}

describe('loadLocalFunctions', () => {
  it('registers each function the run invokes, from its table entry, with the limits it is deployed with', async () => {
    const worker = largestWorker(defaultRegistry.names().map((n) => defaultRegistry.get(n).limits));
    await withLocalFunctions(defaultRegistry, async (byName) => {
      const registered = Object.values(byName);
      expect(registered).toHaveLength(RUN_JOB_FUNCTIONS.length);
      for (const spec of RUN_JOB_FUNCTIONS) {
        const { handler } = (await import(`../../../${spec.entry}`)) as { handler: unknown };
        const fn = registered.find((f) => f.handler === handler);
        expect(fn, spec.entry).toBeDefined();
        expect({ timeoutSeconds: fn?.timeoutSeconds, memoryMb: fn?.memoryMb }, spec.id).toEqual(
          limitsOf(spec, worker),
        );
      }
    });
  });

  it("gives ProcessBatch the largest registered processor's worker", async () => {
    const big = defineProcessor({
      name: 'big',
      version: '1',
      configSchema: z.object({}),
      itemSchema: z.unknown(),
      workerSize: 'large',
      processItem: () => ({}),
    });
    await withLocalFunctions(createRegistry([noop, big]), async (byName) => {
      const { handler } = await import('../../../functions/process-batch.ts');
      const processBatch = Object.values(byName).find((f) => f.handler === handler);
      expect(processBatch).toMatchObject(WORKER_SIZES.large);
    });
  });
});
