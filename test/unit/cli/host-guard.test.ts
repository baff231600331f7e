/**
 * `balloon run` outside the balloon kernel refuses a run that would push the
 * machine into swap (the issue: `run -w course -p kernel` on a 24 GiB swapless
 * host took 1.25 x MemTotal and locked 1 GiB), unless --allow-host. The machine
 * is a meminfo file and a sysfs directory of the test's own.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import { hostHazard } from '../../../src/cli/host-guard.js';
import { planRun } from '../../../src/cli/run.js';

const GiB = 2 ** 30;
const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-host-guard-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Like the machine: 24 GiB, no swap, 20 GiB available. */
const meminfo = path.join(tmp, 'meminfo');
writeFileSync(meminfo, `MemTotal:       ${24 * 1024 * 1024} kB\nMemFree:        ${19 * 1024 * 1024} kB\nMemAvailable:   ${20 * 1024 * 1024} kB\nSwapTotal:             0 kB\n`);
const noBalloon = path.join(tmp, 'no-such-sysfs');
const balloonSysfs = path.join(tmp, 'balloon');
mkdirSync(balloonSysfs);

const refusal = (o: Parameters<typeof planRun>[0], sysfs = noBalloon): string | null => {
  try {
    planRun(o, meminfo, sysfs);
    return null;
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    return (err as Error).message;
  }
};

