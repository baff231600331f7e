/**
 * Agent bench: replays the standard workloads through every policy and MIN,
 * prints swap-ins / swap-outs as ratios to MIN, measures the profiler's
 * pagemap decode and scan cost per GiB, and writes results/bench-agent.json.
 *
 *   npx tsx scripts/bench-agent.ts [--memory 1024] [--length 300000]
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { CountingFileIo } from '../src/agent/file-io.js';
import { decodePagemapEntries, encodePagemapEntry } from '../src/agent/pagemap.js';
import { BalloonPolicy, POLICY_NAMES, createPolicy, type BalloonPolicyOptions } from '../src/agent/policies/index.js';
import { Profiler } from '../src/agent/profiler.js';
import { simulateBelady, simulatePolicy, type SimulationResult } from '../src/agent/simulator.js';
import { standardWorkloads } from '../src/agent/trace.js';

const { values } = parseArgs({
  options: {
    memory: { type: 'string', default: '1024' },
    length: { type: 'string', default: '300000' },
    seed: { type: 'string', default: '42' },
    out: { type: 'string', default: 'results/bench-agent.json' },
  },
});
const memoryPages = Number(values.memory);
const length = Number(values.length);
const seed = Number(values.seed);
const scanEveryReferences = Math.max(1, Math.floor(memoryPages / 4));
const batchFraction = 1 / 32;

interface Row {
  workload: string;
  description: string;
  references: number;
  memoryPages: number;
  min: SimulationResult;
  policies: Record<string, SimulationResult & { swapInRatio: number; swapOutRatio: number; ms: number }>;
}

const ratio = (value: number, base: number): number => (base === 0 ? (value === 0 ? 1 : Number.POSITIVE_INFINITY) : value / base);

const started = performance.now();
const rows: Row[] = [];
for (const workload of standardWorkloads({ memoryPages, length, seed })) {
  const min = simulateBelady(workload.trace, workload.memoryPages);
  const row: Row = {
    workload: workload.name,
    description: workload.description,
    references: workload.trace.length,
    memoryPages: workload.memoryPages,
    min,
    policies: {},
  };
  for (const name of POLICY_NAMES) {
    const t0 = performance.now();
    const result = simulatePolicy(workload.trace, createPolicy(name), {
      memoryPages: workload.memoryPages,
      scanEveryReferences,
      batchFraction,
    });
    row.policies[name] = {
      ...result,
      swapInRatio: ratio(result.swapIns, min.swapIns),
      swapOutRatio: ratio(result.swapOuts, min.swapOuts),
      ms: performance.now() - t0,
    };
  }
  rows.push(row);
}

// A ratio to a MIN of 0 is meaningless: print the absolute count with a '#' instead.
const fmt = (ratioValue: number, value: number): string => (Number.isFinite(ratioValue) ? ratioValue.toFixed(2) : `#${value}`);
function printTable(header: string[], table: string[][]): void {
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(line(header));
  console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
  for (const r of table) console.log(line(r));
}
console.log(`Simulated swap-ins / swap-outs as ratios to MIN (memory ${memoryPages} pages, ~${length} refs, scan every ${scanEveryReferences} refs, batch ${Math.round(memoryPages * batchFraction)} pages; #n = absolute count where MIN is 0)`);
printTable(
  ['workload', 'MIN in/out', ...POLICY_NAMES.map((n) => `${n} in/out`)],
  rows.map((row) => [
    row.workload,
    `${row.min.swapIns}/${row.min.swapOuts}`,
    ...POLICY_NAMES.map((n) => {
      const p = row.policies[n]!;
      return `${fmt(p.swapInRatio, p.swapIns)}/${fmt(p.swapOutRatio, p.swapOuts)}`;
    }),
  ]),
);
console.log('\nswap-out ranges (calls) per 1000 pages swapped out:');
for (const row of rows) {
  console.log(
    `  ${row.workload.padEnd(12)} ${POLICY_NAMES.map((n) => {
      const p = row.policies[n]!;
      return `${n}=${p.swapOuts === 0 ? '-' : ((1000 * p.swapOutRanges) / p.swapOuts).toFixed(0)}`;
    }).join('  ')}`,
  );
}

// Ablation of the balloon policy's ingredients, on the workloads where they differ.
const ablationLength = length;
const ablationNames = new Set(['zipf', 'moving-ws', 'sweep+hot', 'mix']);
const variants: Array<{ name: string; options: Partial<BalloonPolicyOptions> }> = [
  { name: 'balloon (defaults)', options: {} },
  { name: 'no coalescing', options: { maxGapPages: 0 } },
  { name: 'strict gaps (as cold, +5%)', options: { gapColdnessFraction: 1, maxExtraFraction: 0.05 } },
  { name: 'all reuse periodic', options: { regularJitterDivisor: 1e-9 } },
  { name: 'no irregular cap', options: { irregularCapScans: Number.POSITIVE_INFINITY } },
  { name: 'probation 16', options: { probationScans: 16 } },
];
const ablationWorkloads = standardWorkloads({ memoryPages, length: ablationLength, seed }).filter((w) => ablationNames.has(w.name));
const ablationMins = ablationWorkloads.map((w) => simulateBelady(w.trace, w.memoryPages));
const ablation = variants.map((variant) => ({
  variant: variant.name,
  results: ablationWorkloads.map((w, i) => {
    const r = simulatePolicy(w.trace, new BalloonPolicy(variant.options), { memoryPages: w.memoryPages, scanEveryReferences, batchFraction });
    return {
      workload: w.name,
      swapInRatio: ratio(r.swapIns, ablationMins[i]!.swapIns),
      swapIns: r.swapIns,
      rangesPer1000: r.swapOuts === 0 ? 0 : (1000 * r.swapOutRanges) / r.swapOuts,
    };
  }),
}));
console.log(`\nballoon ablation (~${ablationLength} refs): swap-in ratio to MIN / swap-out ranges per 1000 pages`);
printTable(
  ['variant', ...ablationWorkloads.map((w) => w.name)],
  ablation.map((a) => [a.variant, ...a.results.map((r) => `${fmt(r.swapInRatio, r.swapIns)}/${r.rangesPer1000.toFixed(0)}`)]),
);

// Profiler cost on synthetic data.
const GIB_PAGES = (1 << 30) / 4096;
const words = new Uint32Array(GIB_PAGES * 2);
const entryView = new BigUint64Array(words.buffer);
for (let i = 0; i < GIB_PAGES; i++) {
  entryView[i] = i % 10 === 9
    ? encodePagemapEntry({ swapped: true, swapType: 1, swapOffset: BigInt(i) })
    : encodePagemapEntry({ present: true, exclusivelyMapped: true, pfn: BigInt(0x100000 + ((i * 7) % GIB_PAGES)) });
}
const flags = new Uint8Array(GIB_PAGES);
const pfns = new Float64Array(GIB_PAGES);
decodePagemapEntries(words, GIB_PAGES, flags, pfns, 0); // warm-up
const decodeRuns = 5;
const d0 = performance.now();
for (let r = 0; r < decodeRuns; r++) decodePagemapEntries(words, GIB_PAGES, flags, pfns, 0);
const decodeMsPerGiB = (performance.now() - d0) / decodeRuns;

// Full scan (pagemap + sort + bitmap read/mark) through temp files, 1 GiB region.
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-agent-'));
const regionStart = 0x7f0000000000n;
const pagemapPath = path.join(dir, 'pagemap');
const bitmapPath = path.join(dir, 'bitmap');
const pagemapFd = fs.openSync(pagemapPath, 'w');
fs.writeSync(pagemapFd, new Uint8Array(words.buffer), 0, words.byteLength, Number(regionStart / 4096n) * 8);
fs.closeSync(pagemapFd);
fs.writeFileSync(bitmapPath, new Uint8Array(((0x100000 + GIB_PAGES) / 64) * 8 + 4096));
const io = new CountingFileIo(undefined, { maxBytesPerCall: 1 << 30 });
const profiler = new Profiler([{ start: regionStart, length: 1n << 30n }], { pagemapPath, idleBitmapPath: bitmapPath, io });
profiler.scan();
io.resetCounts();
const s0 = performance.now();
const scanRuns = 3;
for (let r = 0; r < scanRuns; r++) profiler.scan();
const scanMsPerGiB = (performance.now() - s0) / scanRuns;
const scanCalls = { reads: io.reads / scanRuns, writes: io.writes / scanRuns };
profiler.close();
fs.rmSync(dir, { recursive: true, force: true });
console.log(`\nprofiler: pagemap decode ${decodeMsPerGiB.toFixed(1)} ms/GiB; full scan (files in tmp, 90% present) ${scanMsPerGiB.toFixed(1)} ms/GiB, ${scanCalls.reads} reads + ${scanCalls.writes} writes per scan`);

const elapsedMs = performance.now() - started;
console.log(`total ${(elapsedMs / 1000).toFixed(1)} s`);

const json = {
  generatedAt: new Date().toISOString(),
  settings: { memoryPages, length, seed, scanEveryReferences, batchFraction },
  workloads: rows,
  ablation,
  profiler: { decodeMsPerGiB, scanMsPerGiB, scanCalls },
  elapsedMs,
};
fs.mkdirSync(path.dirname(values.out), { recursive: true });
fs.writeFileSync(values.out, `${JSON.stringify(json, (_k, v: unknown) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v), 2)}\n`);
console.log(`wrote ${values.out}`);
