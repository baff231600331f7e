/**
 * `npm run test:vagrant`: the Vagrant end-to-end test (libvirt in a network
 * namespace). Separate from vitest.config.ts, so `npm test` does not run it.
 */
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  root: fileURLToPath(new URL('../..', import.meta.url)),
  test: {
    name: 'vagrant',
    include: ['test/vagrant/**/*.test.ts'],
    reporters: ['default'],
    // Software emulation; safety nets, not timings.
    testTimeout: 30 * 60_000,
    hookTimeout: 30 * 60_000,
    fileParallelism: false,
  },
});
