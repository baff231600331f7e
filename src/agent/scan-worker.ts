/**
 * Profiler scans off the main thread: a worker thread (scan-worker-thread.ts)
 * owns the Profiler and its files, and each scan's result (accessed, state)
 * arrives in arrays shared with the main thread. The main thread, which
 * takes the kernel's signals and answers them, only folds the result into
 * the access history (ProfiledMemory): an O(pages) pass over two byte
 * arrays instead of the pagemap walk and the page_idle bitmap reads and
 * writes, which take seconds under TCG.
 *
 * One scan at a time: the shared arrays are written by the worker only
 * between a "scan" request and its reply, and read by the main thread only
 * after the reply.
 */
import { Worker } from 'node:worker_threads';
import { workerUrl } from '../shared/worker-entry.js';
import { AgentError } from './errors.js';
import type { ByteRange } from './page-state.js';
import type { ProfilerOptions } from './profiler.js';
import { RegionLayout } from './region-layout.js';
import type { ScanSnapshot, ScanSource } from './profiled-memory.js';
import type { ThreadCpuSource } from './thread-cpu.js';

/** The profiler options a worker can take: paths and sizes (the I/O layer is always node:fs there). */
export type ScanWorkerProfilerOptions = Partial<Omit<ProfilerOptions, 'io'>>;

/** workerData of scan-worker-thread.ts. */
export interface ScanWorkerData {
  regions: readonly ByteRange[];
  profiler: ScanWorkerProfilerOptions;
  /** Keep the worker's per-page arrays resident (src/kernel's pinArrays, in the worker). */
  pin: boolean;
  accessed: SharedArrayBuffer;
  state: SharedArrayBuffer;
}

export type ScanWorkerRequest = { type: 'scan' } | { type: 'close' };

export type ScanWorkerReply =
  | { type: 'ready'; pinnedBytes: number; pinError?: string; cpuSource: ThreadCpuSource | null }
  | {
      type: 'scanned';
      scan: number;
      present: number;
      swapped: number;
      pfnChanged: number;
      thpPages: number;
      /** The scan's wall and CPU time in the worker (CPU: null without a thread CPU clock). */
      wallMs: number;
      cpuMs: number | null;
    }
  | { type: 'error'; message: string };

/** What a scan in the worker cost there. */
export interface WorkerScanCost {
  wallMs: number;
  cpuMs: number | null;
}

export interface ScanWorkerOptions {
  profiler?: ScanWorkerProfilerOptions;
  /** Pin the worker's arrays (mlock, as AgentSession's pin does on the main thread). */
  pin?: boolean;
}

export class ScanWorker implements ScanSource {
  readonly layout: RegionLayout;
  /** Bytes the worker pinned, or why it could not (set by start()). */
  pinnedBytes = 0;
  pinError: string | undefined;
  cpuSource: ThreadCpuSource | null = null;
  /** The cost in the worker of the last scan. */
  lastCost: WorkerScanCost = { wallMs: 0, cpuMs: null };
  private readonly snapshot: ScanSnapshot;
  private readonly worker: Worker;
  private waiting: { resolve: (reply: ScanWorkerReply) => void; reject: (error: Error) => void } | undefined;
  private failure: Error | undefined;
  private closed: Promise<void> | undefined;
  private readonly exited: Promise<void>;

  private constructor(regions: readonly ByteRange[], options: ScanWorkerOptions) {
    this.layout = new RegionLayout(regions);
    const n = this.layout.pageCount;
    const [accessed, state] = [new SharedArrayBuffer(n), new SharedArrayBuffer(n)];
    this.snapshot = { accessed: new Uint8Array(accessed), state: new Uint8Array(state) };
    const data: ScanWorkerData = { regions, profiler: options.profiler ?? {}, pin: options.pin ?? false, accessed, state };
    this.worker = new Worker(workerUrl(import.meta.url, 'scan-worker-thread'), { workerData: data });
    // Idle, the worker does not keep the process alive (an abandoned session must not hang
    // its exit); while the main thread waits for it (start, a scan, close) it does.
    this.worker.unref();
    this.worker.on('message', (reply: ScanWorkerReply) => this.settle(reply));
    this.worker.on('error', (error) => this.fail(error));
    this.exited = new Promise((resolve) => {
      this.worker.once('exit', (code) => {
        this.fail(new AgentError(`the profiler's worker thread exited (code ${code})`, { code }));
        resolve();
      });
    });
  }

  /** Starts the worker and waits until its profiler is open (and its arrays pinned, if asked). */
  static async start(regions: readonly ByteRange[], options: ScanWorkerOptions = {}): Promise<ScanWorker> {
    const scanWorker = new ScanWorker(regions, options);
    try {
      const ready = await scanWorker.next();
      if (ready.type !== 'ready') throw new AgentError(`the profiler's worker did not start: ${ready.type === 'error' ? ready.message : ready.type}`);
      scanWorker.pinnedBytes = ready.pinnedBytes;
      scanWorker.pinError = ready.pinError;
      scanWorker.cpuSource = ready.cpuSource;
      return scanWorker;
    } catch (error) {
      await scanWorker.close();
      throw error;
    }
  }

  /** The main thread's arrays: the shared snapshot (the worker pins its own). */
  arrays(): ArrayBufferView[] {
    return [];
  }

  /** One scan in the worker; resolves with the snapshot (valid until the next scan). */
  async scan(): Promise<ScanSnapshot> {
    if (this.closed !== undefined) throw new AgentError('the profiler\'s worker is closed');
    if (this.waiting !== undefined) throw new AgentError('a scan is already running in the profiler\'s worker');
    const reply = this.next();
    this.worker.postMessage({ type: 'scan' } satisfies ScanWorkerRequest);
    const r = await reply;
    if (r.type === 'error') throw new AgentError(r.message);
    if (r.type !== 'scanned') throw new AgentError(`unexpected reply from the profiler's worker: ${r.type}`);
    this.lastCost = { wallMs: r.wallMs, cpuMs: r.cpuMs };
    return this.snapshot;
  }

  /** Closes the profiler's files and ends the worker. Later calls return the same promise. */
  close(): Promise<void> {
    this.closed ??= (async () => {
      // The worker closes the profiler's files and exits; one that does not within 5 s is terminated.
      this.worker.ref();
      this.worker.postMessage({ type: 'close' } satisfies ScanWorkerRequest);
      const timer = setTimeout(() => void this.worker.terminate(), 5000);
      await this.exited;
      clearTimeout(timer);
    })();
    return this.closed;
  }

  private next(): Promise<ScanWorkerReply> {
    if (this.failure !== undefined) return Promise.reject(this.failure);
    this.worker.ref();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
    });
  }

  private settle(reply: ScanWorkerReply): void {
    const waiting = this.waiting;
    this.waiting = undefined;
    this.worker.unref();
    waiting?.resolve(reply);
  }

  private fail(error: Error): void {
    this.failure ??= error;
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting?.reject(error);
  }
}
