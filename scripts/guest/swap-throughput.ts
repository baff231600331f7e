/**
 * Runs inside the VM, as root, from the shared checkout:
 *   node --import tsx scripts/guest/swap-throughput.ts balloon|kernel MIB
 * and prints one JSON line. Measures how fast pages go to swap:
 *  - balloon: a registered process writes MIB of its memory, then hands all of
 *    it to balloon_swapout() in calls of at most 2^18 pages; the rate is pages
 *    freed over the time spent in the calls;
 *  - kernel: an unregistered process fills the free memory, then MIB more, so
 *    that kswapd and direct reclaim must write about MIB to swap; the rate is
 *    the pswpout increase over the time of that second phase.
 * scripts/bench-kernel.ts compares the two on the same guest.
 */
import { readFile } from 'node:fs/promises';
import { allocRegion, register, swapOut, unregister } from '../../src/kernel/index.js';

const pageSize = 4096;
const maxPagesPerCall = 1 << 18;

const vmstat = async (key: string): Promise<number> => {
  const m = new RegExp(`^${key} (\\d+)$`, 'm').exec(await readFile('/proc/vmstat', 'utf8'));
  if (!m) throw new Error(`/proc/vmstat has no ${key}`);
  return Number(m[1]);
};
const memAvailableMiB = async (): Promise<number> =>
  Number(/^MemAvailable:\s+(\d+) kB$/m.exec(await readFile('/proc/meminfo', 'utf8'))?.[1] ?? NaN) / 1024;

/** Writes one word in every page (distinct per page), so every page is dirty anonymous memory. */
function dirty(bytes: Uint8Array): void {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let off = 0; off < bytes.byteLength; off += pageSize) view.setUint32(off, off / pageSize + 1, true);
}

async function balloon(mib: number): Promise<Record<string, number | string>> {
  register();
  const region = allocRegion(mib << 20, { hugePages: 'nohuge' });
  dirty(region.bytes());
  const out0 = await vmstat('pswpout');
  let freed = 0;
  let kernelNs = 0n;
  let calls = 0;
  const started = process.hrtime.bigint();
  for (let off = 0n; off < BigInt(mib << 20); off += BigInt(maxPagesPerCall * pageSize)) {
    const len = BigInt(Math.min(maxPagesPerCall * pageSize, (mib << 20) - Number(off)));
    const r = await swapOut([[region.address + off, len]]);
    freed += r.freed;
    kernelNs += r.elapsedNs;
    calls++;
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const written = (await vmstat('pswpout')) - out0;
  unregister();
  region.free();
  return { mode: 'balloon', mib, calls, pagesFreed: freed, pagesWritten: written, seconds, kernelSeconds: Number(kernelNs) / 1e9, pagesPerSecond: freed / seconds };
}

async function kernel(mib: number): Promise<Record<string, number | string>> {
  const fillMiB = Math.max(0, Math.floor((await memAvailableMiB()) - 64));
  const first = allocRegion(fillMiB << 20, { hugePages: 'nohuge' });
  dirty(first.bytes());
  const out0 = await vmstat('pswpout');
  const started = process.hrtime.bigint();
  const second = allocRegion(mib << 20, { hugePages: 'nohuge' });
  dirty(second.bytes());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const written = (await vmstat('pswpout')) - out0;
  first.free();
  second.free();
  return { mode: 'kernel', mib, fillMiB, pagesWritten: written, seconds, pagesPerSecond: written / seconds };
}

const [mode, mibText] = process.argv.slice(2);
const mib = Number(mibText);
if ((mode !== 'balloon' && mode !== 'kernel') || !Number.isInteger(mib) || mib <= 0) {
  process.stderr.write('usage: swap-throughput.ts balloon|kernel MIB\n');
  process.exit(2);
}
process.stdout.write(`${JSON.stringify(mode === 'balloon' ? await balloon(mib) : await kernel(mib))}\n`);
