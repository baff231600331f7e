/**
 * The policies on the real kernel, side by side from one run: boots a small
 * VM (TCG), runs a fixed, scaled experiment matrix in it (every workload
 * under the kernel baseline, lru-approx and the balloon policy, with a low
 * threshold set at run time), renders its report, and writes
 * results/bench.json with swap-ins, swap-outs and runtime per policy as
 * ratios to the kernel baseline and swap-ins as ratios to Belady's MIN.
 *
 *   npx tsx scripts/bench-vm.ts [--workloads course,sweep-hot] [--repetitions 1] [--out results/bench.json]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runExperiment } from '../src/experiment/index.js';
import { runCli } from '../src/harness/cli.js';
import { step } from '../src/harness/log.js';
import { writeJsonFile } from '../src/harness/vm-state.js';
import { prepareVmArtefacts } from '../src/harness/vm-artefacts.js';
import { vmDefaults, vmDown, vmUp } from '../src/harness/vm.js';
import type { SwapDeviceName } from '../src/harness/swap-device.js';
import { table } from '../src/cli/format.js';
import { minRow, TABLE_HEADER, tableRow } from '../src/report/format.js';
import { writeReport } from '../src/report/index.js';
import { loadResults } from '../src/report/load.js';
import { summarize } from '../src/report/summary.js';

const { values } = parseArgs({
  options: {
    workloads: { type: 'string', default: 'course,sweep-hot' },
    policies: { type: 'string', default: 'kernel,lru-approx,balloon' },
    repetitions: { type: 'string', default: '3' },
    memory: { type: 'string', default: '768' },
    size: { type: 'string', default: '576M' },
    threshold: { type: 'string', default: '160M' },
    out: { type: 'string', default: path.join('results', 'bench.json') },
    // The course's setting (docs/swap-device.md); none, hdd or custom on request.
    'swap-device': { type: 'string', default: 'ssd' },
  },
});

const instance = 'bench';

await runCli('bench', async () => {
  const { kernel } = await prepareVmArtefacts(process.env.BALLOON_KERNEL_SOURCE);

  await vmDown(instance);
  const vm = await vmUp({ ...vmDefaults, instance, memoryMiB: Number(values.memory), swapMiB: 2048, swapDevice: { device: values['swap-device'] as SwapDeviceName } });
  let dir: string | null;
  try {
    const outcome = await runExperiment(
      {
        matrix: {
          workloads: values.workloads.split(','),
          policies: values.policies.split(','),
          repetitions: values.repetitions,
          size: values.size,
          threshold: values.threshold,
          passes: '2',
        },
        target: `vm:${instance}`,
        out: path.join('results', 'bench-runs'),
      },
      { stderr: process.stderr, argv: process.argv.slice(1) },
    );
    dir = outcome.dir;
  } finally {
    await vmDown(instance);
  }
  if (dir === null) throw new Error('bench: the experiment wrote no results');

  const summary = summarize(await loadResults(dir));
  const report = await writeReport(dir);
  const bench = {
    generatedAt: new Date().toISOString(),
    guest: { memoryMiB: vm.memoryMiB, cpus: vm.cpus, accel: vm.accel, kernel: kernel.artefact.release, swapDevice: vm.swapDevice ?? null },
    matrix: { ...values },
    results: dir,
    report: report.html,
    workloads: summary.map((w) => ({
      workload: w.workload,
      minSwapIns: w.bound?.minSwapIns ?? null,
      policies: w.policies.map((p) => ({
        policy: p.policy,
        ok: p.ok,
        failed: p.failed,
        swapIns: p.swapIns,
        swapOuts: p.swapOuts,
        wallMs: p.wallMs,
        signals: p.signals,
        swapOutCalls: p.swapOutCalls,
        swapInsVsKernel: p.swapInsVsKernel,
        swapInsVsMin: p.swapInsVsMin,
        wallVsKernel: p.wallVsKernel,
      })),
    })),
  };
  await writeJsonFile(values.out, bench);
  for (const w of summary) {
    process.stdout.write(`\n${w.workload}\n${table(TABLE_HEADER, [...w.policies.map(tableRow), ...(w.bound ? [minRow(w.bound)] : [])])}\n`);
  }
  step('bench', `${values.out}; report: ${report.html}`);
});
