import { AccessHistory } from './access-history.js';
import { simulateMin, type FaultCounts } from './belady.js';
import { AgentError } from './errors.js';
import { PageState } from './page-state.js';
import { createPolicy } from './policies/index.js';
import type { EvictionPolicy } from './policies/policy.js';
import { createReferencePolicy, NO_VICTIM, type ReferencePolicy } from './policies/reference/index.js';
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

/** Pages asked for per policy call: batchFraction × memory, at least 1. */
export function batchPages(memoryPages: number, batchFraction: number): number {
  return Math.max(1, Math.round(memoryPages * batchFraction));
}

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
  const batch = batchPages(o.memoryPages, o.batchFraction);
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

/**
 * Replays a reference string against a per-reference policy (an anchor:
 * LRU, ARC, LIRS) that manages `memoryPages` pages itself, one eviction per
 * fault like MIN. Checks what the policy does: it must evict exactly when a
 * fault finds memory full, and only a resident page.
 */
export function simulateReference(trace: Uint32Array, policy: ReferencePolicy | string, memoryPages: number): SimulationResult {
  if (!Number.isInteger(memoryPages) || memoryPages <= 0) {
    throw new AgentError('memory size must be a positive number of pages', { memoryPages });
  }
  const pageCount = tracePageCount(trace);
  const p = typeof policy === 'string' ? createReferencePolicy(policy, memoryPages, pageCount) : policy;
  const resident = new Uint8Array(pageCount);
  const everLoaded = new Uint8Array(pageCount);
  const result: SimulationResult = { policy: p.name, references: trace.length, coldMisses: 0, swapIns: 0, swapOuts: 0, policyCalls: 0, swapOutRanges: 0 };
  let residentCount = 0;
  for (let t = 0; t < trace.length; t++) {
    const page = trace[t]!;
    const victim = p.reference(page);
    if (resident[page]) {
      if (victim !== NO_VICTIM) throw new AgentError(`${p.name} evicted page ${victim} on a hit`, { page, victim, t });
      continue;
    }
    if (everLoaded[page]) result.swapIns++;
    else result.coldMisses++;
    if (residentCount >= memoryPages) {
      if (victim === NO_VICTIM || victim === page || !resident[victim]) {
        throw new AgentError(`${p.name} did not evict a resident page on a fault with memory full`, { page, victim, t });
      }
      resident[victim] = 0;
      residentCount--;
      result.swapOuts++;
    } else if (victim !== NO_VICTIM) {
      throw new AgentError(`${p.name} evicted page ${victim} with memory not full`, { page, victim, t });
    }
    resident[page] = 1;
    everLoaded[page] = 1;
    residentCount++;
  }
  result.policyCalls = result.swapOuts;
  result.swapOutRanges = result.swapOuts;
  return result;
}

/** Where a result row comes from. */
export type ComparisonKind = 'policy' | 'anchor' | 'min';

export interface ComparisonRow extends SimulationResult {
  kind: ComparisonKind;
  /** coldMisses + swapIns. */
  faults: number;
  /** swapIns / MIN's swapIns; null when MIN has no swap-in (then only the counts mean something). */
  swapInsToMin: number | null;
}

export interface ComparisonOptions extends Omit<SimulationOptions, 'onSwapIn'> {
  /** Agent policies (scan-based), by name, e.g. POLICY_NAMES. */
  policies: readonly string[];
  /** Per-reference anchors, by name, e.g. REFERENCE_POLICY_NAMES. */
  anchors: readonly string[];
  /** Called after each row (MIN first, as it is computed first), with how many of how many are done. */
  onRow?: ((row: ComparisonRow, done: number, total: number) => void) | undefined;
}

/** swapIns / minSwapIns, or null when MIN has none. */
export function ratioToMin(swapIns: number, minSwapIns: number): number | null {
  return minSwapIns === 0 ? null : swapIns / minSwapIns;
}

/**
 * One reference string against the agent's policies (scan-based, batched,
 * as the simulator plays the kernel), the per-reference anchors and MIN,
 * in that order; every row carries its swap-ins as a ratio to MIN's.
 */
export function comparePolicies(
  trace: Uint32Array,
  options: Partial<ComparisonOptions> & Pick<ComparisonOptions, 'memoryPages' | 'policies' | 'anchors'>,
): ComparisonRow[] {
  const { policies, anchors, onRow, ...simulation } = options;
  const total = policies.length + anchors.length + 1;
  let done = 0;
  const min = simulateBelady(trace, options.memoryPages);
  const row = (kind: ComparisonKind, r: SimulationResult): ComparisonRow => {
    const out: ComparisonRow = { ...r, kind, faults: r.coldMisses + r.swapIns, swapInsToMin: ratioToMin(r.swapIns, min.swapIns) };
    onRow?.(out, ++done, total);
    return out;
  };
  const minRow = row('min', min);
  return [
    ...policies.map((name) => row('policy', simulatePolicy(trace, createPolicy(name), simulation))),
    ...anchors.map((name) => row('anchor', simulateReference(trace, name, options.memoryPages))),
    minRow,
  ];
}

/** The targets an agent policy is held to (issue 13), as factors. */
export const POLICY_TARGETS = {
  /** Swap-ins at most this × the best per-reference anchor's (LRU, ARC, LIRS). */
  anchorFactor: 1.1,
  /** Where MIN > 0 and some anchor is within this × MIN, the policy must be too. */
  minFactor: 1.25,
} as const;

export interface TargetVerdict {
  /** The anchor with the fewest swap-ins. */
  bestAnchor: string;
  bestAnchorSwapIns: number;
  minSwapIns: number;
  /** swap-ins ≤ anchorFactor × the best anchor's. */
  withinBestAnchor: boolean;
  /** swap-ins ≤ lru-approx's. */
  notAboveLruApprox: boolean;
  /** swap-ins ≤ minFactor × MIN's; null when it does not apply (MIN = 0, or no anchor that close). */
  nearMin: boolean | null;
  ok: boolean;
}

/**
 * Checks a policy's swap-ins against the targets, given the anchors' and
 * MIN's rows (from comparePolicies) and lru-approx's swap-ins in the same
 * setting.
 */
export function checkTargets(policySwapIns: number, lruApproxSwapIns: number, rows: readonly ComparisonRow[]): TargetVerdict {
  const anchors = rows.filter((r) => r.kind === 'anchor');
  const min = rows.find((r) => r.kind === 'min');
  if (anchors.length === 0 || min === undefined) throw new AgentError('checkTargets needs the anchors and MIN', { rows: rows.map((r) => r.policy) });
  const best = anchors.reduce((a, b) => (b.swapIns < a.swapIns ? b : a));
  const withinBestAnchor = policySwapIns <= POLICY_TARGETS.anchorFactor * best.swapIns;
  const notAboveLruApprox = policySwapIns <= lruApproxSwapIns;
  const minApplies = min.swapIns > 0 && best.swapIns <= POLICY_TARGETS.minFactor * min.swapIns;
  const nearMin = minApplies ? policySwapIns <= POLICY_TARGETS.minFactor * min.swapIns : null;
  return {
    bestAnchor: best.policy,
    bestAnchorSwapIns: best.swapIns,
    minSwapIns: min.swapIns,
    withinBestAnchor,
    notAboveLruApprox,
    nearMin,
    ok: withinBestAnchor && notAboveLruApprox && nearMin !== false,
  };
}
