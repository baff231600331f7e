/**
 * Worker-thread side of a workload run: builds the reference string, writes
 * the region, reports, waits for "verify", checks every page and reports
 * again. Started by runner.ts (through src/shared/ts-worker-bootstrap.mjs when run from
 * TypeScript sources).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { threadCpuClock, type ThreadCpuSource } from '../agent/thread-cpu.js';
import { referenceString, type WorkloadSpec } from './definitions.js';
import { applyReferences, verifyRegion, WORDS_PER_PAGE } from './pattern.js';

export type RegionHandle = { kind: 'sab'; buffer: SharedArrayBuffer } | { kind: 'addon'; address: bigint; size: number };

export interface WorkerJob {
  spec: WorkloadSpec;
  region: RegionHandle;
  /** Period of progress messages (ms). */
  progressEveryMs: number;
}

/** The worker thread's own CPU time (ms; src/agent/thread-cpu.ts), null where /proc tells none. */
export interface WorkerCpu {
  source: ThreadCpuSource | null;
  /** Writing the references, and checking the pages. */
  runMs: number | null;
  verifyMs: number | null;
  /** Everything the thread used, from its start (loading, building the reference string) to the end of the check. */
  threadMs: number | null;
}

export type WorkerMessage =
  | { type: 'progress'; done: number; total: number }
  | { type: 'ran'; references: number; runMs: number }
  | { type: 'done'; integrity: ReturnType<typeof verifyRegion>; verifyMs: number; cpu: WorkerCpu }
  | { type: 'error'; message: string };

if (parentPort === null) throw new Error('src/workloads/worker.ts must run in a worker thread');
const port: NonNullable<typeof parentPort> = parentPort;

const job = (workerData as { job: WorkerJob }).job;
const send = (m: WorkerMessage): void => port.postMessage(m);

async function main(): Promise<void> {
  const { spec, region } = job;
  let words: Uint32Array;
  let release: () => void = () => {};
  if (region.kind === 'sab') {
    words = new Uint32Array(region.buffer);
  } else {
    const { attachRegion } = await import('../kernel/index.js');
    const r = attachRegion(region.address);
    words = new Uint32Array(r.buffer);
    release = () => void r.release();
  }
  try {
    if (words.length < spec.pages * WORDS_PER_PAGE) throw new Error(`region holds ${words.length / WORDS_PER_PAGE} pages, the workload needs ${spec.pages}`);
    const trace = referenceString(spec);
    const writes = new Uint32Array(spec.pages);
    const clock = threadCpuClock();
    const cpuNow = (): number | null => clock?.now() ?? null;
    const diff = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : b - a);
    const c0 = cpuNow();
    const t0 = performance.now();
    let lastReport = t0;
    const chunk = 4096;
    for (let from = 0; from < trace.length; from += chunk) {
      applyReferences(words, writes, trace, from, Math.min(trace.length, from + chunk));
      const now = performance.now();
      if (now - lastReport >= job.progressEveryMs) {
        lastReport = now;
        send({ type: 'progress', done: Math.min(trace.length, from + chunk), total: trace.length });
      }
    }
    const c1 = cpuNow();
    send({ type: 'ran', references: trace.length, runMs: performance.now() - t0 });
    await new Promise<void>((resolve) => port.once('message', () => resolve()));
    const v0 = performance.now();
    const c2 = cpuNow();
    const integrity = verifyRegion(words, writes, spec.pages);
    const verifyMs = performance.now() - v0;
    const c3 = cpuNow();
    send({ type: 'done', integrity, verifyMs, cpu: { source: clock?.source ?? null, runMs: diff(c0, c1), verifyMs: diff(c2, c3), threadMs: c3 } });
  } finally {
    release();
  }
}

main().then(
  () => port.close(),
  (err: unknown) => {
    send({ type: 'error', message: err instanceof Error ? err.message : String(err) });
    port.close();
  },
);
