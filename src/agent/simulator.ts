import { AccessHistory } from './access-history.js';
import { simulateMin, type FaultCounts } from './belady.js';
import { AgentError } from './errors.js';
import { PageState } from './page-state.js';
import type { EvictionPolicy } from './policies/policy.js';
import { tracePageCount } from './trace.js';

export interface SimulationOptions {
  memoryPages: number;
  /** References between two simulated profiler scans (the scan interval). */
  scanEveryReferences: number;
  /**
   * Pages requested per policy call when memory is full, as a fraction of
   * memory (the controller's pagesWanted + hysteresis); at least 1 page.
   */
  batchFraction: number;
  /** Called on every swap-in (fault on a page evicted before), e.g. to attribute faults to pages. */
  onSwapIn?: (page: number, reference: number) => void;
}

export const DEFAULT_SIMULATION_OPTIONS: Omit<SimulationOptions, 'memoryPages' | 'onSwapIn'> = {
  scanEveryReferences: 256,
  batchFraction: 1 / 32,
};

export interface SimulationResult extends FaultCounts {
  policy: string;
  /** Policy calls (one per batch = one balloon answer). */
  policyCalls: number;
  /** Ranges returned = swap-out calls an uncapped controller would make. */
  swapOutRanges: number;
}

/**
 * Replays a reference string against a policy. The simulator plays the
 * kernel: it sets a referenced bit on every access, runs a "scan" every
 * `scanEveryReferences` references (feeding AccessHistory exactly as the
 * profiler would), and when a fault finds memory full asks the policy for a
 * batch of victims, like the controller answering a balloon signal.
 */
export function simulatePolicy(
  trace: Uint32Array,
  policy: EvictionPolicy,
  options: Partial<SimulationOptions> & Pick<SimulationOptions, 'memoryPages'>,
): SimulationResult {
  const o: SimulationOptions = { ...DEFAULT_SIMULATION_OPTIONS, ...options };
  if (!Number.isInteger(o.memoryPages) || o.memoryPages <= 0 || o.scanEveryReferences <= 0) {
    throw new AgentError('invalid simulation options', { ...o });
  }
  const pageCount = tracePageCount(trace);
  const history = new AccessHistory(pageCount);
  const state = history.state;
  const referenced = new Uint8Array(pageCount);
  const everLoaded = new Uint8Array(pageCount);
  const batch = Math.max(1, Math.round(o.memoryPages * o.batchFraction));
  const result: SimulationResult = {
    policy: policy.name,
    references: trace.length,
    coldMisses: 0,
    swapIns: 0,
    swapOuts: 0,
    policyCalls: 0,
    swapOutRanges: 0,
  };
  let resident = 0;
  let sinceScan = 0;
  for (let t = 0; t < trace.length; t++) {
    const page = trace[t]!;
    referenced[page] = 1;
    if (state[page] !== PageState.Present) {
      if (everLoaded[page]) {
        result.swapIns++;
        o.onSwapIn?.(page, t);
      } else result.coldMisses++;
      if (resident >= o.memoryPages) {
        const ranges = policy.selectVictims(history, batch);
        result.policyCalls++;
        result.swapOutRanges += ranges.length;
        let freed = 0;
        for (const range of ranges) {
          for (let victim = range.first; victim < range.first + range.count; victim++) {
            if (state[victim] !== PageState.Present) {
              throw new AgentError(`policy ${policy.name} chose a page that is not present`, { page: victim, t });
            }
            history.markSwapped(victim);
            freed++;
          }
        }
        if (freed === 0) throw new AgentError(`policy ${policy.name} freed nothing with memory full`, { t, resident });
        resident -= freed;
        result.swapOuts += freed;
      }
      history.markLoaded(page);
      everLoaded[page] = 1;
      resident++;
    }
    if (++sinceScan === o.scanEveryReferences) {
      history.update(referenced, state);
      referenced.fill(0);
      sinceScan = 0;
    }
  }
  return result;
}

/** MIN in the same result shape (one eviction per fault; no calls). */
export function simulateBelady(trace: Uint32Array, memoryPages: number): SimulationResult {
  const counts = simulateMin(trace, memoryPages);
  return { policy: 'min', ...counts, policyCalls: counts.swapOuts, swapOutRanges: counts.swapOuts };
}
