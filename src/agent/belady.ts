import { AgentError } from './errors.js';
import { tracePageCount } from './trace.js';

/** Counts every simulator reports. */
export interface FaultCounts {
  references: number;
  /** First touches of a page (unavoidable). */
  coldMisses: number;
  /** Faults on pages that had been evicted before (swap-ins). */
  swapIns: number;
  /** Pages evicted (swap-outs). */
  swapOuts: number;
}

/** For every position, the position of the next reference to the same page (trace.length = never). */
export function nextUseIndices(trace: Uint32Array, pageCount = tracePageCount(trace)): Uint32Array {
  const next = new Uint32Array(trace.length);
  const seen = new Uint32Array(pageCount).fill(trace.length);
  for (let i = trace.length - 1; i >= 0; i--) {
    const page = trace[i]!;
    next[i] = seen[page]!;
    seen[page] = i;
  }
  return next;
}

/**
 * Belady's MIN (OPT): on a fault with memory full, evict the resident page
 * whose next use is farthest away. O(n log n): precomputed next-use indices
 * and a max-heap with lazy deletion (stale entries are skipped on pop).
 */
export function simulateMin(trace: Uint32Array, memoryPages: number): FaultCounts {
  if (!Number.isInteger(memoryPages) || memoryPages <= 0) {
    throw new AgentError('memory size must be a positive number of pages', { memoryPages });
  }
  const pageCount = tracePageCount(trace);
  const next = nextUseIndices(trace, pageCount);
  const resident = new Uint8Array(pageCount);
  const everLoaded = new Uint8Array(pageCount);
  const residentNext = new Uint32Array(pageCount);
  const heapKey = new Uint32Array(trace.length + 1);
  const heapPage = new Uint32Array(trace.length + 1);
  let heapSize = 0;

  const push = (key: number, page: number): void => {
    let i = heapSize++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (heapKey[parent]! >= key) break;
      heapKey[i] = heapKey[parent]!;
      heapPage[i] = heapPage[parent]!;
      i = parent;
    }
    heapKey[i] = key;
    heapPage[i] = page;
  };
  const popPage = (): number => {
    const top = heapPage[0]!;
    const key = heapKey[--heapSize]!;
    const page = heapPage[heapSize]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= heapSize) break;
      if (child + 1 < heapSize && heapKey[child + 1]! > heapKey[child]!) child++;
      if (heapKey[child]! <= key) break;
      heapKey[i] = heapKey[child]!;
      heapPage[i] = heapPage[child]!;
      i = child;
    }
    heapKey[i] = key;
    heapPage[i] = page;
    return top;
  };

  let residentCount = 0;
  const counts: FaultCounts = { references: trace.length, coldMisses: 0, swapIns: 0, swapOuts: 0 };
  for (let t = 0; t < trace.length; t++) {
    const page = trace[t]!;
    const nextUse = next[t]!;
    if (!resident[page]) {
      if (everLoaded[page]) counts.swapIns++;
      else counts.coldMisses++;
      if (residentCount >= memoryPages) {
        for (;;) {
          const key = heapKey[0]!;
          const victim = popPage();
          if (resident[victim] && residentNext[victim] === key) {
            resident[victim] = 0;
            residentCount--;
            counts.swapOuts++;
            break;
          }
        }
      }
      resident[page] = 1;
      everLoaded[page] = 1;
      residentCount++;
    }
    residentNext[page] = nextUse;
    push(nextUse, page);
  }
  return counts;
}
