/**
 * Reactive vs proactive controller, on the unit-level pressure model
 * (src/agent/pressure-model.ts: the real BalloonController and policy, a
 * modelled kernel watcher, swap-out latency and safety rail) over the
 * standard workloads. Prints swap-ins, fallback pages, signals and the mean
 * threshold deficit per mode, and writes results/compare-proactive.json.
 *
 *   npx tsx scripts/compare-proactive.ts [--memory 1024p] [--length 200000] [--policy balloon]
 *     [--scan-every REFS] [--workload NAME] [--refresh-residency never|when-empty|arrivals|always]
 *
 * --scan-every sets the references between two scans (default memory / 4):
 * how often the agent can afford to profile, which decides what its policy
 * knows (docs/controller.md, "What profiling may cost").
 * --refresh-residency: what answers read from pagemap between scans
 * (ControllerOptions.refreshResidency, as `balloon run --refresh-residency`):
 * nothing (never), arrivals and departures only when a selection found no
 * page (when-empty), arrivals and departures before every answer (arrivals,
 * the default, as in the agent), or pages back from swap too and before
 * proactive rounds as well (always).
 */
import * as fs from 'node:fs';
import { DEFAULT_RESIDENCY_REFRESH, RESIDENCY_REFRESH_MODES, isResidencyRefresh } from '../src/agent/controller.js';
import { createPolicy } from '../src/agent/policies/index.js';
import { runPressureModel, type PressureModelResult } from '../src/agent/pressure-model.js';
import { WORKLOAD_NAMES, isWorkloadName, makeSpec, passesForReferences, referenceString, type WorkloadName } from '../src/workloads/definitions.js';
import { table } from '../src/cli/format.js';
import { parsePositiveInt } from '../src/shared/usage.js';
import { orExit, outFileOption, parseScriptOptions, sizeOption } from '../src/harness/cli.js';

const { values } = parseScriptOptions('compare-proactive', 'See the usage at the top of scripts/compare-proactive.ts.', {
  options: {
    memory: { type: 'string', default: '1024p' },
    length: { type: 'string', default: '200000' },
    seed: { type: 'string', default: '42' },
    policy: { type: 'string', default: 'balloon' },
    margin: { type: 'string', default: '0.1' },
    'min-idle-scans': { type: 'string', default: '4' },
    latency: { type: 'string', default: '16' },
    out: { type: 'string', default: 'results/compare-proactive.json' },
    'scan-every': { type: 'string' },
    'refresh-residency': { type: 'string', default: DEFAULT_RESIDENCY_REFRESH },
    workload: { type: 'string', multiple: true },
  },
});
const fail = (message: string): never => {
  process.stderr.write(`compare-proactive: error: ${message}\n`);
  process.exit(1);
};
/** The project's own parse (src/shared/usage.ts), its message as this script's one error line. */
const positiveInt = (flag: string, text: string): number => {
  try {
    return parsePositiveInt(text, flag);
  } catch (error) {
    return fail(error instanceof Error ? error.message : String(error));
  }
};
const chosen: readonly WorkloadName[] = (values.workload ?? WORKLOAD_NAMES).map((name) =>
  isWorkloadName(name) ? name : fail(`--workload "${name}": choose among ${WORKLOAD_NAMES.join(', ')}`),
);
const refreshMode = values['refresh-residency'];
const refreshResidency = isResidencyRefresh(refreshMode) ? refreshMode : fail(`--refresh-residency "${refreshMode}": choose among ${RESIDENCY_REFRESH_MODES.join(', ')}`);
orExit('compare-proactive', () => outFileOption('--out', values.out, 'See the usage at the top of scripts/compare-proactive.ts.'));
const m = orExit('compare-proactive', () => sizeOption('--memory', values.memory, 'pages', 16, 'See the usage at the top of scripts/compare-proactive.ts.'));
const length = Number(values.length);
const seed = Number(values.seed);
// The simulator's memory is what the workload may hold; the machine has a threshold's worth more.
const thresholdPages = Math.floor(m / 3);
const memoryPages = m + thresholdPages;
// The kernel's watcher runs every memory / 4 references and waits ten of those for an answer;
// the agent scans as often by default.
const watcherEveryReferences = Math.max(1, Math.floor(m / 4));
const scanEveryReferences = values['scan-every'] === undefined ? watcherEveryReferences : positiveInt('--scan-every', values['scan-every']);
const modes = {
  reactive: { enabled: false },
  proactive: { enabled: true, marginFraction: Number(values.margin), minIdleScans: Number(values['min-idle-scans']), maxPagesPerRound: m, intervalMs: 0 },
} as const;

const rows: string[][] = [];
const out: { workload: string; mode: string; result: Omit<PressureModelResult, 'answers'> }[] = [];
// The CLI's workloads (one list), each about `length` references over 2 x memory pages.
const workloads = chosen.map((name) => {
  const spec = makeSpec(name, 2 * m, passesForReferences(name, 2 * m, length), seed);
  return { name, trace: referenceString(spec) };
});
for (const w of workloads) {
  for (const [mode, proactive] of Object.entries(modes)) {
    const { answers: _answers, ...result } = await runPressureModel(w.trace, {
      memoryPages,
      thresholdPages,
      scanEveryReferences,
      watcherEveryReferences,
      answerTimeoutReferences: 10 * watcherEveryReferences,
      callLatencyReferences: Number(values.latency),
      controller: { policy: createPolicy(values.policy), proactive, refreshResidency },
    });
    out.push({ workload: w.name, mode, result });
    rows.push([
      w.name,
      mode,
      String(result.swapIns),
      String(result.fallbackPages),
      String(result.signals),
      String(result.swapOutCalls),
      result.meanDeficitPages.toFixed(1),
      String(result.minFreePages),
    ]);
  }
}
process.stdout.write(
  `memory ${memoryPages} pages, threshold ${thresholdPages}, scan every ${scanEveryReferences} refs, policy ${values.policy}\n` +
    table(['workload', 'mode', 'swap-ins', 'fallback', 'signals', 'calls', 'mean deficit', 'min free'], rows) +
    '\n',
);
fs.writeFileSync(values.out, `${JSON.stringify({ memoryPages, thresholdPages, scanEveryReferences, policy: values.policy, rows: out }, null, 2)}\n`);
