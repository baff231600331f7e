/**
 * The VM harness end to end: boot the kernel just built under TCG, check over
 * ssh that it is that kernel with swap and Node.js, shut it down, and leave no
 * QEMU process behind.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { HarnessError } from '../../src/harness/errors.js';
import { sshExec, sshRun, vmDefaults, vmDown, vmStatus, vmUp, type VmState } from '../../src/harness/vm.js';

const instance = 'e2e-harness';

describe('VM harness', () => {
  const kernel = inject('kernel');
  let vm: VmState;

  beforeAll(async () => {
    await vmDown(instance);
    vm = await vmUp({ ...vmDefaults, instance, memoryMiB: 1024, swapMiB: 1024 });
  });

  afterAll(async () => {
    await vmDown(instance);
  });

  it('runs the kernel that was just built', async () => {
    expect((await sshRun(vm, 'uname -r')).trim()).toBe(kernel.release);
    expect(kernel.release).toMatch(/^\d+\.\d+\.\d+-balloon$/);
    // The build host in /proc/version is derived from the build's cache key.
    expect(await sshRun(vm, 'cat /proc/version')).toContain(`balloon@${kernel.buildHost}`);
    const config = await sshRun(vm, 'zcat /proc/config.gz');
    expect(config).toContain('CONFIG_IDLE_PAGE_TRACKING=y');
    expect(config).toContain('CONFIG_TRANSPARENT_HUGEPAGE_MADVISE=y');
    // (ssh output loses its final newline)
    expect(config.trimEnd()).toBe((await readFile(kernel.config, 'utf8')).trimEnd());
  });

  it('has swap on the second disk, idle page tracking and THP in madvise mode', async () => {
    const swaps = await sshRun(vm, 'cat /proc/swaps');
    expect(swaps).toMatch(/^\/dev\/vdb\s+partition\s+1048572\s/m);
    expect(await sshRun(vm, 'cat /sys/kernel/mm/transparent_hugepage/enabled')).toContain('[madvise]');
    expect((await sshRun(vm, 'test -w /sys/kernel/mm/page_idle/bitmap && echo ok')).trim()).toBe('ok');
    expect(await sshRun(vm, 'awk \'/MemTotal/ {print $2}\' /proc/meminfo').then(Number)).toBeGreaterThan(900_000);
  });

  it('runs the host Node.js in the guest', async () => {
    expect((await sshRun(vm, 'node -e "console.log(process.version, process.arch)"')).trim()).toBe(`${process.version} ${process.arch}`);
  });

  it('sees this checkout read-only at /opt/app-balloon', async () => {
    const name = JSON.parse(await sshRun(vm, 'cat /opt/app-balloon/package.json')) as { name: string };
    expect(name.name).toBe('app-balloon');
    const write = await sshExec(vm, ['touch /opt/app-balloon/should-not-exist']);
    expect(write.exitCode).not.toBe(0);
    expect(write.stderr).toMatch(/Read-only file system/);
  });

  it('refuses to start a second VM under the same name', async () => {
    const err = await vmUp({ ...vmDefaults, instance, memoryMiB: 512 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(/already running/);
  });

  it('shuts down cleanly and leaves no QEMU process behind', async () => {
    const { pid } = vm;
    const result = await vmDown(instance);
    expect(result).toEqual({ wasRunning: true, clean: true });
    expect(processExists(pid)).toBe(false);
    expect((await vmStatus(instance)).running).toBe(false);
  });
});

describe('a VM that never becomes ready', () => {
  it('is stopped after the timeout, with the last console lines in the error', async () => {
    const name = 'e2e-timeout';
    const err = await vmUp({ ...vmDefaults, instance: name, memoryMiB: 512, readyTimeoutSeconds: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(HarnessError);
    expect((err as HarnessError).message).toMatch(/did not become ready within 1 s; QEMU was stopped/);
    expect((await vmStatus(name)).running).toBe(false);
    await vmDown(name);
  });
});

/** False once `pid` is gone or a zombie (QEMU daemonizes; reaping it is init's job, not ours). */
function processExists(pid: number): boolean {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}
