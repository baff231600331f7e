/** Workloads: reference strings, the data they write and check, and the worker runner. */
export * from './definitions.js';
export * from './pattern.js';
export * from './sizes.js';
export * from './runner.js';
export type { WorkerCpu } from './worker.js';
