import { BalloonController, type ControllerOptionsInput } from './controller.js';
import type { KernelPort } from './kernel-port.js';
import type { ByteRange } from './page-state.js';
import type { EvictionPolicy } from './policies/policy.js';
import { ProfiledMemory } from './profiled-memory.js';
import type { ProfilerOptions } from './profiler.js';
import type { AdaptiveScanIntervalOptions } from './scan-interval.js';
import { ScanLoop } from './scan-loop.js';
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
  /** The profiler's scan interval (default: adaptive, starting at 1 s). */
  scanInterval?: Partial<AdaptiveScanIntervalOptions>;
  /** CPU clock of the agent's thread (default: /proc/thread-self; null: wall time only). */
  threadCpu?: ThreadCpuClock | null;
  /** Wall clock in ms for the timings (default: performance.now). */
  wallClock?: () => number;
  /**
   * Keeps the agent's per-page arrays resident (src/kernel's pinArrays:
   * mlock). Without it they are as swappable as the rest of the process,
   * and a late answer, which lets the kernel swap the process's cold pages,
   * can make every later selection fault them back in.
   */
  pin?: (arrays: readonly ArrayBufferView[]) => PinnedMemory;
}

/** What a pin kept resident, and how to let go of it. */
export interface PinnedMemory {
  bytes: number;
  unpin(): void;
}

/** Whether the agent's arrays are resident: bytes pinned, or why not (null: no pin was asked for). */
export type AgentResidency = { pinnedBytes: number } | { pinnedBytes: 0; error: string } | null;

/**
 * Where the agent's thread spent its time: profiler scans and policy
 * selections (answers and proactive rounds), each counted, with wall time
 * and the thread's CPU time.
 */
export interface AgentTiming {
  /** Where cpuMs comes from (src/agent/thread-cpu.ts); null: no thread CPU clock, cpuMs are null. */
  cpuSource: ThreadCpuSource | null;
  scans: StageTime;
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
  /** Whether the profiler's, the history's and the policy's arrays are pinned (AgentSessionOptions.pin). */
  residency: AgentResidency = null;

  private constructor(
    readonly memory: ProfiledMemory,
    readonly controller: BalloonController,
    scanInterval: Partial<AdaptiveScanIntervalOptions>,
    private readonly cpuSource: ThreadCpuSource | null,
    private readonly scanTimer: StageTimer,
    private readonly selectionTimer: StageTimer,
  ) {
    this.scanLoop = new ScanLoop(
      () => scanTimer.time(() => memory.scan()),
      scanInterval,
      (error) => this.errors.push(`profiler: ${message(error)}`),
    );
  }

  /**
   * Starts the agent: the controller installs its signal listener and then
   * registers (see BalloonController.start), and the scan loop begins. On a
   * failure nothing is left behind.
   */
  static async start(options: AgentSessionOptions): Promise<AgentSession> {
    const memory = new ProfiledMemory(options.regions, options.profiler);
    let pinned: PinnedMemory | undefined;
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
      }
      const cpu = options.threadCpu === undefined ? threadCpuClock() : options.threadCpu;
      const wall = options.wallClock ?? (() => performance.now());
      const cpuNow = cpu === null ? null : () => cpu.now();
      const [scanTimer, selectionTimer] = [new StageTimer(wall, cpuNow), new StageTimer(wall, cpuNow)];
      const policy = timedPolicy(options.policy, selectionTimer);
      const controller = new BalloonController(options.kernel, memory, { ...options.controller, policy });
      await controller.start();
      const session = new AgentSession(memory, controller, options.scanInterval ?? {}, cpu?.source ?? null, scanTimer, selectionTimer);
      session.pinned = pinned;
      session.residency = residency;
      session.scanLoop.start();
      return session;
    } catch (error) {
      pinned?.unpin();
      memory.close();
      throw error;
    }
  }

  /** Time in scans and selections so far. */
  get timing(): AgentTiming {
    return { cpuSource: this.cpuSource, scans: this.scanTimer.total, selections: this.selectionTimer.total };
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
      this.scanLoop.stop();
      try {
        await this.controller.stop();
      } finally {
        this.pinned?.unpin();
        this.pinned = undefined;
        this.memory.close();
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
