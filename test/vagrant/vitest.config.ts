/**
 * `npm run test:vagrant`: the Vagrant end-to-end test (libvirt in a network
 * namespace). Separate from vitest.config.ts so that it runs after the e2e
 * suite, not beside it (two software-emulated VMs on two cores); `npm test`
 * runs both, one after the other.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'vagrant',
    include: ['test/vagrant/**/*.test.ts'],
    reporters: ['default', './test/summary-reporter.ts'],
    // Software emulation; safety nets, not timings.
    testTimeout: 30 * 60_000,
    hookTimeout: 30 * 60_000,
    fileParallelism: false,
  },
});
