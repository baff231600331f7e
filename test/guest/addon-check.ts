/**
 * Runs inside the VM (as root, against the patched kernel) from the shared
 * checkout: node --import tsx /opt/app-balloon/test/guest/addon-check.ts
 * Exercises the addon against the real kernel and prints one JSON object that
 * test/e2e/addon.test.ts checks.
 */
import { readFile, writeFile } from 'node:fs/promises';
import {
  allocRegion,
  balloonSignalCount,
  isRegistered,
  kernelProbe,
  onBalloonSignal,
  register,
  swapOut,
  unregister,
  type BalloonSignal,
} from '../../src/kernel/index.js';

const sysfs = '/sys/kernel/mm/balloon';
const readNumber = async (name: string): Promise<number> => Number((await readFile(`${sysfs}/${name}`, 'utf8')).trim());
const vmSwapKiB = async (): Promise<number> => Number(/VmSwap:\s+(\d+)/.exec(await readFile('/proc/self/status', 'utf8'))?.[1] ?? NaN);

const report: Record<string, unknown> = { probe: kernelProbe() };

// Registration.
register();
register(); // twice is harmless
report.registered = isRegistered();

// A signal from the kernel: raise the threshold above free memory.
const signals: BalloonSignal[] = [];
const stop = onBalloonSignal((s) => signals.push(s));
const originalThreshold = await readNumber('threshold_pages');
const free = await readNumber('free_pages');
await writeFile(`${sysfs}/threshold_pages`, String(free + 16384));
const deadline = Date.now() + 20_000;
while (signals.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
await writeFile(`${sysfs}/threshold_pages`, String(originalThreshold));
const first = signals[0];
report.signal = first ? { pages: first.pages, freePages: first.freePages, fromKernel: first.fromKernel, count: balloonSignalCount() } : null;

// Swap-out of a region range, data intact afterwards.
const mib = 32;
const region = allocRegion(mib << 20, { hugePages: 'nohuge' });
// Every 32-bit word gets a value of its own (page number and word offset mixed), so a page that
// comes back zeroed, from another slot, shifted or torn anywhere is caught, not only its ends.
const words = new Uint32Array(region.bytes().buffer, region.bytes().byteOffset, (mib << 20) / 4);
const WORDS_PER_PAGE = 1024;
const stamp = (word: number): number => (Math.imul(Math.floor(word / WORDS_PER_PAGE) + 1, 0x9e3779b1) ^ (word % WORDS_PER_PAGE) * 0x85ebca6b) >>> 0;
for (let w = 0; w < words.length; w++) words[w] = stamp(w);
const swapBefore = await vmSwapKiB();
const half = BigInt((mib << 20) / 2);
const result = await swapOut([[region.address, half]]);
const swapAfter = await vmSwapKiB();
let badWords = 0;
for (let w = 0; w < words.length; w++) if (words[w] !== stamp(w)) badWords++;
report.swapOut = {
  freed: result.freed,
  pagesRequested: result.pagesRequested,
  pagesFreed: result.pagesFreed,
  vmSwapDeltaKiB: swapAfter - swapBefore,
  wordsChecked: words.length,
  badWords,
  intact: badWords === 0,
};
report.swapOutAfterReadBack = (await vmSwapKiB()) < swapAfter;

// Bad input is refused by the wrapper before any syscall: an unaligned range,
// and a range outside the process's live regions (the kernel's own checks of
// such ranges are covered by the series' selftests).
const refusal = async (ranges: [bigint, bigint][]): Promise<string> => {
  try {
    await swapOut(ranges);
    return 'accepted';
  } catch (err) {
    return (err as { code?: string }).code ?? `${(err as Error).name}: ${(err as Error).message}`;
  }
};
report.unaligned = await refusal([[region.address + 1n, 4096n]]);
report.unmapped = await refusal([[0x10000n, 4096n]]);

stop();
unregister();
report.registeredAfterUnregister = isRegistered();
try {
  await swapOut([[region.address, 4096n]]);
  report.unregisteredSwapOut = 'accepted';
} catch (err) {
  report.unregisteredSwapOut = (err as { code?: string }).code ?? String(err);
}
region.free();
process.stdout.write(`${JSON.stringify(report)}\n`);
