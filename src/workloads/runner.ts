/**
 * Runs a workload in a worker thread over a memory region: the addon's
 * anonymous mmap (shared with the worker by address) when the addon loads,
 * else a SharedArrayBuffer. The main thread stays free for the agent.
 */
import { Worker } from 'node:worker_threads';
import type { MemoryRegion } from '../kernel/index.js';
import { workerUrl } from '../shared/worker-entry.js';
import type { WorkloadSpec } from './definitions.js';
import type { IntegrityResult } from './pattern.js';
import { PAGE_BYTES } from './pattern.js';
import type { RegionHandle, WorkerCpu, WorkerJob, WorkerMessage } from './worker.js';

export type RegionKind = 'addon' | 'sab';

/** The memory a workload runs on, allocated on the main thread. */
export interface WorkloadRegion {
  kind: RegionKind;
  /** Start address (addon regions only): what the agent profiles and swaps out. */
  address: bigint | null;
  size: number;
  /** The words as the main thread sees them (tests corrupt pages through this). */
  words(): Uint32Array;
  handle(): RegionHandle;
  free(): void;
}

/**
 * Allocates `pages` pages: 'addon' = mmap through src/kernel (no transparent
 * huge pages, so the agent sees base pages), 'sab' = SharedArrayBuffer, 'auto'
 * = addon when it loads, else SharedArrayBuffer.
 */
export async function allocWorkloadRegion(pages: number, kind: RegionKind | 'auto' = 'auto'): Promise<WorkloadRegion> {
  const size = pages * PAGE_BYTES;
  let use: RegionKind = kind === 'auto' ? 'sab' : kind;
  const kernel = kind === 'sab' ? undefined : await import('../kernel/index.js');
  if (kind === 'auto' && kernel?.isAddonAvailable()) use = 'addon';
  if (use === 'addon') {
    const region: MemoryRegion = kernel!.allocRegion(size, { hugePages: 'nohuge' });
    return {
      kind: 'addon',
      address: region.address,
      size,
      words: () => new Uint32Array(region.buffer),
      handle: () => ({ kind: 'addon', address: region.address, size }),
      free: () => void region.free(),
    };
  }
  const buffer = new SharedArrayBuffer(size);
  return {
    kind: 'sab',
    address: null,
    size,
    words: () => new Uint32Array(buffer),
    handle: () => ({ kind: 'sab', buffer }),
    free: () => {},
  };
}

export interface RunWorkloadOptions {
  onProgress?: (done: number, total: number) => void;
  /** Called after the writes and before the check (tests use it to corrupt a page). */
  beforeVerify?: (region: WorkloadRegion) => void | Promise<void>;
  progressEveryMs?: number;
}

export interface WorkloadRunResult {
  references: number;
  /** Time the worker spent writing (ms). */
  runMs: number;
  verifyMs: number;
  integrity: IntegrityResult;
  /** The worker thread's own CPU time: the workload's, apart from the agent on the main thread. */
  cpu: WorkerCpu;
}

/** Runs `spec` on `region` in a worker; resolves when the check is done. */
export function runWorkload(spec: WorkloadSpec, region: WorkloadRegion, options: RunWorkloadOptions = {}): Promise<WorkloadRunResult> {
  if (region.size < spec.pages * PAGE_BYTES) {
    return Promise.reject(new RangeError(`region of ${region.size} bytes is smaller than the workload (${spec.pages} pages)`));
  }
  const job: WorkerJob = { spec, region: region.handle(), progressEveryMs: options.progressEveryMs ?? 500 };
  const worker = new Worker(workerUrl(import.meta.url, 'worker'), { workerData: { job } });
  return new Promise<WorkloadRunResult>((resolve, reject) => {
    let ran: { references: number; runMs: number } | undefined;
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    worker.on('message', (m: WorkerMessage) => {
      switch (m.type) {
        case 'progress':
          options.onProgress?.(m.done, m.total);
          break;
        case 'ran':
          ran = { references: m.references, runMs: m.runMs };
          Promise.resolve(options.beforeVerify?.(region)).then(
            () => worker.postMessage({ type: 'verify' }),
            fail,
          );
          break;
        case 'done':
          if (settled) return;
          settled = true;
          resolve({ references: ran?.references ?? 0, runMs: ran?.runMs ?? 0, verifyMs: m.verifyMs, integrity: m.integrity, cpu: m.cpu });
          break;
        case 'error':
          fail(new Error(`workload ${spec.name} failed in its worker: ${m.message}`));
          break;
      }
    });
    worker.on('error', fail);
    worker.on('exit', (code) => {
      if (!settled) fail(new Error(`workload ${spec.name}: worker exited with code ${code} before finishing`));
    });
  });
}
