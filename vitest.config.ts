import { defineConfig } from 'vitest/config';

/**
 * Vitest runs a global setup once per project that names it: this one starts DynamoDB Local and moto once per
 * run, however many of the tiers below run (see test/support/global-setup.ts).
 */
const LOCAL_ENGINES = ['test/support/global-setup.ts'];
const TIERS_ON_ENGINES = ['local', 'infra', 'e2e'] as const;

// One project per tier. `unit` starts no engine (`npm run test:unit`); `vitest run` runs every tier.
export default defineConfig({
  test: {
    // Limits stop a test that went wrong; they measure no speed. Tests wait on events, and on a loaded machine (a
    // second run beside this one) the heaviest take minutes: the limits leave them that.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
    projects: [
      { extends: true, test: { name: 'unit', include: ['test/unit/**/*.test.ts'] } },
      // The packed package in a project of its own: it starts its own local mode through the installed binary.
      { extends: true, test: { name: 'package', include: ['test/package/**/*.test.ts'] } },
      ...TIERS_ON_ENGINES.map((tier) => ({
        extends: true as const,
        test: { name: tier, include: [`test/${tier}/**/*.test.ts`], globalSetup: LOCAL_ENGINES },
      })),
    ],
  },
});