describe('the host guard of balloon run', () => {
  it('refuses the issue\'s command on a host without the balloon kernel, in one line that says why and what to do', () => {
    const message = refusal({ workload: 'course', policy: 'kernel' });
    expect(message).toBe(
      `this machine runs no balloon kernel (no ${noBalloon}) and the run needs 20.2 GiB (workload 19.2 GiB + 1 GiB locked by the kernel baseline's bystander), ` +
        'more than half of the 20 GiB available: it could push this machine into swap or the OOM killer; run it in the VM (balloon vm up, then balloon vm ssh or balloon experiment), ' +
        'give a smaller --size, or pass --allow-host to run it here anyway',
    );
    expect(message).not.toContain('\n');
  });

  it('counts the bystander: a size that fits alone is refused with the threshold locked on top', () => {
    expect(refusal({ workload: 'course', policy: 'kernel', size: '9.5G' })).toMatch(/needs 10.5 GiB \(workload 9.5 GiB \+ 1 GiB locked/);
    expect(refusal({ workload: 'course', policy: 'kernel', size: '9.5G', bystander: false })).toBeNull();
    expect(refusal({ workload: 'course', policy: 'kernel', size: '9.5G', threshold: '512M' })).toBeNull();
  });

  it('lets small runs, --allow-host and the balloon kernel through', () => {
    expect(refusal({ workload: 'course', policy: 'kernel', size: '1G' })).toBeNull();
    expect(refusal({ workload: 'course', policy: 'kernel', allowHost: true })).toBeNull();
    expect(refusal({ workload: 'course', policy: 'kernel' }, balloonSysfs)).toBeNull();
    expect(refusal({ workload: 'zipf', policy: 'balloon', size: '11G' })).toMatch(/needs 11 GiB, more than half of the 20 GiB available/);
  });

  it('draws the line at half of MemAvailable', () => {
    const base = { balloonKernel: false, balloonSysfsDir: '/sys/kernel/mm/balloon', lockedBytes: GiB, memAvailableBytes: 8 * GiB };
    expect(hostHazard({ ...base, sizeBytes: 3 * GiB })).toBeNull();
    expect(hostHazard({ ...base, sizeBytes: 3 * GiB + 4096 })).toMatch(/^this machine runs no balloon kernel/);
    expect(hostHazard({ ...base, balloonKernel: true, sizeBytes: 64 * GiB })).toBeNull();
  });
});

describe('the agent mode of balloon run', () => {
  it('is proactive by default, reactive with --reactive, and none for the kernel baseline; --reactive needs an agent policy', () => {
    const o = { workload: 'course', size: '64M' };
    expect(planRun({ ...o, policy: 'balloon' }, meminfo, balloonSysfs).mode).toBe('proactive');
    expect(planRun({ ...o, policy: 'lru-approx', reactive: true }, meminfo, balloonSysfs).mode).toBe('reactive');
    expect(planRun({ ...o, policy: 'kernel' }, meminfo, balloonSysfs).mode).toBeNull();
    expect(refusal({ ...o, policy: 'kernel', reactive: true }, balloonSysfs)).toBe('--reactive is a mode of the agent: --policy kernel runs without it');
  });

  it('pins the agent\'s arrays unless --no-pin; the kernel baseline has no agent to pin', () => {
    const o = { workload: 'course', size: '64M' };
    expect(planRun({ ...o, policy: 'balloon' }, meminfo, balloonSysfs).pin).toBe(true);
    expect(planRun({ ...o, policy: 'balloon', pin: false }, meminfo, balloonSysfs).pin).toBe(false);
    expect(planRun({ ...o, policy: 'kernel' }, meminfo, balloonSysfs).pin).toBe(false);
    expect(refusal({ ...o, policy: 'kernel', pin: false }, balloonSysfs)).toBe("--no-pin is about the agent's memory: --policy kernel runs without an agent");
  });

  it('reads the arrivals between scans unless --refresh-residency says otherwise; the kernel baseline has no answers', () => {
    const o = { workload: 'course', size: '64M' };
    expect(planRun({ ...o, policy: 'balloon' }, meminfo, balloonSysfs).refreshResidency).toBe('arrivals');
    expect(planRun({ ...o, policy: 'balloon', refreshResidency: 'when-empty' }, meminfo, balloonSysfs).refreshResidency).toBe('when-empty');
    expect(planRun({ ...o, policy: 'balloon', refreshResidency: 'always' }, meminfo, balloonSysfs).refreshResidency).toBe('always');
    expect(planRun({ ...o, policy: 'balloon', refreshResidency: 'returns' }, meminfo, balloonSysfs).refreshResidency).toBe('returns');
    expect(planRun({ ...o, policy: 'balloon', refreshResidency: 'never' }, meminfo, balloonSysfs).refreshResidency).toBe('never');
    expect(planRun({ ...o, policy: 'kernel' }, meminfo, balloonSysfs).refreshResidency).toBeNull();
    expect(refusal({ ...o, policy: 'balloon', refreshResidency: 'sometimes' }, balloonSysfs)).toBe('--refresh-residency must be one of never, when-empty, arrivals, returns, always, got "sometimes"');
    expect(refusal({ ...o, policy: 'kernel', refreshResidency: 'always' }, balloonSysfs)).toBe("--refresh-residency is about the agent's answers: --policy kernel runs without an agent");
  });

  it('keeps the profiler within 5% of one CPU unless --scan-budget says otherwise; the kernel baseline has no profiler', () => {
    const o = { workload: 'course', size: '64M' };
    expect(planRun({ ...o, policy: 'balloon' }, meminfo, balloonSysfs).scanBudget).toBe(0.05);
    expect(planRun({ ...o, policy: 'balloon', scanBudget: '0.2' }, meminfo, balloonSysfs).scanBudget).toBe(0.2);
    expect(planRun({ ...o, policy: 'balloon', scanBudget: '12.5%' }, meminfo, balloonSysfs).scanBudget).toBe(0.125);
    expect(planRun({ ...o, policy: 'balloon', scanBudget: '100%' }, meminfo, balloonSysfs).scanBudget).toBe(1);
    expect(planRun({ ...o, policy: 'kernel' }, meminfo, balloonSysfs).scanBudget).toBeNull();
    expect(refusal({ ...o, policy: 'kernel', scanBudget: '0.1' }, balloonSysfs)).toBe("--scan-budget is about the agent's profiler: --policy kernel runs without an agent");
    for (const bad of ['0', '1.5', '101%', '-0.1', 'x', '', '5 %%']) {
      expect(refusal({ ...o, policy: 'balloon', scanBudget: bad }, balloonSysfs)).toBe(
        `--scan-budget must be a share of one CPU in (0, 1] or a percentage in (0, 100]%, got "${bad}"`,
      );
    }
  });
});
