// Worker entry when the workloads run from their TypeScript sources (tsx, vitest):
// loads workerData.entry through tsx. The compiled build starts worker.js directly.
import { workerData } from 'node:worker_threads';
import { tsImport } from 'tsx/esm/api';

await tsImport(workerData.entry, import.meta.url);
