/**
 * npm run bench:kernel: how fast balloon_swapout() frees memory next to how
 * fast the kernel's own reclaim (kswapd and direct reclaim) writes to swap,
 * on the same guest and the same amount of memory, side by side in one run
 * with repetitions (scripts/guest/swap-throughput.ts does the measuring).
 * Writes results/bench-kernel.json.
 *
 *   npx tsx scripts/bench-kernel.ts [--mib 384] [--repetitions 3] [--memory 1024] [--out results/bench-kernel.json]
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { table } from '../src/cli/format.js';
import { runCli } from '../src/harness/cli.js';
import { HarnessError } from '../src/harness/errors.js';
import { step } from '../src/harness/log.js';
import { prepareVmArtefacts } from '../src/harness/vm-artefacts.js';
import { writeJsonFile } from '../src/harness/vm-state.js';
import { spread, type Spread } from '../src/report/summary.js';
import { sshRun, vmDefaults, vmDown, vmUp } from '../src/harness/vm.js';

const { values } = parseArgs({
  options: {
    mib: { type: 'string', default: '384' },
    repetitions: { type: 'string', default: '3' },
    memory: { type: 'string', default: '1024' },
    out: { type: 'string', default: path.join('results', 'bench-kernel.json') },
  },
});

const instance = 'bench-kernel';
type Mode = 'balloon' | 'kernel';
interface Run { mode: Mode; repetition: number; pagesPerSecond: number; seconds: number; [k: string]: unknown }

const positive = (name: string, text: string): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new HarnessError(`bench:kernel: --${name} must be a positive whole number, got "${text}".`, 'See the usage at the top of scripts/bench-kernel.ts.');
  return n;
};

await runCli('bench:kernel', async () => {
  const mib = positive('mib', values.mib);
  const repetitions = positive('repetitions', values.repetitions);
  const memoryMiB = positive('memory', values.memory);
  const { kernel } = await prepareVmArtefacts(process.env.BALLOON_KERNEL_SOURCE);
  step('bench', `${repetitions} x (balloon_swapout, kernel reclaim) of ${mib} MiB in a ${memoryMiB} MiB TCG guest; about ${Math.ceil((repetitions * 2 * mib) / 60)} minutes`);
  await vmDown(instance);
  const vm = await vmUp({ ...vmDefaults, instance, memoryMiB, swapMiB: 2048 });
  const runs: Run[] = [];
  let release = '';
  try {
    release = (await sshRun(vm, 'uname -r', 60)).trim();
    for (let r = 1; r <= repetitions; r++) {
      // Alternate the order so that neither mode always runs on a warmer guest.
      const order: Mode[] = r % 2 ? ['balloon', 'kernel'] : ['kernel', 'balloon'];
      for (const mode of order) {
        // The same state before every run: swap emptied, page cache dropped, memory compacted.
        await sshRun(vm, 'swapoff /dev/vdb && swapon /dev/vdb && sync && echo 3 > /proc/sys/vm/drop_caches && echo 1 > /proc/sys/vm/compact_memory', 600);
        const out = await sshRun(vm, `cd /opt/app-balloon && node --import tsx scripts/guest/swap-throughput.ts ${mode} ${mib}`, 1800);
        const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Partial<Run>;
        if (parsed.mode !== mode || typeof parsed.pagesPerSecond !== 'number' || typeof parsed.seconds !== 'number') {
          throw new HarnessError(`bench:kernel: the guest's ${mode} run printed no result.`, 'Its output is below.', out);
        }
        const run: Run = { ...parsed, mode, pagesPerSecond: parsed.pagesPerSecond, seconds: parsed.seconds, repetition: r };
        runs.push(run);
        step('bench', `${mode} ${r}/${repetitions}: ${Math.round(run.pagesPerSecond)} pages/s (${run.seconds.toFixed(1)} s)`);
      }
    }
  } finally {
    await vmDown(instance);
  }
  const of = (mode: Mode): Spread => {
    const s = spread(runs.filter((x) => x.mode === mode).map((x) => x.pagesPerSecond));
    if (s === null) throw new HarnessError(`bench:kernel: no ${mode} run gave a result.`, 'See the runs above.');
    return s;
  };
  const balloon = of('balloon');
  const kernelReclaim = of('kernel');
  const result = {
    version: 1,
    what: 'pages/s that balloon_swapout() frees, next to pages/s that kernel reclaim writes to swap, same guest and size',
    kernel: { release, key: kernel.artefact.key },
    guest: { memoryMiB, swapMiB: 2048, accel: 'tcg' },
    mib,
    repetitions,
    balloonSwapout: balloon,
    kernelReclaim,
    ratio: balloon.median / kernelReclaim.median,
    runs,
  };
  await writeJsonFile(values.out, result);
  process.stdout.write(`${table(
    ['path', 'median pages/s', 'min', 'max'],
    [
      ['balloon_swapout()', balloon.median, balloon.min, balloon.max].map((v) => (typeof v === 'number' ? String(Math.round(v)) : v)),
      ['kernel reclaim', kernelReclaim.median, kernelReclaim.min, kernelReclaim.max].map((v) => (typeof v === 'number' ? String(Math.round(v)) : v)),
    ],
  )}\nballoon_swapout() / kernel reclaim: ${result.ratio.toFixed(2)}x (above 1 is faster); ${values.out}\n`);
});
