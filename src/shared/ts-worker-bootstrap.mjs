// Entry of a worker thread started from TypeScript sources (tsx, vitest):
// loads workerData.entry, a .ts module, through tsx. Compiled builds start
// the module's .js directly. Used by src/workloads/runner.ts and
// src/agent/scan-worker.ts.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
