/** Metrics: /proc parsers and samplers, the free-memory sampler and threshold deficit. */
export * from './parsers.js';
export * from './deficit.js';
export * from './signal-latency.js';
export * from './cpu-breakdown.js';
export * from './system.js';
