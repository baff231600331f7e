import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
        },
      },
      {
        test: {
          name: 'e2e',
          include: ['test/e2e/**/*.test.ts'],
          // One VM for the whole suite: booted in globalSetup, shut down after.
          globalSetup: ['test/e2e/global-setup.ts'],
          // The VM runs under software emulation; these are safety nets, not timings.
          testTimeout: 15 * 60_000,
          hookTimeout: 15 * 60_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
