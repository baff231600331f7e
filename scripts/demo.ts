#!/usr/bin/env -S npx tsx
/**
 * npm run demo: the main job, end to end. Builds the kernel and the image
 * (cached), boots the VM (swap on the ssd device model), looks around over
 * ssh, then runs one workload under memory pressure twice in the guest, each
 * from the same state, once under the balloon agent's best policy and once
 * under the kernel's own swapping (with the same memory budget), prints the
 * comparison and shuts down.
 */
import path from 'node:path';
import { Command } from 'commander';
import { runCli } from '../src/harness/cli.js';
import { step } from '../src/harness/log.js';
import { writeJsonFile } from '../src/harness/vm-state.js';
import { prepareVmArtefacts } from '../src/harness/vm-artefacts.js';
import { addVmOptions, toVmOptions, type VmCliOptions } from '../src/harness/vm-cli-options.js';
import type { RunResult } from '../src/cli/run.js';
import { table } from '../src/cli/format.js';
import { HarnessError } from '../src/harness/errors.js';
import { sshExec, sshRun, vmDown, vmUp, type VmState } from '../src/harness/vm.js';
import { FreshState, type StartState } from '../src/experiment/fresh-state.js';

const program = addVmOptions(
  new Command('demo')
    .description('Build the balloon kernel and VM image, boot the VM, compare the balloon agent with the kernel\'s swapping on one workload, shut down.')
    .option('--source <spec>', 'kernel source (see npm run kernel:build -- --help)', process.env.BALLOON_KERNEL_SOURCE)
    .option('--workload <name>', 'workload of the comparison (see balloon run --help)', 'course')
    .option('--size <size>', 'workload size (balloon run --size)', '768M')
    .option('--passes <n>', 'passes (balloon run --passes)', '2')
    .option('--threshold <size>', 'balloon threshold; the kernel baseline gets as much memory locked away', '256M')
    .option('--no-compare', 'only the smoke check'),
  // Swap I/O at an SSD's cost (docs/swap-device.md): the comparison is about saving it.
  { memoryMiB: 1024, swapDevice: 'ssd' },
);

interface DemoOptions {
  source?: string;
  workload: string;
  size: string;
  passes: string;
  threshold: string;
  compare: boolean;
}

async function balloonRun(vm: VmState, policy: string, o: DemoOptions): Promise<RunResult> {
  const args = ['--workload', o.workload, '--policy', policy, '--size', o.size, '--passes', o.passes, '--threshold', o.threshold, '--json'];
  step('demo', `balloon run ${args.slice(0, -1).join(' ')} (in the guest, under TCG this takes minutes)`);
  const result = await sshExec(vm, [`cd /opt/app-balloon && node bin/balloon.js run ${args.join(' ')}`], { timeoutSeconds: 3600, inheritStderr: true });
  if (result.exitCode !== 0) {
    throw new HarnessError(`demo: balloon run --policy ${policy} failed (exit ${result.exitCode}).`, 'Its log is above.');
  }
  return JSON.parse(result.stdout) as RunResult;
}

/** The guest as the fresh-state reset sees it: commands over ssh, as root. */
function guestOf(vm: VmState): ConstructorParameters<typeof FreshState>[0] {
  return {
    asRoot: true,
    exec: async (command) => {
      const t0 = performance.now();
      const r = await sshExec(vm, [command], { timeoutSeconds: 600 });
      return { ...r, timedOut: false, canceled: false, durationMs: performance.now() - t0 };
    },
  };
}

/** Both runs start from the same state (docs/bench.md): the guest is reset and checked before each. */
async function measuredRun(vm: VmState, fresh: FreshState, policy: string, o: DemoOptions): Promise<RunResult & { startState: StartState }> {
  const start = await fresh.prepare();
  if ('error' in start) throw new HarnessError(`demo: before the ${policy} run, ${start.error}.`, 'See docs/bench.md, "Fresh state per run".');
  return { ...(await balloonRun(vm, policy, o)), startState: start.state };
}

function comparison(runs: (RunResult & { startState: StartState })[]): string {
  const s = (ms: number): string => (ms / 1000).toFixed(1);
  return table(
    ['policy', 'start free MiB', 'wall s', 'CPU s', 'swap-ins', 'swap-outs', 'swap busy s', 'deficit MiB·s', 'SIGBALLOON', 'swap-out calls', 'data'],
    runs.map((r) => [
      r.policy,
      (r.startState.memFreeBytes / 2 ** 20).toFixed(0),
      s(r.wallMs),
      s(r.cpu.totalMs),
      r.pswpin,
      r.pswpout,
      s(r.swapBusyMs),
      r.thresholdDeficitMiBs.toFixed(1),
      r.sigballoonCount,
      r.swapOutCalls,
      r.integrity.ok ? 'intact' : `${r.integrity.badPages} bad pages`,
    ]),
  );
}

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
  const opts = program.parse().opts<VmCliOptions & DemoOptions>();
  const { kernel, image } = await prepareVmArtefacts(opts.source);
  step('demo', `kernel ${kernel.artefact.release}: ${kernel.hit ? 'cache hit' : 'built'} in ${kernel.seconds.toFixed(1)} s`);
  step('demo', `image: ${image.hit ? 'cache hit' : 'built'} in ${image.seconds.toFixed(1)} s`);

  const instance = 'demo';
  await vmDown(instance);
  const vm = await vmUp(toVmOptions(instance, opts));
  try {
    step('demo', `VM ready in ${vm.bootSeconds.toFixed(1)} s (${vm.accel}, swap device ${vm.swapDevice?.description ?? 'none'}); what the guest reports:`);
    const width = Math.max(...smoke.map(([label]) => label.length));
    for (const [label, command] of smoke) {
      const value = (await sshRun(vm, command)).trim().replace(/\n/g, '; ');
      process.stdout.write(`  ${label.padEnd(width)}  ${value}\n`);
    }
    if (opts.compare) {
      const fresh = new FreshState(guestOf(vm));
      const runs = [await measuredRun(vm, fresh, 'balloon', opts), await measuredRun(vm, fresh, 'kernel', opts)];
      const out = path.join('results', `demo-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
      await writeJsonFile(out, { swapDevice: vm.swapDevice ?? null, runs });
      process.stdout.write(`\n${opts.workload}, ${opts.size}, ${opts.passes} passes, threshold ${opts.threshold}, guest ${vm.memoryMiB} MiB, swap device ${vm.swapDevice?.device ?? 'none'}:\n${comparison(runs)}\n`);
      step('demo', `both runs' full results: ${out}`);
    }
  } finally {
    const down = await vmDown(instance);
    step('demo', down.clean ? 'the guest powered off cleanly' : 'the guest did not power off in time; QEMU was stopped');
  }
});
