/**
 * Agent bench: every workload of the CLI (the one list, WORKLOAD_NAMES)
 * through every agent policy at three scan intervals, the per-reference
 * anchors (LRU, ARC, LIRS) and MIN; swap-ins as ratios to MIN and the
 * verdict against the policy targets (docs/policies.md). Then the profiler's
 * pagemap decode and scan cost per GiB, and the balloon policy's selection
 * cost after a scan and between scans. Writes results/bench-agent.json and
 * prints the Markdown tables of docs/policies.md.
 *
 *   npx tsx scripts/bench-agent.ts [--memory 1024p] [--references 300000] [--exact-memory 128p] [--exact-references 24000]
 *       [--seed 1] [--out results/bench-agent.json]
 *
 * The memories are sizes in the one grammar (1024p is 1,024 pages, 4M the same; a plain number is bytes).
 *
 * Two settings: `memory` pages with the simulated controller's default
 * batch (1/32 of memory per call, as the agent answers a signal), and
 * `exact-memory` pages with one page per call (the anchors' and MIN's own
 * condition: one eviction per fault).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { orExit, outFileOption, parseScriptOptions, sizeOption, wholeOption } from '../src/harness/cli.js';
import { AccessHistory } from '../src/agent/access-history.js';
import { CountingFileIo } from '../src/agent/file-io.js';
import { PageState } from '../src/agent/page-state.js';
import { decodePagemapEntries, encodePagemapEntry } from '../src/agent/pagemap.js';
import { BalloonPolicy, POLICY_NAMES, REFERENCE_POLICY_NAMES, createPolicy, type BalloonPolicyOptions } from '../src/agent/policies/index.js';
import { Profiler } from '../src/agent/profiler.js';
import {
  DEFAULT_SIMULATION_OPTIONS,
  POLICY_TARGETS,
  batchPages,
  checkTargets,
  comparePolicies,
  simulatePolicy,
  type ComparisonRow,
  type TargetVerdict,
} from '../src/agent/simulator.js';
import { WORKLOAD_NAMES, makeSpec, passesForReferences, referenceString } from '../src/workloads/definitions.js';

const USAGE_HINT = 'See the usage at the top of scripts/bench-agent.ts.';
const { values } = parseScriptOptions('bench:agent', USAGE_HINT, {
  options: {
    memory: { type: 'string', default: '1024p' },
    references: { type: 'string', default: '300000' },
    'exact-memory': { type: 'string', default: '128p' },
    'exact-references': { type: 'string', default: '24000' },
    seed: { type: 'string', default: '1' },
    out: { type: 'string', default: 'results/bench-agent.json' },
  },
});
orExit('bench:agent', () => outFileOption('--out', values.out, USAGE_HINT));
const [memory, exactMemory] = orExit('bench:agent', () => (['memory', 'exact-memory'] as const).map((name) => sizeOption(`--${name}`, values[name], 'pages', 16, USAGE_HINT))) as [number, number];
const [references, exactReferences, seed] = orExit('bench:agent', () =>
  (['references', 'exact-references', 'seed'] as const).map((name) => wholeOption(`--${name}`, values[name], name === 'seed' ? 0 : 1, USAGE_HINT)),
) as [number, number, number];

interface Setting {
  name: string;
  memoryPages: number;
  references: number;
  batchFraction: number;
}
const settings: Setting[] = [
  { name: 'controller batch', memoryPages: memory, references, batchFraction: DEFAULT_SIMULATION_OPTIONS.batchFraction },
  { name: 'one page per call', memoryPages: exactMemory, references: exactReferences, batchFraction: 0 },
];

/** Base scan interval: a quarter of memory in references (256 for 1024 pages); the matrix runs it /4, x1, x4. */
const intervalsFor = (memoryPages: number): number[] => {
  const base = Math.max(1, Math.round(memoryPages / 4));
  return [Math.max(1, Math.round(base / 4)), base, base * 4];
};

interface Cell {
  scanEveryReferences: number;
  /** swap-ins per agent policy. */
  swapIns: Record<string, number>;
  swapOutRanges: Record<string, number>;
  swapOuts: Record<string, number>;
  verdict: TargetVerdict;
}
interface Row {
  workload: string;
  pages: number;
  passes: number;
  references: number;
  anchors: ComparisonRow[];
  cells: Cell[];
}

