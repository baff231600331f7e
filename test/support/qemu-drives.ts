/** QEMU command lines for the swap device's tests: fixed options, and the `-drive` arguments of a command line. */
import { qemuArgs, type QemuOptions } from '../../src/harness/qemu.js';

export const QEMU_TEST_OPTIONS: QemuOptions = {
  name: 'app-balloon-test', kernel: '/k/bzImage', rootDisk: '/s/root.qcow2', swapDisk: '/s/swap.img', memoryMiB: 2048, cpus: 2,
  accel: 'tcg', sshPort: 40022, sshKey: 'AAAAKEY', consoleLog: '/s/console.log', qmpSocket: '/s/qmp.sock', pidFile: '/s/qemu.pid',
};

/** The values of every `-drive` option of the QEMU command line for `o`, in order. */
export function qemuDrives(o: QemuOptions): string[] {
  const args = qemuArgs(o);
  return args.flatMap((a, i) => (args[i - 1] === '-drive' ? [a] : []));
}
