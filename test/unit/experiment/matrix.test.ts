import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/cli/errors.js';
import { matrixCells, mergeInputs, parseMatrixConfig, planMatrix, readMatrixConfig } from '../../../src/experiment/matrix.js';
import { guestInfoScript, parseGuestInfo, planScale, type GuestInfo } from '../../../src/experiment/preflight.js';
import { isLoopbackHost, parseTarget } from '../../../src/experiment/target.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-matrix-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('planMatrix', () => {
  it('takes comma lists, defaults the policies to all five and repetitions to 1', () => {
    const m = planMatrix({ workloads: 'course, zipf,course' });
    expect(m.workloads).toEqual(['course', 'zipf']);
    expect(m.policies).toEqual(['kernel', 'fifo', 'random', 'lru-approx', 'balloon']);
    expect(m.repetitions).toBe(1);
    expect(m.sizeBytes).toBeNull();
    expect(m.timeoutSeconds).toBe(1800);
  });

  it('parses sizes, rounding up to whole pages', () => {
    const m = planMatrix({ workloads: ['sweep'], size: '1000001', threshold: '64M', repetitions: '3', timeout: 60 });
    expect(m.sizeBytes).toBe(Math.ceil(1000001 / 4096) * 4096);
    expect(m.thresholdBytes).toBe(64 * 2 ** 20);
    expect(m.repetitions).toBe(3);
    expect(m.timeoutSeconds).toBe(60);
  });

  it.each([
    [{}, /no workloads given .*valid workloads: course, sweep, random, zipf, phases, strided, sweep-hot, mix/],
    [{ workloads: 'course,nope,zap' }, /unknown workloads "nope", "zap"; valid workloads: course, sweep/],
    [{ workloads: 'course', policies: 'lru' }, /unknown policy "lru"; valid policies: kernel, fifo, random, lru-approx, balloon/],
    [{ workloads: ' , ' }, /workloads is empty/],
    [{ workloads: 'course', repetitions: '0' }, /repetitions must be a positive integer, got "0"/],
    [{ workloads: 'course', repetitions: '1.5' }, /repetitions must be a positive integer/],
    [{ workloads: 'course', timeout: '-5' }, /timeout must be a positive integer/],
    [{ workloads: 'course', size: '0' }, /size must be positive/],
    [{ workloads: 'course', size: 'lots' }, /size "lots" is not a size/],
    [{ workloads: 'course', size: '8K' }, /too small: every workload needs at least 16 pages/],
    [{ workloads: 'sweep', size: '1T', passes: '1000' }, /more than 1073741824; use fewer passes or a smaller size/],
  ])('refuses %j', (input, message) => {
    expect(() => planMatrix(input)).toThrow(UsageError);
    expect(() => planMatrix(input)).toThrow(message);
  });

  it('runs repetition by repetition, every policy of a workload side by side', () => {
    const cells = matrixCells({ workloads: ['course', 'zipf'], policies: ['kernel', 'balloon'], repetitions: 2 });
    expect(cells.map((c) => `${c.index}:${c.workload}/${c.policy}#${c.rep}`)).toEqual([
      '0:course/kernel#1', '1:course/balloon#1', '2:zipf/kernel#1', '3:zipf/balloon#1',
      '4:course/kernel#2', '5:course/balloon#2', '6:zipf/kernel#2', '7:zipf/balloon#2',
    ]);
  });
});

describe('config file', () => {
  it('reads a JSON config; command-line values win', async () => {
    const file = path.join(tmp, 'm.json');
    writeFileSync(file, JSON.stringify({ workloads: ['course', 'sweep'], policies: 'kernel,balloon', repetitions: 2, size: '64M', timeoutSeconds: 90 }));
    const m = planMatrix(mergeInputs(await readMatrixConfig(file), { repetitions: '5' }));
    expect(m).toMatchObject({ workloads: ['course', 'sweep'], policies: ['kernel', 'balloon'], repetitions: 5, sizeBytes: 64 * 2 ** 20, timeoutSeconds: 90 });
  });

  it.each([
    ['{', /is not valid JSON/],
    ['[1]', /must hold a JSON object with keys workloads, policies/],
    ['{"workload": ["course"]}', /unknown key "workload"; valid keys: workloads, policies, repetitions/],
    ['{"workloads": [1, 2]}', /"workloads" must be a list of names/],
    ['{"workloads": "course", "size": {"x": 1}}', /"size" must be a number or a string/],
  ])('refuses %s', (text, message) => {
    expect(() => parseMatrixConfig(text, 'm.json')).toThrow(message);
  });

  it('names a missing file', async () => {
    await expect(readMatrixConfig(path.join(tmp, 'none.json'))).rejects.toThrow(/cannot read config file .*none\.json: ENOENT/);
  });
});

