/**
 * Runs inside the VM, as root, from the shared checkout:
 *   node --import tsx scripts/guest/swap-throughput.ts balloon|kernel MIB [--call-pages N] [--busy N] [--alloc MIB]
 * and prints one JSON line. Measures how fast pages go to swap:
 *  - balloon: a registered process writes MIB of its memory, then hands all of
 *    it to balloon_swapout() in calls of at most N pages (2^18 by default; the
 *    agent's calls carry up to 8,192); the rate is pages freed over the time
 *    spent in the calls;
 *  - kernel: an unregistered process fills the free memory, then MIB more, so
 *    that kswapd and direct reclaim must write about MIB to swap; the rate is
 *    the pswpout increase over the time of that second phase.
 * During the measured phase, --busy N runs N processes that spin on the CPU,
 * and --alloc MIB a thread of the measuring process that writes MIB of new
 * memory as fast as it can (the workload's first write beside an agent's
 * answer: memory runs short while the calls run); the JSON then says how
 * much it wrote, the lowest MemFree seen and the kernel's fallback pages.
 * scripts/bench-kernel.ts compares the two on the same guest.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Worker } from 'node:worker_threads';
import { SWAPOUT_MAX_PAGES_PER_CALL } from '../../src/agent/kernel-port.js';
import { orExit, parseScriptOptions, wholeOption } from '../../src/harness/cli.js';
import { HarnessError } from '../../src/harness/errors.js';
import { allocRegion, readBalloonSysfsValue, register, swapOut, unregister } from '../../src/kernel/index.js';
import { readFreeBytes, readMeminfo, readVmstat } from '../../src/metrics/system.js';

const pageSize = 4096;

/** A /proc/vmstat counter, which must be there. */
const vmstat = (key: string): number => {
  const value = readVmstat()[key];
  if (value === undefined) throw new Error(`/proc/vmstat has no ${key}`);
  return value;
};
const memAvailableMiB = (): number => (readMeminfo()['MemAvailable'] ?? NaN) / 2 ** 20;

/** Writes one word in every page (distinct per page), so every page is dirty anonymous memory. */
function dirty(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off < bytes.byteLength; off += pageSize) view.setUint32(off, off / pageSize + 1, true);
}

