import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const root = path.dirname(fileURLToPath(import.meta.url));

/**
 * The addon with its test helpers (native/testing.cc); the production build,
 * build/Release/balloon.node, has none. Workers and child processes inherit it.
 */
const env = { BALLOON_ADDON: path.join(root, 'build/Release/balloon_testing.node') };

export default defineConfig({
  test: {
    reporters: ['default', './test/summary-reporter.ts'],
    projects: [
      {
        // Runs anywhere the checkout was installed (npm ci): no root, no browser, no Vagrant, no VM.
        // Hooks render reports and start workers: a safety net for a loaded machine, not a timing.
        // The files share one process per worker (no isolation): a fresh process for each of 60
        // files cost 30 of the tier's 57 s. A file that changes process state (PATH, signal
        // handlers) restores it in its own hooks.
        test: { name: 'unit', include: ['test/unit/**/*.test.ts'], env, hookTimeout: 60_000, isolate: false },
      },
      {
        // Needs root (run-agent), headless Chromium (report/browser), Vagrant (vagrantfile), QEMU
        // (swap-device-qemu), the ssh client (ssh-config), or runs real workloads as processes (cli-runs).
        test: { name: 'integration', include: ['test/integration/**/*.test.ts'], env, testTimeout: 120_000 },
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