describe('targets', () => {
  it.each([
    ['vm', { kind: 'vm', instance: 'vm' }],
    ['vm:bench', { kind: 'vm', instance: 'bench' }],
    ['ssh://vagrant@127.0.0.1:2222', { kind: 'ssh', user: 'vagrant', host: '127.0.0.1', port: 2222 }],
    ['ssh://root@localhost', { kind: 'ssh', user: 'root', host: '127.0.0.1', port: 22 }],
    ['ssh://me@[::1]:22', { kind: 'ssh', user: 'me', host: '::1', port: 22 }],
  ])('parses %s', (text, spec) => {
    expect(parseTarget(text)).toEqual(spec);
  });

  it.each([
    ['ssh://vagrant@192.168.121.5:22', /only loopback destinations \(127\.0\.0\.1, localhost\) are allowed/],
    ['ssh://vagrant@example.org', /only loopback destinations/],
    ['ssh://127.0.0.1:22', /expected ssh:\/\/USER@127\.0\.0\.1:PORT/],
    ['ssh://u@127.0.0.1:99999', /port must be 1-65535/],
    ['ssh://-oProxyJump=10.0.0.1,x@127.0.0.1:22', /the user name "-oProxyJump=10\.0\.0\.1,x" starts with "-"/],
    ['ssh://vagrant@127.0.0.1.example.org:22', /only loopback destinations/],
    ['vm:../x', /not a VM instance name/],
    ['docker', /expected vm, vm:INSTANCE, vagrant, vagrant:MACHINE or ssh:\/\/USER@127\.0\.0\.1:PORT/],
  ])('refuses %s', (text, message) => {
    expect(() => parseTarget(text)).toThrow(message);
  });

  it('knows loopback hosts', () => {
    expect(['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'].every(isLoopbackHost)).toBe(true);
    expect(['10.0.0.1', '128.0.0.1', 'localhost.example', '0.0.0.0'].some(isLoopbackHost)).toBe(false);
  });
});

const MiB = 2 ** 20;
const guestOutput = [
  '@@balloon-section uname', 'Linux vm 5.11.5-balloon #1 SMP x86_64 GNU/Linux',
  '@@balloon-section cmdline', 'console=ttyS0 root=/dev/vda',
  '@@balloon-section meminfo', `MemTotal:        ${2048 * 1024} kB`, `MemFree:         ${1800 * 1024} kB`, `MemAvailable:    ${1900 * 1024} kB`, `SwapTotal:       ${4096 * 1024} kB`,
  '@@balloon-section balloon', '644 threshold_bytes 1073741824 ', '444 signals_sent 12 ', '200 enabled 1 ',
  '@@balloon-section node', 'v20.20.2',
  '@@balloon-section project', 'yes',
].join('\n');

describe('preflight', () => {
  it('parses what the guest script prints', () => {
    const g = parseGuestInfo(guestOutput);
    expect(g).toMatchObject({
      uname: 'Linux vm 5.11.5-balloon #1 SMP x86_64 GNU/Linux',
      cmdline: 'console=ttyS0 root=/dev/vda',
      memTotalBytes: 2048 * MiB,
      swapTotalBytes: 4096 * MiB,
      memAvailableBytes: 1900 * MiB,
      balloon: { tunables: { threshold_bytes: '1073741824', enabled: '1' }, counters: { signals_sent: '12' } },
      node: 'v20.20.2',
      hasProject: true,
    });
    expect(guestInfoScript('/opt/app-balloon')).toContain('/sys/kernel/mm/balloon/*');
  });

  it('fixes the size and threshold for the guest, refusing impossible ones', () => {
    const g: GuestInfo = parseGuestInfo(guestOutput);
    const scale = planScale(planMatrix({ workloads: 'course' }), g);
    expect(scale.sizeBytes).toBe(2560 * MiB); // 1.25 x MemTotal
    expect(scale).toMatchObject({ thresholdBytes: 2 ** 30, thresholdSource: 'sysfs', simulatedMemoryPages: (1900 - 1024) * 256 });
    expect(() => planScale(planMatrix({ workloads: 'course', size: '7G' }), g)).toThrow(/size 7 GiB is bigger than RAM \+ swap \(2 GiB \+ 4 GiB\).*guest/);
    expect(() => planScale(planMatrix({ workloads: 'course', size: '1G', threshold: '3G' }), g)).toThrow(/threshold 3 GiB is not below the guest's memory/);
  });
});
