#!/usr/bin/env -S npx tsx
/** npm run kernel:build: builds the patched kernel (cached by its inputs) and records it for vm:up. */
import { Command, InvalidArgumentError } from 'commander';
import { runCli } from '../src/harness/cli.js';
import path from 'node:path';
import { buildKernel, recordKernel, recordKernelDebs } from '../src/harness/kernel-build.js';
import { step } from '../src/harness/log.js';
import { kernelDebsStateFile, kernelStateFile } from '../src/harness/vm-state.js';

const program = new Command('kernel:build')
  .description('Build the balloon kernel: source + kernel-patch/series + kernel-patch/balloon.config, cached by those inputs.')
  .option(
    '--source <spec>',
    'kernel.org:5.11.5 (default; falls back to debian:5.10 when kernel.org is unreachable), debian:5.10, or a path to a tarball or tree',
    process.env.BALLOON_KERNEL_SOURCE,
  )
  .option('-j, --jobs <n>', 'parallel make jobs (default: number of CPUs)', (v) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError('must be a positive integer');
    return n;
  })
  .option('--cc <compiler>', 'C compiler to use instead of the automatic choice', process.env.BALLOON_CC)
  .option('--deb', 'also package it with make bindeb-pkg (linux-image-<release>_*.deb, cached; for installing into a Vagrant box)')
  .option('--json', 'print the build record as JSON on stdout');

await runCli('kernel:build', async () => {
  const opts = program.parse().opts<{ source?: string; jobs?: number; cc?: string; deb?: boolean; json?: boolean }>();
  const { artefact, hit, seconds, debs } = await buildKernel({
    ...(opts.source ? { source: opts.source } : {}),
    ...(opts.jobs ? { jobs: opts.jobs } : {}),
    ...(opts.cc ? { compiler: opts.cc } : {}),
    ...(opts.deb === true ? { debs: true } : {}),
  });
  await recordKernel(kernelStateFile(), artefact);
  if (debs) await recordKernelDebs(kernelDebsStateFile(), debs.meta);
  if (opts.json) {
    process.stdout.write(`${JSON.stringify({ ...artefact, cacheHit: hit, seconds, ...(debs ? { debs: debs.meta } : {}) }, null, 2)}\n`);
    return;
  }
  step('kernel', `${hit ? 'cache hit' : 'built'}: Linux ${artefact.release} from ${artefact.sourceDescription}, ` +
    `${artefact.patches.length} patch(es), key ${artefact.key.slice(0, 12)}, in ${seconds.toFixed(1)} s`);
  if (debs) step('kernel', `${debs.hit ? 'cache hit' : 'packaged'}: ${debs.meta.debs.map((d) => path.basename(d)).join(', ')}`);
  process.stdout.write(`${artefact.bzImage}\n`);
});
