/**
 * The kernel series' own selftests (tools/testing/selftests/balloon), built
 * with the kernel and run as root in a VM booted with it.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { copyToGuest, sshExec, vmDefaults, vmDown, vmUp, type VmState } from '../../src/harness/vm.js';

const instance = 'e2e-kernel';

describe('kernel selftests in the VM', () => {
  const kernel = inject('kernel');
  let vm: VmState;

  beforeAll(async () => {
    await vmDown(instance);
    vm = await vmUp({ ...vmDefaults, instance, memoryMiB: 2048, swapMiB: 2048 });
  });

  afterAll(async () => {
    await vmDown(instance);
  });

  it('were built with the kernel', () => {
    expect(kernel.patches.length, 'the kernel was built with the patch series').toBeGreaterThan(0);
    expect(kernel.selftests.map((p) => path.basename(p))).toContain('balloon_test');
  });

  it('all pass', async () => {
    for (const program of kernel.selftests) {
      const name = path.basename(program);
      await copyToGuest(vm, await readFile(program), `/root/selftests/${name}`, '755');
      const result = await sshExec(vm, [`cd /root/selftests && ./${name} 2>&1`], { timeoutSeconds: 900 });
      process.stdout.write(`--- ${name} (exit ${result.exitCode}) ---\n${result.stdout}\n`);
      const failed = result.stdout.split('\n').filter((line) => /^not ok /.test(line));
      const passed = result.stdout.split('\n').filter((line) => /^ok /.test(line));
      expect(failed, `${name}: failed tests`).toEqual([]);
      expect(passed.length, `${name}: passed tests`).toBeGreaterThan(10);
      expect(result.exitCode, `${name}: exit status`).toBe(0);
    }
  });
});
