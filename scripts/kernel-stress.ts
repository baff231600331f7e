/**
 * npm run kernel:stress: data integrity under real parallelism. Runs the
 * series' balloon_stress (writer threads keep every page stamped and verify it
 * on every visit while a thread swaps random ranges out) in a 2-vCPU guest,
 * with balloon_swapout(), with madvise(MADV_PAGEOUT) and with no swap-out,
 * under multi-threaded TCG (one host thread per vCPU: the vCPUs really run in
 * parallel) and single-threaded TCG. Writes results/kernel-stress.json and
 * prints the table.
 *
 *   npx tsx scripts/kernel-stress.ts [--seconds 60] [--mib 128] [--repetitions 1] [--threads multi,single]
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { table } from '../src/cli/format.js';
import { parseScriptOptions, runCli, wholeOption } from '../src/harness/cli.js';
import { HarnessError } from '../src/harness/errors.js';
import { step } from '../src/harness/log.js';
import { prepareVmArtefacts } from '../src/harness/vm-artefacts.js';
import { writeJsonFile } from '../src/harness/vm-state.js';
import { copyToGuest, sshExec, vmDefaults, vmDown, vmUp } from '../src/harness/vm.js';

const USAGE_HINT = 'See the usage at the top of scripts/kernel-stress.ts.';
const { values } = parseScriptOptions('kernel:stress', USAGE_HINT, {
  options: {
    seconds: { type: 'string', default: '60' },
    mib: { type: 'string', default: '128' },
    repetitions: { type: 'string', default: '1' },
    threads: { type: 'string', default: 'multi,single' },
    out: { type: 'string', default: path.join('results', 'kernel-stress.json') },
  },
});

const modes = ['balloon', 'pageout', 'none'] as const;
const instance = 'kernel-stress';

interface StressRun {
  threads: 'single' | 'multi';
  mode: (typeof modes)[number];
  repetition: number;
  exitCode: number;
  corruptPages: number | null;
  summary: string;
  guestLog: string;
}

const positive = (name: string, text: string): number => wholeOption(`--${name}`, text, 1, USAGE_HINT);

await runCli('kernel:stress', async () => {
  const seconds = positive('seconds', values.seconds);
  const mib = positive('mib', values.mib);
  const repetitions = positive('repetitions', values.repetitions);
  const threadModes = values.threads.split(',').map((t) => {
    if (t !== 'single' && t !== 'multi') throw new HarnessError(`kernel:stress: --threads takes multi and/or single, got "${t}".`, 'For example --threads multi,single.');
    return t;
  });
  const { kernel } = await prepareVmArtefacts(process.env.BALLOON_KERNEL_SOURCE);
  const stress = (kernel.artefact.selftestTools ?? []).find((p) => path.basename(p) === 'balloon_stress');
  if (!stress) throw new HarnessError('kernel:stress: this kernel build has no balloon_stress.', 'Run `npm run kernel:build` with the current kernel-patch/.');
  step('stress', `${threadModes.length} TCG mode(s) x ${modes.length} swap-out modes x ${repetitions}, ${seconds} s each; about ${Math.ceil((threadModes.length * (modes.length * repetitions * (seconds + 10) + 40)) / 60)} minutes`);
  const runs: StressRun[] = [];
  for (const threads of threadModes) {
    await vmDown(instance);
    const vm = await vmUp({ ...vmDefaults, instance, memoryMiB: 1024, swapMiB: 1024, cpus: 2, tcgThreads: threads });
    try {
      await copyToGuest(vm, await readFile(stress), '/root/balloon_stress', '755');
      for (let r = 1; r <= repetitions; r++) {
        for (const mode of modes) {
          const result = await sshExec(vm, [`/root/balloon_stress ${mode} ${seconds} ${mib} 2 2>&1`], { timeoutSeconds: seconds * 10 + 120 });
          const summary = result.stdout.split('\n').find((l) => l.startsWith('mode=')) ?? '';
          const corrupt = /corrupt_pages=(\d+)/.exec(summary);
          const run: StressRun = { threads, mode, repetition: r, exitCode: result.exitCode, corruptPages: corrupt ? Number(corrupt[1]) : null, summary, guestLog: result.stdout.slice(-2000) };
          runs.push(run);
          step('stress', `thread=${threads} ${mode} ${r}/${repetitions}: exit ${result.exitCode}, ${summary || 'no summary (the program died?)'}`);
        }
      }
      const dmesg = await sshExec(vm, ['dmesg | grep -E "BUG|WARNING|Oops|segfault|general protection" | tail -20'], { timeoutSeconds: 60 });
      if (dmesg.stdout.trim()) step('stress', `thread=${threads}: kernel log:\n${dmesg.stdout.trim()}`);
    } finally {
      await vmDown(instance);
    }
  }
  await writeJsonFile(values.out, { version: 1, kernel: { key: kernel.artefact.key, release: kernel.artefact.release }, guest: { memoryMiB: 1024, cpus: 2 }, seconds, mib, repetitions, runs });
  process.stdout.write(`${table(
    ['TCG', 'swap-out', 'runs', 'runs with a wrong word', 'exit codes'],
    threadModes.flatMap((threads) => modes.map((mode) => {
      const cell = runs.filter((x) => x.threads === threads && x.mode === mode);
      return [`thread=${threads}`, mode, String(cell.length), String(cell.filter((x) => x.corruptPages !== 0).length), cell.map((x) => x.exitCode).join(',')];
    })),
  )}\n${values.out}\n`);
});
