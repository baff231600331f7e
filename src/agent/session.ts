import { BalloonController, DEFAULT_RESIDENCY_REFRESH, type ControllerOptionsInput } from './controller.js';
import type { KernelPort } from './kernel-port.js';
import type { ByteRange } from './page-state.js';
import type { EvictionPolicy } from './policies/policy.js';
import { AccessMapRecorder, type AccessMap } from './access-map.js';
import { AgentError } from './errors.js';
import { ProfiledMemory } from './profiled-memory.js';
import { Profiler, type ProfilerOptions } from './profiler.js';
import { ResidencyReader } from './residency.js';
import type { AdaptiveScanIntervalOptions } from './scan-interval.js';
import { ScanLoop } from './scan-loop.js';
import { ScanWorker } from './scan-worker.js';
import { StageTimer, timedPolicy, type StageTime } from './stage-timer.js';
import { threadCpuClock, type ThreadCpuClock, type ThreadCpuSource } from './thread-cpu.js';

export interface AgentSessionOptions {
  /** The kernel (src/kernel's createKernelPort(), or a fake). */
  kernel: KernelPort;
  /** The managed regions: page-aligned, anonymous memory of this process. */
  regions: readonly ByteRange[];
  policy: EvictionPolicy;
  /** Everything else the controller takes (deadline, memory gauge for the proactive mode, onAnswer…). */
  controller?: Omit<ControllerOptionsInput, 'policy'>;
  /** Profiler paths and I/O (default: /proc/self/pagemap and the page_idle bitmap). */
  profiler?: Partial<ProfilerOptions>;
  /**
   * Where the profiler scans: 'worker' (the default) runs it on a worker
   * thread (ScanWorker), so that a signal never waits behind a scan's
   * pagemap and page_idle I/O and the main thread only folds each scan into
   * the history; 'main' scans on the main thread (needed when
   * profiler.io is given: an I/O layer cannot cross threads).
   */
  scanThread?: ScanThread;
  /** The profiler's scan interval (default: adaptive, starting at 1 s, with profiling kept within 5% of one CPU: cpuBudget). */
  scanInterval?: Partial<AdaptiveScanIntervalOptions>;
  /** CPU clock of the agent's thread (default: /proc/thread-self; null: wall time only). */
  threadCpu?: ThreadCpuClock | null;
  /** Wall clock in ms for the timings (default: performance.now). */
  wallClock?: () => number;
  /**
   * Keeps the agent's per-page arrays resident (src/kernel's pinArrays:
   * mlock). Without it they are as swappable as the rest of the process,
   * and a late answer, which lets the kernel swap the process's cold pages,
   * can make every later selection fault them back in. With scanThread
   * 'worker', the worker pins its own arrays (src/kernel's pinArrays there)
   * whenever pin is given.
   */
  pin?: (arrays: readonly ArrayBufferView[]) => PinnedMemory;
  /**
   * Keeps the code the process runs resident (src/kernel's pinCode: mlock2
   * on fault of its file-backed mappings). While the process is registered
   * the kernel's own reclaim takes only file pages, and an agent whose code
   * is evicted answers at the speed of its page faults. Only with pin.
   */
  pinCode?: () => PinnedMemory;
}

export type ScanThread = 'main' | 'worker';

/** What a pin kept resident, and how to let go of it. */
export interface PinnedMemory {
  bytes: number;
  unpin(): void;
}

/** Whether the agent's arrays are resident: bytes pinned, or why not (null: no pin was asked for). */
export type AgentResidency = (({ pinnedBytes: number } | { pinnedBytes: 0; error: string }) & CodeResidency) | null;

/** Whether the agent's code is pinned (AgentSessionOptions.pinCode): the size of the ranges marked, or why not; absent when not asked for. */
export interface CodeResidency {
  codeBytes?: number;
  codeError?: string;
}

/**
 * Where the agent's thread spent its time: profiler scans and policy
 * selections (answers and proactive rounds), each counted, with wall time
 * and the thread's CPU time.
 */
