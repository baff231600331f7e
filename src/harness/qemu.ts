import { createServer } from 'node:net';
import { HarnessError } from './errors.js';
import { throttleDriveOptions, type SwapDeviceRates } from './swap-device.js';

export type Accelerator = 'tcg' | 'kvm';

export interface QemuOptions {
  name: string;
  kernel: string;
  rootDisk: string;
  swapDisk: string;
  memoryMiB: number;
  cpus: number;
  accel: Accelerator;
  sshPort: number;
  /** Base64 part of the ssh-ed25519 public key that may log in as root. */
  sshKey: string;
  consoleLog: string;
  qmpSocket: string;
  pidFile: string;
  extraKernelArgs?: string[];
  /** A host directory the guest mounts read-only (virtio-9p) at /opt/app-balloon. */
  share?: string;
  /** TCG with one host thread for all vCPUs (default, see below) or one per vCPU. */
  tcgThreads?: 'single' | 'multi';
  /** Throttling of the swap drive (the swap device model); none when absent. */
  swapThrottle?: SwapDeviceRates;
}

/** The 9p tag the guest's init looks for. */
export const projectShareTag = 'app-balloon';

/** The guest CPU under software emulation. */
export const tcgCpu = 'qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt,+cx16';

/** The QEMU command line: no display, serial console to a file, ssh forwarded on loopback only, no guest network beyond that. */

export function qemuArgs(o: QemuOptions): string[] {
  const append = [
    'console=ttyS0',
    'root=/dev/vda',
    'rw',
    'init=/sbin/balloon-init',
    'panic=-1',
    'oops=panic',
    `balloon_key=${o.sshKey}`,
    ...(o.extraKernelArgs ?? []),
  ].join(' ');
  return [
    '-name', o.name,
    '-machine', 'pc',
    // Single-threaded TCG: the vCPUs take turns on one host thread. With one host
    // thread per vCPU (thread=multi), QEMU 7.2's x86 guests corrupted memory under
    // page-table churn (reclaim and swap plus idle page tracking clearing accessed
    // bits): processes died with SIGSEGV or SIGILL and read garbage from the page
    // cache in about 4 of 10 agent runs, with the balloon mechanism switched off as
    // well; with thread=single, or one vCPU, none in 11 runs.
    // thread=multi stays available for the data-integrity stress (npm run kernel:stress).
    '-accel', o.accel === 'tcg' ? `tcg,thread=${o.tcgThreads ?? 'single'}` : 'kvm',
    // An SSE4.2-level CPU is all V8 needs; 'max' adds AVX emulation and 5-level
    // paging, which only cost time under TCG.
    '-cpu', o.accel === 'tcg' ? tcgCpu : 'host',
    '-smp', String(o.cpus),
    '-m', `${o.memoryMiB}M`,
    '-nodefaults',
    '-display', 'none',
    '-no-reboot',
    '-kernel', o.kernel,
    '-append', append,
    '-drive', `file=${o.rootDisk},if=virtio,format=qcow2,cache=unsafe`,
    // The swap disk lives in the host's page cache (cache=unsafe); what a swap I/O costs is
    // set by the throttle alone (src/harness/swap-device.ts), not by the host's own disk.
    '-drive', [`file=${o.swapDisk}`, 'if=virtio', 'format=raw', 'cache=unsafe', ...(o.swapThrottle ? throttleDriveOptions(o.swapThrottle) : [])].join(','),
    // restrict=on: the guest reaches nothing, neither the host nor any network; the forward still works.
    '-netdev', `user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:${o.sshPort}-:22`,
    '-device', 'virtio-net-pci,netdev=net0,romfile=',
    '-serial', `file:${o.consoleLog}`,
    '-qmp', `unix:${o.qmpSocket},server=on,wait=off`,
    ...(o.share ? ['-virtfs', `local,path=${o.share},mount_tag=${projectShareTag},security_model=none,readonly=on`] : []),
    '-pidfile', o.pidFile,
    '-daemonize',
  ];
}

/** A TCP port on 127.0.0.1 that is free right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** Fails with a clear message when a user-chosen port is taken. */
export function assertPortFree(port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        new HarnessError(
          `vm:up: port ${port} on 127.0.0.1 is taken (${err.code ?? err.message}).`,
          'Choose another with --port, or leave --port out to get a free one.',
        ),
      );
    });
    server.listen(port, '127.0.0.1', () => server.close(() => resolve()));
  });
}
