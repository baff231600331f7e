/**
 * Worker-thread side of ScanWorker (scan-worker.ts): owns a Profiler over
 * the regions, runs one scan per "scan" message and copies what the history
 * needs (accessed, state) into the shared arrays before replying. Only the
 * profiler's own per-page arrays live here; the access history, the policy
 * and the controller stay on the main thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { ByteRange } from './page-state.js';
import { Profiler } from './profiler.js';
import type { ScanWorkerData, ScanWorkerReply, ScanWorkerRequest } from './scan-worker.js';
import { threadCpuClock } from './thread-cpu.js';

if (parentPort === null) throw new Error('src/agent/scan-worker-thread.ts must run in a worker thread');
const port: NonNullable<typeof parentPort> = parentPort;
const data = workerData as ScanWorkerData;
const send = (reply: ScanWorkerReply): void => port.postMessage(reply);
const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));

async function main(): Promise<void> {
  let profiler: Profiler;
  try {
    profiler = new Profiler(data.regions as ByteRange[], data.profiler);
  } catch (error) {
    send({ type: 'error', message: message(error) });
    port.close();
    return;
  }
  let unpin: () => void = () => {};
  let pinnedBytes = 0;
  let pinError: string | undefined;
  if (data.pin) {
    try {
      // Composition: the worker keeps its own arrays resident with the addon's mlock.
      const { pinArrays } = await import('../kernel/index.js');
      const pinned = pinArrays(profiler.arrays());
      pinnedBytes = pinned.bytes;
      unpin = pinned.unpin;
    } catch (error) {
      pinError = message(error);
    }
  }
  const accessed = new Uint8Array(data.accessed);
  const state = new Uint8Array(data.state);
  const cpu = threadCpuClock();
  send({ type: 'ready', pinnedBytes, ...(pinError === undefined ? {} : { pinError }), cpuSource: cpu?.source ?? null });

  port.on('message', (request: ScanWorkerRequest) => {
    if (request.type === 'close') {
      unpin();
      profiler.close();
      port.close();
      return;
    }
    const w0 = performance.now();
    const c0 = cpu?.now() ?? 0;
    try {
      const result = profiler.scan();
      accessed.set(result.accessed);
      state.set(result.state);
      send({
        type: 'scanned',
        scan: result.scan,
        present: result.present,
        swapped: result.swapped,
        pfnChanged: result.pfnChanged,
        thpPages: result.thpPages,
        wallMs: performance.now() - w0,
        cpuMs: cpu === null ? null : cpu.now() - c0,
      });
    } catch (error) {
      send({ type: 'error', message: message(error) });
    }
  });
}

void main();