const started = performance.now();
const results = settings.map((setting) => {
  const { memoryPages, batchFraction } = setting;
  const intervals = intervalsFor(memoryPages);
  const rows: Row[] = WORKLOAD_NAMES.map((name) => {
    const pages = 2 * memoryPages;
    const spec = makeSpec(name, pages, passesForReferences(name, pages, setting.references), seed);
    const trace = referenceString(spec);
    const anchors = comparePolicies(trace, { memoryPages, policies: [], anchors: REFERENCE_POLICY_NAMES });
    const cells = intervals.map((scanEveryReferences): Cell => {
      const cell: Cell = { scanEveryReferences, swapIns: {}, swapOutRanges: {}, swapOuts: {}, verdict: undefined as never };
      for (const policy of POLICY_NAMES) {
        const r = simulatePolicy(trace, createPolicy(policy), { memoryPages, scanEveryReferences, batchFraction });
        cell.swapIns[policy] = r.swapIns;
        cell.swapOuts[policy] = r.swapOuts;
        cell.swapOutRanges[policy] = r.swapOutRanges;
      }
      cell.verdict = checkTargets(cell.swapIns.balloon!, cell.swapIns['lru-approx']!, anchors);
      return cell;
    });
    process.stderr.write(`${setting.name}: ${name} done (${((performance.now() - started) / 1000).toFixed(0)} s)\n`);
    return { workload: name, pages, passes: spec.passes, references: trace.length, anchors, cells };
  });
  return { ...setting, batchPages: batchPages(memoryPages, batchFraction), intervals, rows };
});

