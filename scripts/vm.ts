#!/usr/bin/env -S npx tsx
/** npm run vm:up | vm:down | vm:status | vm:ssh: the QEMU VM of this checkout. */
import { Command } from 'commander';
import { runCli } from '../src/harness/cli.js';
import { step } from '../src/harness/log.js';
import { addVmOptions, toVmOptions, type VmCliOptions } from '../src/harness/vm-cli-options.js';
import { readVmState, sshInteractive, vmDown, vmStatus, vmUp } from '../src/harness/vm.js';
import { HarnessError } from '../src/harness/errors.js';

const program = new Command('vm').description('The balloon VM: QEMU with the built kernel and image, ssh on 127.0.0.1.');
const instanceOption = ['--instance <name>', 'which VM of this checkout', 'vm'] as const;

addVmOptions(program.command('up').description('boot the VM and wait until ssh works').option(...instanceOption)).action(
  async (o: VmCliOptions & { instance: string }) => {
    const state = await vmUp(toVmOptions(o.instance, o));
    step('vm:up', `ready in ${state.bootSeconds.toFixed(1)} s: ${state.kernelRelease ?? state.kernel}; ssh with \`npm run vm:ssh\` (port ${state.port})`);
  },
);

program
  .command('down')
  .description('shut the guest down cleanly; QEMU never stays behind')
  .option(...instanceOption)
  .action(async (o: { instance: string }) => {
    const { wasRunning, clean } = await vmDown(o.instance);
    step('vm:down', wasRunning ? (clean ? 'the guest powered off' : 'the guest did not power off in time; QEMU was stopped') : 'no VM was running');
  });

program
  .command('status')
  .description('is the VM running, on which port, with which kernel')
  .option(...instanceOption)
  .option('--json', 'print the state as JSON')
  .action(async (o: { instance: string; json?: boolean }) => {
    const { running, state } = await vmStatus(o.instance);
    if (o.json) {
      process.stdout.write(`${JSON.stringify({ running, ...state }, null, 2)}\n`);
      return;
    }
    if (!state) process.stdout.write(`${o.instance}: not running\n`);
    else if (!running) process.stdout.write(`${o.instance}: not running (stale state from pid ${state.pid}; \`npm run vm:down\` cleans it)\n`);
    else {
      process.stdout.write(
        `${o.instance}: running, pid ${state.pid}, ssh 127.0.0.1:${state.port}, ${state.accel}, ${state.memoryMiB} MiB, ${state.cpus} CPUs, ` +
          `kernel ${state.kernelRelease ?? state.kernel}, swap device ${state.swapDevice?.description ?? 'none'}, up since ${state.startedAt}\n`,
      );
    }
  });

program
  .command('ssh')
  .description('log in to the VM, or run a command there')
  .option(...instanceOption)
  .argument('[command...]', 'command to run in the guest')
  .action(async (command: string[], o: { instance: string }) => {
    const state = await readVmState(o.instance);
    if (!state) throw new HarnessError(`vm:ssh: the VM "${o.instance}" is not running.`, 'Start it with `npm run vm:up`.');
    const result = await sshInteractive(state, command);
    process.exitCode = result.exitCode ?? 1;
  });

await runCli('vm', async () => {
  await program.parseAsync();
});