async function balloon(mib: number, callPages: number, busyCount: number, allocMiB: number): Promise<Record<string, number | string | null>> {
  register();
  const region = allocRegion(mib << 20, { hugePages: 'nohuge' });
  dirty(region.bytes());
  const out0 = vmstat('pswpout');
  let freed = 0;
  let kernelNs = 0n;
  let calls = 0;
  const callMs: number[] = [];
  const fallback0 = Number(await readBalloonSysfsValue('fallback_pages'));
  const busy = spinners(busyCount);
  const alloc = allocator(allocMiB);
  const started = process.hrtime.bigint();
  for (let off = 0n; off < BigInt(mib << 20); off += BigInt(callPages * pageSize)) {
    const len = BigInt(Math.min(callPages * pageSize, (mib << 20) - Number(off)));
    const r = await swapOut([[region.address + off, len]]);
    freed += r.freed;
    kernelNs += r.elapsedNs;
    callMs.push(Number(r.elapsedNs) / 1e6);
    calls++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  stop(busy);
  const allocated = await alloc.stop();
  const fallbackPages = Number(await readBalloonSysfsValue('fallback_pages')) - fallback0;
  const written = vmstat('pswpout') - out0;
  unregister();
  region.free();
  return { mode: 'balloon', mib, callPages, busy: busyCount, allocMiB, allocatedPages: allocated.pages, minMemFreeMiB: allocated.minFreeMiB, fallbackPages, calls, pagesFreed: freed, pagesWritten: written, seconds, kernelSeconds: Number(kernelNs) / 1e9, firstCallMs: callMs[0] ?? 0, medianCallMs: [...callMs].sort((a, b) => a - b)[callMs.length >> 1] ?? 0, pagesPerSecond: freed / seconds };
}

async function kernel(mib: number, busyCount: number): Promise<Record<string, number | string | null>> {
  const fillMiB = Math.max(0, Math.floor(memAvailableMiB() - 64));
  const first = allocRegion(fillMiB << 20, { hugePages: 'nohuge' });
  dirty(first.bytes());
  const out0 = vmstat('pswpout');
  const busy = spinners(busyCount);
  const started = process.hrtime.bigint();
  const second = allocRegion(mib << 20, { hugePages: 'nohuge' });
  dirty(second.bytes());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  stop(busy);
  const written = vmstat('pswpout') - out0;
  first.free();
  second.free();
  return { mode: 'kernel', mib, fillMiB, busy: busyCount, pagesWritten: written, seconds, pagesPerSecond: written / seconds };
}

/**
 * A thread that writes one word in each page of `mib` of new memory, as fast
 * as it can, until stopped; the main thread samples MemFree meanwhile.
 */
function allocator(mib: number): { stop(): Promise<{ pages: number; minFreeMiB: number | null }> } {
  if (mib === 0) return { stop: async () => ({ pages: 0, minFreeMiB: null }) };
  const done = new Int32Array(new SharedArrayBuffer(8));
  const worker = new Worker(
    `const { workerData } = require('node:worker_threads');
     const done = workerData.done;
     const mem = new Int32Array(new SharedArrayBuffer(workerData.bytes));
     for (let w = 0; w < mem.length && Atomics.load(done, 0) === 0; w += 1024) { mem[w] = w + 1; Atomics.store(done, 1, (w >> 10) + 1); }`,
    { eval: true, workerData: { done, bytes: mib << 20 } },
  );
  const exited = new Promise((resolve, reject) => worker.once('exit', resolve).once('error', reject));
  let minFreeMiB = Number.POSITIVE_INFINITY;
  const sample = setInterval(() => {
    minFreeMiB = Math.min(minFreeMiB, readFreeBytes() / 2 ** 20);
  }, 50);
  return {
    async stop() {
      clearInterval(sample);
      Atomics.store(done, 0, 1);
      await exited;
      return { pages: Atomics.load(done, 1), minFreeMiB: Number.isFinite(minFreeMiB) ? Math.round(minFreeMiB) : null };
    },
  };
}

/** Processes that spin on the CPU until stopped. */
function spinners(n: number): ChildProcess[] {
  return Array.from({ length: n }, () => spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' }));
}

function stop(children: ChildProcess[]): void {
  for (const c of children) c.kill('SIGKILL');
}

const USAGE_HINT = `Usage: swap-throughput.ts balloon|kernel MIB [--call-pages 1..${SWAPOUT_MAX_PAGES_PER_CALL}] [--busy N] [--alloc MIB (balloon only)].`;
const { values, positionals } = parseScriptOptions('swap-throughput', USAGE_HINT, {
  allowPositionals: true,
  options: { 'call-pages': { type: 'string', default: String(SWAPOUT_MAX_PAGES_PER_CALL) }, busy: { type: 'string', default: '0' }, alloc: { type: 'string', default: '0' } },
});
const [mode, mib, callPages, busyCount, allocMiB] = orExit('swap-throughput', (): ['balloon' | 'kernel', number, number, number, number] => {
  const [m, mibText = ''] = positionals;
  if ((m !== 'balloon' && m !== 'kernel') || positionals.length !== 2) throw new HarnessError(`expected balloon|kernel and MIB, got "${positionals.join(' ')}".`, USAGE_HINT);
  const pages = wholeOption('--call-pages', values['call-pages'], 1, USAGE_HINT);
  if (pages > SWAPOUT_MAX_PAGES_PER_CALL) throw new HarnessError(`--call-pages must be at most ${SWAPOUT_MAX_PAGES_PER_CALL}, got "${values['call-pages']}".`, USAGE_HINT);
  const alloc = wholeOption('--alloc', values.alloc, 0, USAGE_HINT);
  if (alloc > 0 && m !== 'balloon') throw new HarnessError('--alloc is for balloon runs only.', USAGE_HINT);
  return [m, wholeOption('MIB', mibText, 1, USAGE_HINT), pages, wholeOption('--busy', values.busy, 0, USAGE_HINT), alloc];
});
process.stdout.write(`${JSON.stringify(mode === 'balloon' ? await balloon(mib, callPages, busyCount, allocMiB) : await kernel(mib, busyCount))}\n`);