// Markdown tables: swap-ins as ratios to MIN (absolute counts, marked #, where MIN is 0).
const fmtRatio = (swapIns: number, min: number): string => (min === 0 ? `#${swapIns}` : (swapIns / min).toFixed(2));
const verdictText = (v: TargetVerdict): string => {
  const misses = [
    v.withinBestAnchor ? null : `> ${POLICY_TARGETS.anchorFactor}x ${v.bestAnchor}`,
    v.notAboveLruApprox ? null : '> lru-approx',
    v.nearMin === false ? `> ${POLICY_TARGETS.minFactor}x MIN` : null,
  ].filter((x) => x !== null);
  return misses.length === 0 ? 'ok' : misses.join(', ');
};
function markdownTable(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
const output: string[] = [];
for (const setting of results) {
  for (const [i, s] of setting.intervals.entries()) {
    output.push(
      `\n#### ${setting.name}: memory ${setting.memoryPages} pages, ~${setting.references} references, ${setting.batchPages} page${setting.batchPages === 1 ? '' : 's'} per call, a scan every ${s} references (${['base / 4', 'base', 'base x 4'][i]})\n`,
    );
    output.push(
      markdownTable(
        ['workload', 'MIN', 'lru', 'arc', 'lirs', ...POLICY_NAMES, 'balloon vs targets'],
        setting.rows.map((row) => {
          const min = row.anchors.find((r) => r.kind === 'min')!.swapIns;
          const cell = row.cells[i]!;
          return [
            row.workload,
            String(min),
            ...REFERENCE_POLICY_NAMES.map((a) => fmtRatio(row.anchors.find((r) => r.policy === a)!.swapIns, min)),
            ...POLICY_NAMES.map((p) => fmtRatio(cell.swapIns[p]!, min)),
            verdictText(cell.verdict),
          ];
        }),
      ),
    );
  }
  const cells = setting.rows.flatMap((r) => r.cells);
  output.push(`\n${setting.name}: balloon meets the targets in ${cells.filter((c) => c.verdict.ok).length} of ${cells.length} cells.`);
}
console.log(output.join('\n'));

// Swap-out ranges per 1000 pages swapped out (calls an uncapped controller makes), controller-batch setting, base interval.
const main = results[0]!;
console.log('\nswap-out ranges per 1000 pages swapped out (controller batch, base interval):');
for (const row of main.rows) {
  const cell = row.cells[1]!;
  console.log(`  ${row.workload.padEnd(13)} ${POLICY_NAMES.map((p) => `${p}=${cell.swapOuts[p] === 0 ? '-' : ((1000 * cell.swapOutRanges[p]!) / cell.swapOuts[p]!).toFixed(0)}`).join('  ')}`);
}

// Ablation: the balloon policy without each of its ingredients, one-page-per-call setting, base interval.
const variants: Array<{ name: string; options: Partial<BalloonPolicyOptions> }> = [
  { name: 'balloon (defaults)', options: {} },
  { name: 'no slack for the scan lag', options: { horizonSlackScans: 0 } },
  { name: 'no protected ghosts (no B2 hits)', options: { ghostHistoryFactor: 0 } },
  { name: 'LIRS start (minimum probation at the first call)', options: { startFromReuse: false } },
  { name: 'protected set by recency alone (no newest-first for filled pages)', options: { filledNewestFirst: false } },
];
const ablationSetting = results[1]!;
const ablation = variants.map((variant) => ({
  variant: variant.name,
  ratios: WORKLOAD_NAMES.map((name, w) => {
    const row = ablationSetting.rows[w]!;
    const spec = makeSpec(name, row.pages, row.passes, seed);
    const trace = referenceString(spec);
    const base = ablationSetting.intervals[1]!;
    const r = simulatePolicy(trace, new BalloonPolicy(variant.options), { memoryPages: ablationSetting.memoryPages, scanEveryReferences: base, batchFraction: ablationSetting.batchFraction });
    const best = Math.min(...row.anchors.filter((a) => a.kind === 'anchor').map((a) => a.swapIns));
    return best === 0 ? `#${r.swapIns}` : (r.swapIns / best).toFixed(2);
  }),
}));
console.log(`\nballoon ablation (${ablationSetting.name}, memory ${ablationSetting.memoryPages}, base interval): swap-ins / best anchor's`);
console.log(markdownTable(['variant', ...WORKLOAD_NAMES], ablation.map((a) => [a.variant, ...a.ratios])));

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

// Selection cost of the balloon policy, 1 GiB of pages, 70% present: the first selection after a scan
// (the refresh: one pass over the history and a sort of probation) against the ones after it, which take
// from the order the refresh left (what answers between two scans cost).
const selection = (() => {
  const history = new AccessHistory(GIB_PAGES);
  const accessed = new Uint8Array(GIB_PAGES);
  const state = new Uint8Array(GIB_PAGES);
  for (let scan = 0; scan < 24; scan++) {
    for (let i = 0; i < GIB_PAGES; i++) {
      state[i] = i < GIB_PAGES * 0.7 ? PageState.Present : PageState.Swapped;
      accessed[i] = i < GIB_PAGES / 2 ? Number(scan % 3 === 0) : Number((i + scan * 997) % 40 === 0);
    }
    history.update(accessed, state);
  }
  const policy = new BalloonPolicy();
  policy.reserve(GIB_PAGES);
  const batch = 8192;
  const refreshMs: number[] = [];
  const takeMs: number[] = [];
  for (let round = 0; round < 5; round++) {
    history.markLoaded(GIB_PAGES - 1 - round); // a change of the history: the next selection refreshes
    let t0 = performance.now();
    for (const r of policy.selectVictims(history, batch)) for (let p = r.first; p < r.first + r.count; p++) history.markSwapped(p);
    refreshMs.push(performance.now() - t0);
    t0 = performance.now();
    for (let k = 0; k < 4; k++) for (const r of policy.selectVictims(history, batch)) for (let p = r.first; p < r.first + r.count; p++) history.markSwapped(p);
    takeMs.push((performance.now() - t0) / 4);
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  return { pages: GIB_PAGES, batch, refreshMs: median(refreshMs), takeMs: median(takeMs), refreshRuns: refreshMs, takeRuns: takeMs };
})();
console.log(
  `balloon policy, 1 GiB of pages: a selection of ${selection.batch} pages after a scan ${selection.refreshMs.toFixed(1)} ms (refresh), ` +
    `the next ones ${selection.takeMs.toFixed(2)} ms (${(selection.refreshMs / selection.takeMs).toFixed(0)}x less; median of 5)`,
);

const elapsedMs = performance.now() - started;
console.log(`total ${(elapsedMs / 1000).toFixed(1)} s`);

const json = {
  generatedAt: new Date().toISOString(),
  command: `npx tsx scripts/bench-agent.ts ${process.argv.slice(2).join(' ')}`.trim(),
  targets: POLICY_TARGETS,
  seed,
  settings: results,
  ablation,
  profiler: { decodeMsPerGiB, scanMsPerGiB, scanCalls },
  selection,
  elapsedMs,
};
fs.writeFileSync(values.out, `${JSON.stringify(json, null, 2)}\n`);
console.log(`wrote ${values.out}`);