export interface AgentTiming {
  /** Where cpuMs comes from (src/agent/thread-cpu.ts); null: no thread CPU clock, cpuMs are null. */
  cpuSource: ThreadCpuSource | null;
  /** Where the scans ran: on the main thread (scans include the history update), or on the profiler's worker. */
  scanThread: ScanThread;
  /** The scans, on the thread that ran them (the worker's CPU time with scanThread 'worker'). */
  scans: StageTime;
  /** With scanThread 'worker': folding each scan into the history, on the main thread (count 0 otherwise: the scans include it). */
  folds: StageTime;
  /** The policy's refresh after each scan (EvictionPolicy.prepare), on the main thread; count 0 for a policy without one. */
  prepares: StageTime;
  /** Residency read from pagemap between scans (ProfiledMemory.refreshResidency: before answers with ControllerOptions.refreshResidency 'arrivals', after an answer's selection that found no page with 'when-empty', before answers and proactive rounds with 'always'), on the main thread. */
  refreshes: StageTime;
  selections: StageTime;
}

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

/**
 * The balloon agent of one process, wired: the profiler over the regions,
 * its scan loop, and the controller that answers the kernel's signals (and
 * runs proactive rounds when given a memory gauge). The CLI, the benches and
 * the tests all start the agent through this.
 */
export class AgentSession {
  /** Errors that stopped the scan loop or an answer ("profiler: …", "controller: …"). */
  readonly errors: string[] = [];

  readonly scanLoop: ScanLoop;
  private stopping: Promise<void> | undefined;
  private pinned: PinnedMemory | undefined;
  private pinnedCode: PinnedMemory | undefined;
  /** Whether the profiler's, the history's and the policy's arrays are pinned (AgentSessionOptions.pin). */
  residency: AgentResidency = null;
  private readonly accessRecorder: AccessMapRecorder;

  private constructor(
    readonly memory: ProfiledMemory,
    readonly controller: BalloonController,
    policy: EvictionPolicy,
    scanInterval: Partial<AdaptiveScanIntervalOptions>,
    private readonly cpuSource: ThreadCpuSource | null,
    private readonly timers: { scans: StageTimer; folds: StageTimer; prepares: StageTimer; refreshes: StageTimer; selections: StageTimer },
  ) {
    this.accessRecorder = new AccessMapRecorder(memory.layout.pageCount);
    memory.onFold = (snapshot) => this.accessRecorder.record(snapshot.accessed);
    memory.timeRefresh = (work) => timers.refreshes.time(work);
    const source = memory.source;
    // After each scan the policy brings its order of victims up to date, so that answers only take from it.
    const prepared = <T>(stats: T): T => {
      if (policy.prepare !== undefined) timers.prepares.time(() => policy.prepare!(memory.history));
      return stats;
    };
    const scan =
      source instanceof ScanWorker
        ? async () => {
            const since = memory.releaseCount;
            const snapshot = await source.scan();
            timers.scans.add(source.lastCost.wallMs, source.lastCost.cpuMs);
            return prepared(timers.folds.time(() => memory.fold(snapshot, since)));
          }
        : () => prepared(timers.scans.time(() => memory.scan()));
    // What each scan cost, for the interval's CPU budget: the scan (on whichever thread), its fold and the refresh.
    const spent = (): number =>
      [timers.scans, timers.folds, timers.prepares].reduce((sum, timer) => {
        const t = timer.total;
        return sum + (t.cpuMs ?? t.wallMs);
      }, 0);
    let spentBefore = 0;
    const scanCost = (): number => {
      const now = spent();
      const cost = now - spentBefore;
      spentBefore = now;
      return cost;
    };
    this.scanLoop = new ScanLoop(scan, scanInterval, (error) => this.errors.push(`profiler: ${message(error)}`), undefined, scanCost);
  }

