/**
 * What one `balloon run` reports (its JSON), and the policy names and
 * defaults that runs, experiments and reports share.
 */
import { POLICY_NAMES, type AccessMap, type AgentResidency, type AnswerRecord, type ControllerStats, type ResidencyRefresh } from '../agent/index.js';
import type { FreeMemorySample, RunCpuBreakdown, SignalLatencySummary, SwapDevice } from '../metrics/index.js';
import type { IntegrityResult, RegionKind } from '../workloads/index.js';

/** The policy name of a run without the agent: the kernel's own swapping. */
export const BASELINE_POLICY = 'kernel';
export const RUN_POLICY_NAMES: readonly string[] = [BASELINE_POLICY, ...POLICY_NAMES];

/** Kernel's default threshold (kernel-patch/README.md: "default 1 GiB worth"). */
export const DEFAULT_THRESHOLD_BYTES = 1 << 30;

export interface RunResult {
  workload: string;
  policy: string;
  region: RegionKind;
  sizeBytes: number;
  pages: number;
  passes: number;
  seed: number;
  references: number;
  thresholdBytes: number;
  thresholdSource: 'option' | 'sysfs' | 'default';
  wallMs: number;
  runMs: number;
  verifyMs: number;
  cpu: { userMs: number; systemMs: number; totalMs: number };
  /**
   * The same CPU time by thread: the workload's worker, the agent's thread
   * (scans, selections, the rest) and the process's other threads
   * (src/metrics/cpu-breakdown.ts says what each includes). Absent from
   * results recorded before it existed.
   */
  cpuBreakdown?: RunCpuBreakdown;
  majorFaults: number;
  minorFaults: number;
  /**
   * The guest's swap and fault counters (and the swap devices' busy time)
   * over the workload's references, up to the check of its pages: since
   * 2026-12-01; older results include the check.
   */
  pswpin: number;
  pswpout: number;
  pgmajfault: number;
  vmstat: Record<string, number>;
  swapDevices: SwapDevice[];
  swapBusyMs: number;
  /**
   * The same counters over the check after the references (every page read
   * back and compared, while the agent still answers): reading back the pages
   * in swap costs any policy about the same, so it is kept apart. Null when
   * the workload ended before its check; absent in older results.
   */
  verifySwap?: { pswpin: number; pswpout: number; pgmajfault: number } | null;
  /** Against the same budget for every policy: MemFree plus the bystander's held bytes (src/metrics/deficit.ts). */
  thresholdDeficitMiBs: number;
  /** This process's peak resident set (getrusage ru_maxrss): the memory the workload had at most; MIN is simulated with it. */
  peakResidentBytes: number;
  freeMemory: { intervalMs: number; samples: number; minFreeBytes: number | null; series: FreeMemorySample[] };
  /** The agent's mode: proactive (the default) or reactive (`--reactive`); null for the kernel baseline; absent in older results. */
  mode?: 'proactive' | 'reactive' | null;
  /** The share of one CPU the agent's profiling might take (`--scan-budget`); null for the kernel baseline; absent in older results. */
  scanBudget?: number | null;
  /**
   * How the agent read residency from pagemap between scans (`--refresh-residency`): 'never', 'when-empty', 'arrivals' or 'always';
   * null for the kernel baseline; absent in older results, and true/false in results from before the modes (true: 'always', false: 'never').
   */
  refreshResidency?: ResidencyRefresh | boolean | null;
  sigballoonCount: number;
  swapOutCalls: number;
  pagesRequested: number;
  pagesFreed: number;
  controller: ControllerStats | null;
  /** Each answer to a signal, times in ms since the workload started, with free memory right after it. */
  answers: RunAnswer[];
  /**
   * Percentiles of each answer's stages (listener, victims chosen, first call,
   * last call returned…) in ms after the signal's send, and the pages asked
   * against those freed (src/metrics/signal-latency.ts); null without a timed
   * answer (kernel baseline, no signal). Absent from results recorded before it existed.
   */
  signalLatency?: SignalLatencySummary | null;
  scans: number | null;
  /**
   * The profiler's scans during the run as an access map (per scan, the
   * pages accessed in each bucket of pages; src/agent/access-map.ts): what
   * the report's heatmap draws. Null for the kernel baseline. Absent from
   * results recorded before it existed.
   */
  accessMap?: AccessMap | null;
  /**
   * Whether the agent's per-page arrays were kept resident (mlock): the bytes
   * pinned, or why they could not be (then they were swappable); null for the
   * kernel baseline and with `--no-pin`. Absent from results recorded before it existed.
   */
  agentResidency?: AgentResidency;
  agentErrors: string[];
  integrity: IntegrityResult;
  kernelCounters: Record<string, number> | null;
  kernelCountersError: string | null;
  bystander: { method: 'mlock' | 'ramfs'; bytes: number } | null;
  traceFile: string | null;
}

/** Fields of AnswerRecord that results recorded before them lack. */
type LaterAnswerFields = 'pagesAsked' | 'coalesced' | 'signalSeq' | 'followUp' | 'sentByPosition' | 'latency';

export interface RunAnswer extends Omit<AnswerRecord, 'sentAt' | 'startedAt' | 'endedAt' | 'firstCallAt' | LaterAnswerFields>, Partial<Pick<AnswerRecord, LaterAnswerFields>> {
  /** When the kernel sent the signal answered, and when the answer started, sent its first call, and ended. */
  sentMs: number;
  startMs: number;
  firstCallMs: number | null;
  endMs: number;
  /** MemFree when the signal was raised (from the signal) and right after the answer. */
  freeBytesAtSignal: number;
  freeBytesAfter: number | null;
}
