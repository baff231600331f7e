/**
 * The policies on the real kernel, side by side: boots a TCG VM with the swap
 * device model (ssd by default, docs/swap-device.md), runs a fixed experiment
 * matrix in it (every workload under the kernel baseline and the agent
 * policies, at least 3 repetitions, each run from the same state), simulates
 * MIN with the memory the runs had, renders the report and writes
 * results/bench.json (schema: docs/bench.md). Says how long it expects to
 * take before it starts, and shows the time left as it goes.
 *
 *   npm run bench:vm [-- --profile full|scaled|quick] [--quick] [--workloads a,b] [--policies a,b] [--repetitions 3] [--memory 2560M] [--swap 4G] [--swap-device ssd] [--out results/bench.json]
 *
 * The default profile (full) is the course's own scale; scaled is two workloads
 * at 576 MiB; --quick (--profile quick) is the CI profile: one workload, the
 * kernel baseline and the balloon policy, in a smaller guest. The experiment's
 * results go next to bench.json (bench-runs/). Exit code 1 when a run failed
 * or beat MIN.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { table } from '../src/cli/format.js';
import { planBench } from '../src/experiment/bench-plan.js';
import { runExperiment } from '../src/experiment/index.js';
import { expectedRunMs, modelRunMs, type PastRun } from '../src/experiment/estimate.js';
import { matrixCells } from '../src/experiment/matrix.js';
import { formatDuration } from '../src/experiment/progress.js';
import { runCli } from '../src/harness/cli.js';
import { step } from '../src/harness/log.js';
import { prepareVmArtefacts } from '../src/harness/vm-artefacts.js';
import { writeJsonFile } from '../src/harness/vm-state.js';
import { vmDefaults, vmDown, vmUp } from '../src/harness/vm.js';
import { buildBenchRecord, checkBenchRecord, parseBenchRecord, sameSetupRuns, type BenchSetup } from '../src/report/bench-record.js';
import { minRow, TABLE_HEADER, tableRow } from '../src/report/format.js';
import { writeReport } from '../src/report/index.js';
import { loadResults } from '../src/report/load.js';
import { summarize } from '../src/report/summary.js';

/** Booting the guest to ssh under TCG, and MIN's simulation with the report, on these machines. */
const BOOT_MS = 30_000;
const FINISH_MS = 30_000;
const instance = 'bench';

/** The runs of an earlier bench.json with the same set-up (none when it is missing or of another version). */
async function pastRuns(file: string, setup: BenchSetup): Promise<PastRun[]> {
  try {
    return sameSetupRuns(parseBenchRecord(await readFile(file, 'utf8'), file), setup);
  } catch {
    return [];
  }
}

