import { defineConfig } from 'vitest/config';

// One run covers every tier; local services (DynamoDB Local, moto) start once in the global setup.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/support/global-setup.ts'],
    // Limits stop a test that went wrong; they measure no speed. Tests wait on events, and on a loaded machine (a
    // second run beside this one) the heaviest take minutes: the limits leave them that.
    testTimeout: 600_000,
    hookTimeout: 600_000,
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
