/**
 * npm run bench:kernel: how fast balloon_swapout() frees memory next to how
 * fast the kernel's own reclaim (kswapd and direct reclaim) writes to swap,
 * on the same guest and the same amount of memory, side by side in one run
 * with repetitions (scripts/guest/swap-throughput.ts does the measuring).
 * Writes results/bench-kernel.json.
 *
 *   npx tsx scripts/bench-kernel.ts [--mib 384] [--repetitions 3] [--memory 1024M] [--cpus 2]
 *       [--tcg-threads single|multi] [--call-pages N] [--busy N] [--alloc SIZE] [--out results/bench-kernel.json]
 *
 * --memory and --alloc are sizes in the one grammar (512M, 1G; a plain number is bytes);
 * --mib is the swapped region in MiB, as its name says.
 *
 * The conditions of an answer under pressure, one at a time: --call-pages N
 * hands the memory to balloon_swapout() in calls of N pages (the agent's are
 * up to 8,192; by default one call takes up to 2^18), --busy N spins N
 * processes on the CPU during both measurements, --alloc SIZE has a thread of
 * the balloon process write SIZE of new memory during the calls (the
 * workload's first write beside an answer), --cpus the guest's vCPUs and
 * --tcg-threads how QEMU runs them: one host thread for all in turn (single,
 * the harness's default) or one each (multi).
 */
import path from 'node:path';
import { SWAPOUT_MAX_PAGES_PER_CALL } from '../src/agent/kernel-port.js';
import { table } from '../src/cli/format.js';
import { outFileOption, parseScriptOptions, runCli, sizeOption, wholeOption } from '../src/harness/cli.js';
import { HarnessError } from '../src/harness/errors.js';
import { step } from '../src/harness/log.js';
import { prepareVmArtefacts } from '../src/harness/vm-artefacts.js';
import { writeJsonFile } from '../src/harness/vm-state.js';
import { spread, type Spread } from '../src/report/summary.js';
import { sshRun, vmDefaults, vmDown, vmUp } from '../src/harness/vm.js';

const instance = 'bench-kernel';
type Mode = 'balloon' | 'kernel';
interface Run { mode: Mode; repetition: number; pagesPerSecond: number; seconds: number; [k: string]: unknown }

const USAGE_HINT = 'See the usage at the top of scripts/bench-kernel.ts.';
const whole = (name: string, text: string, min: number): number => wholeOption(`--${name}`, text, min, USAGE_HINT);
const positive = (name: string, text: string): number => whole(name, text, 1);

await runCli('bench:kernel', async () => {
  const { values } = parseScriptOptions('bench:kernel', USAGE_HINT, {
    options: {
      mib: { type: 'string', default: '384' },
      repetitions: { type: 'string', default: '3' },
      memory: { type: 'string', default: '1024M' },
      cpus: { type: 'string', default: String(vmDefaults.cpus) },
      'tcg-threads': { type: 'string', default: 'single' },
      'call-pages': { type: 'string', default: String(SWAPOUT_MAX_PAGES_PER_CALL) },
      busy: { type: 'string', default: '0' },
      alloc: { type: 'string', default: '0' },
      out: { type: 'string', default: path.join('results', 'bench-kernel.json') },
    },
  });
  const mib = positive('mib', values.mib);
  const repetitions = positive('repetitions', values.repetitions);
  const memoryMiB = sizeOption('--memory', values.memory, 'MiB', 256, USAGE_HINT);
  const cpus = positive('cpus', values.cpus);
  const tcgThreads = values['tcg-threads'];
  if (tcgThreads !== 'single' && tcgThreads !== 'multi') throw new HarnessError(`bench:kernel: --tcg-threads must be single or multi, got "${tcgThreads}".`, USAGE_HINT);
  const callPages = positive('call-pages', values['call-pages']);
  if (callPages > SWAPOUT_MAX_PAGES_PER_CALL) throw new HarnessError(`bench:kernel: --call-pages must be at most ${SWAPOUT_MAX_PAGES_PER_CALL} (the call's limit), got "${values['call-pages']}".`, USAGE_HINT);
  const busy = whole('busy', values.busy, 0);
  const allocMiB = sizeOption('--alloc', values.alloc, 'MiB', 0, USAGE_HINT);
  outFileOption('--out', values.out, USAGE_HINT);
  const guestArgs: Record<Mode, string> = {
    balloon: `--call-pages ${callPages} --busy ${busy} --alloc ${allocMiB}`,
    kernel: `--busy ${busy}`,
  };
  const { kernel } = await prepareVmArtefacts(process.env.BALLOON_KERNEL_SOURCE);
  // Per run: about 20 s to reset the guest's state, and 5,000 pages/s (20 MiB/s) at worst.
  step('bench', `${repetitions} x (balloon_swapout, kernel reclaim) of ${mib} MiB in a ${memoryMiB} MiB TCG guest with ${cpus} vCPU(s) (thread=${tcgThreads}); balloon ${guestArgs.balloon}, kernel ${guestArgs.kernel}; about ${Math.ceil((repetitions * 2 * (20 + mib / 15)) / 60)} minutes`);
  await vmDown(instance);
  const vm = await vmUp({ ...vmDefaults, instance, memoryMiB, cpus, tcgThreads, swapMiB: 2048 });
  const runs: Run[] = [];
  let release = '';
  try {
    release = (await sshRun(vm, 'uname -r', 60)).trim();
    for (let r = 1; r <= repetitions; r++) {
      // Alternate the order so that neither mode always runs on a warmer guest.
      const order: Mode[] = r % 2 ? ['balloon', 'kernel'] : ['kernel', 'balloon'];
      for (const mode of order) {
        // The same state before every run: swap emptied, page cache dropped, memory compacted.
        // The watcher's threshold low (64 MiB), so that no request and no fallback of the safety
        // rail mixes with what is measured (fallbackPages in the balloon runs shows it did not).
        await sshRun(vm, `swapoff /dev/vdb && swapon /dev/vdb && sync && echo 3 > /proc/sys/vm/drop_caches && echo 1 > /proc/sys/vm/compact_memory && echo ${64 << 20} > /sys/kernel/mm/balloon/threshold_bytes`, 600);
        const out = await sshRun(vm, `cd /opt/app-balloon && node --import tsx scripts/guest/swap-throughput.ts ${mode} ${mib} ${guestArgs[mode]}`, 1800);
        const parsed = JSON.parse(out.trim().split('\n').pop() ?? '{}') as Partial<Run>;
        if (parsed.mode !== mode || typeof parsed.pagesPerSecond !== 'number' || typeof parsed.seconds !== 'number') {
          throw new HarnessError(`bench:kernel: the guest's ${mode} run printed no result.`, 'Its output is below.', out);
        }
        const run: Run = { ...parsed, mode, pagesPerSecond: parsed.pagesPerSecond, seconds: parsed.seconds, repetition: r };
        runs.push(run);
        const beside = allocMiB > 0 && mode === 'balloon' ? `; ${String(run['allocatedPages'])} pages written beside, MemFree down to ${String(run['minMemFreeMiB'])} MiB, fallback ${String(run['fallbackPages'])} pages` : '';
        step('bench', `${mode} ${r}/${repetitions}: ${Math.round(run.pagesPerSecond)} pages/s (${run.seconds.toFixed(1)} s${beside})`);
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
    guest: { memoryMiB, swapMiB: 2048, accel: 'tcg', cpus, tcgThreads },
    mib,
    conditions: { callPages, busy, allocMiB },
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