  /**
   * Starts the agent: the controller installs its signal listener and then
   * registers (see BalloonController.start), and the scan loop begins. On a
   * failure nothing is left behind.
   */
  static async start(options: AgentSessionOptions): Promise<AgentSession> {
    const scanThread = options.scanThread ?? (options.profiler?.io === undefined ? 'worker' : 'main');
    if (scanThread === 'worker' && options.profiler?.io !== undefined) {
      throw new AgentError('a profiler I/O layer cannot cross threads: give scanThread \'main\' with profiler.io', {});
    }
    const source =
      scanThread === 'worker'
        ? await ScanWorker.start(options.regions, { profiler: options.profiler ?? {}, pin: options.pin !== undefined })
        : new Profiler(options.regions, options.profiler);
    // Residency between scans unless the controller never reads it: its arrays are pinned with the rest.
    const residencyReader = (options.controller?.refreshResidency ?? DEFAULT_RESIDENCY_REFRESH) === 'never' ? undefined : new ResidencyReader(source.layout, options.profiler);
    const memory = new ProfiledMemory(source, residencyReader);
    let pinned: PinnedMemory | undefined;
    let pinnedCode: PinnedMemory | undefined;
    let residency: AgentResidency = null;
    try {
      if (options.pin !== undefined) {
        const arrays = [...memory.arrays(), ...(options.policy.reserve?.(memory.layout.pageCount) ?? [])];
        try {
          pinned = options.pin(arrays);
          residency = { pinnedBytes: pinned.bytes };
        } catch (error) {
          // Not fatal: the agent works, only slower once its arrays get swapped.
          residency = { pinnedBytes: 0, error: message(error) };
        }
        if (source instanceof ScanWorker && residency !== null && !('error' in residency)) {
          residency =
            source.pinError === undefined
              ? { pinnedBytes: residency.pinnedBytes + source.pinnedBytes }
              : { pinnedBytes: 0, error: `the profiler's worker: ${source.pinError}` };
        }
        if (options.pinCode !== undefined && residency !== null) {
          try {
            pinnedCode = options.pinCode();
            residency = { ...residency, codeBytes: pinnedCode.bytes };
          } catch (error) {
            residency = { ...residency, codeError: message(error) };
          }
        }
      }
      const cpu = options.threadCpu === undefined ? threadCpuClock() : options.threadCpu;
      const wall = options.wallClock ?? (() => performance.now());
      const cpuNow = cpu === null ? null : () => cpu.now();
      const timers = {
        scans: source instanceof ScanWorker ? new StageTimer(wall, null, source.cpuSource !== null) : new StageTimer(wall, cpuNow),
        folds: new StageTimer(wall, cpuNow),
        prepares: new StageTimer(wall, cpuNow),
        refreshes: new StageTimer(wall, cpuNow),
        selections: new StageTimer(wall, cpuNow),
      };
      const policy = timedPolicy(options.policy, timers.selections);
      const controller = new BalloonController(options.kernel, memory, { ...options.controller, policy });
      await controller.start();
      const session = new AgentSession(memory, controller, options.policy, options.scanInterval ?? {}, cpu?.source ?? null, timers);
      session.pinned = pinned;
      session.pinnedCode = pinnedCode;
      session.residency = residency;
      session.scanLoop.start();
      return session;
    } catch (error) {
      pinnedCode?.unpin();
      pinned?.unpin();
      await memory.close();
      throw error;
    }
  }

  /** Time in scans, folds, the policy's refreshes and selections so far. */
  get timing(): AgentTiming {
    return {
      cpuSource: this.cpuSource,
      scanThread: this.memory.source instanceof ScanWorker ? 'worker' : 'main',
      scans: this.timers.scans.total,
      folds: this.timers.folds.total,
      prepares: this.timers.prepares.total,
      refreshes: this.timers.refreshes.total,
      selections: this.timers.selections.total,
    };
  }

  /** The scans so far as an access map, time relative to startMs (Date.now() clock): what the report's heatmap draws. */
  accessMap(startMs: number): AccessMap {
    return this.accessRecorder.since(startMs);
  }

  /** Profiler scans so far. */
  get scans(): number {
    return this.scanLoop.scans;
  }

  /**
   * Stops scanning, lets the answer in progress (and calls past their
   * deadline) finish, unregisters, stops listening, and closes the profiler.
   * Later calls return the same promise.
   */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      const scanEnded = this.scanLoop.stop();
      try {
        await this.controller.stop();
      } finally {
        await scanEnded;
        this.pinnedCode?.unpin();
        this.pinnedCode = undefined;
        this.pinned?.unpin();
        this.pinned = undefined;
        await this.memory.close();
        if (this.controller.lastError !== undefined) this.errors.push(`controller: ${message(this.controller.lastError)}`);
      }
    })();
    return this.stopping;
  }
}

/**
 * Checks that the kernel takes a registration (so that a kernel without the
 * series fails at once, with its advice), without staying registered:
 * nothing listens for signals yet.
 */
export async function probeRegistration(kernel: KernelPort): Promise<void> {
  await kernel.register([]);
  await kernel.unregister();
}
