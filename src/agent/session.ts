import { BalloonController, type ControllerOptionsInput } from './controller.js';
import type { KernelPort } from './kernel-port.js';
import type { ByteRange } from './page-state.js';
import type { EvictionPolicy } from './policies/policy.js';
import { ProfiledMemory } from './profiled-memory.js';
import type { ProfilerOptions } from './profiler.js';
import type { AdaptiveScanIntervalOptions } from './scan-interval.js';
import { ScanLoop } from './scan-loop.js';

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

  private constructor(
    readonly memory: ProfiledMemory,
    readonly controller: BalloonController,
    scanInterval: Partial<AdaptiveScanIntervalOptions>,
  ) {
    this.scanLoop = new ScanLoop(
      () => memory.scan(),
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
    try {
      const controller = new BalloonController(options.kernel, memory, { ...options.controller, policy: options.policy });
      await controller.start();
      const session = new AgentSession(memory, controller, options.scanInterval ?? {});
      session.scanLoop.start();
      return session;
    } catch (error) {
      memory.close();
      throw error;
    }
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
