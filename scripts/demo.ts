#!/usr/bin/env -S npx tsx
/**
 * npm run demo: the main job, end to end. For now: build the kernel and the
 * image (cached), boot the VM, look around over ssh, print what was found,
 * shut down.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { Command } from 'commander';
import { runCli } from '../src/harness/cli.js';
import { buildKernel, recordKernel } from '../src/harness/kernel-build.js';
import { step } from '../src/harness/log.js';
import { addVmOptions, toVmOptions, type VmCliOptions } from '../src/harness/vm-cli-options.js';
import { buildImage } from '../src/harness/vm-image.js';
import { imageStateFile, kernelStateFile } from '../src/harness/vm-state.js';
import { sshRun, vmDown, vmUp } from '../src/harness/vm.js';

const program = addVmOptions(
  new Command('demo')
    .description('Build the balloon kernel and VM image, boot the VM, run a smoke check over ssh, shut down.')
    .option('--source <spec>', 'kernel source (see npm run kernel:build -- --help)', process.env.BALLOON_KERNEL_SOURCE),
);

const smoke: [label: string, command: string][] = [
  ['kernel', 'uname -r'],
  ['built by', "sed -E 's/^Linux version [^ ]+ \\(([^)]+)\\).*/\\1/' /proc/version"],
  ['memory', "free -m | awk '/Mem:/ {print $2 \" MiB total, \" $7 \" MiB available\"}'"],
  ['swap', "swapon --show=NAME,SIZE --noheadings | tr -s ' '"],
  ['transparent huge pages', 'cat /sys/kernel/mm/transparent_hugepage/enabled'],
  ['idle page tracking', 'test -e /sys/kernel/mm/page_idle/bitmap && echo available || echo MISSING'],
  ['balloon sysfs', 'test -d /sys/kernel/mm/balloon && ls /sys/kernel/mm/balloon | tr "\\n" " " || echo "not in this kernel (series not applied yet)"'],
  ['node', 'node --version'],
];

await runCli('demo', async () => {
  const opts = program.parse().opts<VmCliOptions & { source?: string }>();
  const kernel = await buildKernel(opts.source ? { source: opts.source } : {});
  await recordKernel(kernelStateFile(), kernel.artefact);
  step('demo', `kernel ${kernel.artefact.release}: ${kernel.hit ? 'cache hit' : 'built'} in ${kernel.seconds.toFixed(1)} s`);
  const image = await buildImage();
  await mkdir(path.dirname(imageStateFile()), { recursive: true });
  await writeFile(imageStateFile(), `${JSON.stringify(image.artefact, null, 2)}\n`);
  step('demo', `image: ${image.hit ? 'cache hit' : 'built'} in ${image.seconds.toFixed(1)} s`);

  const instance = 'demo';
  await vmDown(instance);
  const vm = await vmUp(toVmOptions(instance, opts));
  try {
    step('demo', `VM ready in ${vm.bootSeconds.toFixed(1)} s (${vm.accel}); what the guest reports:`);
    const width = Math.max(...smoke.map(([label]) => label.length));
    for (const [label, command] of smoke) {
      const value = (await sshRun(vm, command)).trim().replace(/\n/g, '; ');
      process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
    }
  } finally {
    const down = await vmDown(instance);
    step('demo', down.clean ? 'the guest powered off cleanly' : 'the guest did not power off in time; QEMU was stopped');
  }
});
