import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    setupFiles: ['test/support/no-leaked-handles.ts'],
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Two test files at once on the 2-core CI machine: many tests mostly wait on real processes
    // (the soak, fleet and e2e tests); serial, the suite came near CI's 30 minutes (23 → 15.5 min).
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 30_000,
  },
});
