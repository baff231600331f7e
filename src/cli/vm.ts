/**
 * `balloon vm up|ssh|status|down`: the QEMU VM of this checkout, through the
 * harness (src/harness/vm.ts). `npm run vm:up` and friends run the same
 * commands (scripts/vm.ts).
 */
import type { Command } from 'commander';
import { step } from '../harness/log.js';
import { addVmOptions, toVmOptions, type VmCliOptions } from '../harness/vm-cli-options.js';
import { HarnessError } from '../harness/errors.js';
import { plural } from '../harness/sizes.js';

export const VM_SUBCOMMANDS = ['up', 'ssh', 'status', 'down'] as const;

const instanceOption = ['--instance <name>', 'which VM of this checkout', 'vm'] as const;

/** Loaded when a vm command runs: `balloon run` in the guest does not need the harness. */
const harness = (): Promise<typeof import('../harness/vm.js')> => import('../harness/vm.js');

export function addVmCommands(program: Command, io: { out: (s: string) => void }): void {
  const vm = program
    .command('vm')
    .description('the QEMU VM of this checkout: up, ssh, status, down (also npm run vm:up, vm:ssh, vm:status, vm:down)');

  addVmOptions(vm.command('up').description('boot the VM (built kernel and image) and wait until ssh works').option(...instanceOption)).action(
    async (o: VmCliOptions & { instance: string }) => {
      const { vmUp } = await harness();
      const state = await vmUp(toVmOptions(o.instance, o));
      step('vm:up', `ready in ${state.bootSeconds.toFixed(1)} s: ${state.kernelRelease ?? state.kernel}; ssh with \`balloon vm ssh\` (port ${state.port})`);
    },
  );

  vm.command('ssh')
    .description('log in to the VM as root, or run a command there')
    .option(...instanceOption)
    .argument('[command...]', 'command to run in the guest')
    .action(async (command: string[], o: { instance: string }) => {
      const { readVmState, sshInteractive, vmStatus } = await harness();
      const state = await readVmState(o.instance);
      if (!state || !(await vmStatus(o.instance)).running) {
        throw new HarnessError(`vm ssh: the VM "${o.instance}" is not running.`, 'Start it with `balloon vm up` (or npm run vm:up).');
      }
      const result = await sshInteractive(state, command);
      process.exitCode = result.exitCode;
    });

  vm.command('status')
    .description('is the VM running, on which port, with which kernel')
    .option(...instanceOption)
    .option('--json', 'print the state as JSON')
    .action(async (o: { instance: string; json?: boolean }) => {
      const { vmStatus } = await harness();
      const { running, state } = await vmStatus(o.instance);
      if (o.json) io.out(`${JSON.stringify({ running, ...state }, null, 2)}\n`);
      else if (!state) io.out(`${o.instance}: not running\n`);
      else if (!running) io.out(`${o.instance}: not running (stale state from pid ${state.pid}; \`balloon vm down\` cleans it)\n`);
      else {
        io.out(
          `${o.instance}: running, pid ${state.pid}, ssh 127.0.0.1:${state.port}, ${state.accel}, ${state.memoryMiB} MiB, ${plural(state.cpus, 'CPU')}, ` +
            `kernel ${state.kernelRelease ?? state.kernel}, swap device ${state.swapDevice?.description ?? 'none'}, up since ${state.startedAt}\n`,
        );
      }
    });

  vm.command('down')
    .description('shut the guest down cleanly; QEMU never stays behind')
    .option(...instanceOption)
    .action(async (o: { instance: string }) => {
      const { vmDown } = await harness();
      const { wasRunning, clean } = await vmDown(o.instance);
      step('vm:down', wasRunning ? (clean ? 'the guest powered off' : 'the guest did not power off in time; QEMU was stopped') : 'no VM was running');
    });
}