await runCli('bench', async () => {
  const t0 = Date.now();
  const { mode, matrix, memoryMiB, swapMiB, swapDevice, out } = planBench(process.argv.slice(2));

  const { kernel } = await prepareVmArtefacts(process.env.BALLOON_KERNEL_SOURCE);

  // What it will take, before anything starts.
  const cells = matrixCells(matrix);
  const sizeBytes = matrix.sizeBytes!;
  const past = await pastRuns(out, { mode, matrix, memoryMiB, swapDevice });
  const plan = expectedRunMs(cells, past, (c) => modelRunMs(c.workload, matrix, sizeBytes, swapDevice.throttle));
  const expectedMs = BOOT_MS + cells.reduce((a, c) => a + plan.expectedMs(c), 0) + FINISH_MS;
  step(
    'bench',
    `${mode}: ${cells.length} runs (${matrix.workloads.join(', ')} × ${matrix.policies.join(', ')} × ${matrix.repetitions}) in a ${memoryMiB} MiB TCG guest, ` +
      `swap device ${swapDevice.description}`,
  );
  step(
    'bench',
    `expected duration: about ${formatDuration(expectedMs)} (${plan.source === 'earlier-bench' ? `from the runs of ${out}` : 'rough model of a TCG run; refined as runs end'}); progress and time left below`,
  );

  await vmDown(instance);
  const vm = await vmUp({ ...vmDefaults, instance, memoryMiB, swapMiB, swapDevice: { device: swapDevice.device } });
  let dir: string | null;
  try {
    const outcome = await runExperiment(
      {
        matrix: {
          workloads: matrix.workloads,
          policies: matrix.policies,
          repetitions: matrix.repetitions,
          size: sizeBytes,
          ...(matrix.thresholdBytes !== null ? { threshold: matrix.thresholdBytes } : {}),
          ...(matrix.passes !== null ? { passes: matrix.passes } : {}),
        },
        target: `vm:${instance}`,
        // Next to bench.json: a bench written elsewhere (CI's, say) leaves results/ alone.
        out: path.join(path.dirname(out), 'bench-runs'),
      },
      { stderr: process.stderr, argv: process.argv.slice(1), expectedRunMs: plan.expectedMs },
    );
    dir = outcome.dir;
  } finally {
    await vmDown(instance);
  }
  if (dir === null) throw new Error('bench: the experiment wrote no results');

  const data = await loadResults(dir);
  const summary = summarize(data);
  const report = await writeReport(dir);
  const record = buildBenchRecord({
    generatedAt: new Date(),
    mode,
    durationSeconds: (Date.now() - t0) / 1000,
    expected: { seconds: expectedMs / 1000, source: plan.source },
    guest: { memoryMiB: vm.memoryMiB, cpus: vm.cpus, accel: vm.accel, swapMiB: vm.swapMiB, kernel: kernel.artefact.release ?? null },
    swapDevice: vm.swapDevice ?? null,
    matrix: data.meta?.matrix ?? matrix,
    results: dir,
    report: { html: report.html, markdown: report.markdown },
    summary,
    runs: data.runs,
  });
  const problems = checkBenchRecord(record);
  if (problems.length > 0) throw new Error(`bench: the record does not match its own schema: ${problems.join('; ')}`);
  await writeJsonFile(out, record);

  const median = (x: { median: number } | null, scale = 1, digits = 1): string => (x === null ? '—' : (x.median / scale).toFixed(digits));
  for (const w of summary) {
    process.stdout.write(`\n${w.workload}\n${table(TABLE_HEADER, [...w.policies.map(tableRow), ...(w.bound ? [minRow(w.bound)] : [])])}\n`);
    for (const e of w.errors) process.stdout.write(`ERROR ${e}\n`);
    // Where the time went (medians over the repetitions): the workload's thread, the agent, the first call after the send.
    const rec = record.workloads.find((x) => x.workload === w.workload);
    if (rec !== undefined) {
      const rows = rec.policies.map((p) => [
        p.policy,
        median(p.workloadCpuMs, 1000),
        median(p.agentCpuMs, 1000),
        p.agentCpuMs !== null && p.workloadCpuMs !== null && p.workloadCpuMs.median > 0 ? `${((100 * p.agentCpuMs.median) / p.workloadCpuMs.median).toFixed(0)}%` : '—',
        median(p.firstCallP50Ms, 1, 0),
      ]);
      process.stdout.write(`${table(['policy', 'workload CPU s', 'agent CPU s', 'agent / workload', 'first call p50 ms'], rows)}\n`);
    }
  }
  const failed = data.runs.filter((r) => r.status !== 'ok').length;
  const errors = summary.reduce((a, w) => a + w.errors.length, 0);
  step('bench', `done in ${formatDuration(record.durationSeconds * 1000)} (expected ${formatDuration(expectedMs)}); ${out}; report: ${report.html}`);
  if (failed > 0 || errors > 0) {
    step('bench', `${failed} failed run${failed === 1 ? '' : 's'}, ${errors} run${errors === 1 ? '' : 's'} below MIN: see the report`);
    process.exitCode = 1;
  }
});
