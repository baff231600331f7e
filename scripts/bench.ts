/**
 * The whole bench, one command: the host half (the policies in the simulator,
 * SIGBALLOON's delivery), the kernel's swap-out throughput, then the policies
 * on the real kernel (scripts/bench-vm.ts). Every part writes its JSON into
 * one directory, so that a run (CI's --quick, say) never overwrites another's
 * results.
 *
 *   npm run bench [-- --quick | --profile full|scaled|quick] [--out-dir results] [bench:vm options]
 *
 * The bench:vm options are checked before anything runs: a typo fails in a
 * second, not after the first parts' minutes. Stops at the first part that
 * fails, naming it; exit code 1.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { BENCH_USAGE, planBench, splitBenchArgs, WHOLE_BENCH_USAGE } from '../src/experiment/bench-plan.js';
import { runCli } from '../src/harness/cli.js';
import { HarnessError } from '../src/harness/errors.js';
import { step } from '../src/harness/log.js';

const root = path.resolve(import.meta.dirname, '..');

/** Runs one part with tsx, its output going straight through; rejects naming it when it fails. */
function runPart(name: string, script: string, args: readonly string[], env: NodeJS.ProcessEnv = {}, last = false): Promise<void> {
  step('bench', `${name}: tsx ${script} ${args.join(' ')}`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, script), ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, ...env } });
    child.on('error', (err) => reject(new HarnessError(`bench: ${name} did not start: ${err.message}.`, 'Run `npm ci` in the checkout.')));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new HarnessError(`bench: ${name} failed (${signal ?? `exit code ${code}`})${last ? '' : '; the parts after it did not run'}.`, 'Its own error is above.'));
    });
  });
}

await runCli('bench', async () => {
  if (process.argv.slice(2).some((a) => a === '--help' || a === '-h')) {
    process.stdout.write(`Usage: ${WHOLE_BENCH_USAGE}\n\nbench:vm: ${BENCH_USAGE}\n\nParts, in order: bench-agent.json, bench-signal.json, bench-kernel.json, bench.json (docs/bench.md).\n`);
    return;
  }
  const { outDir, rest } = splitBenchArgs(process.argv.slice(2));
  // Refuses bad bench:vm options now, in one line.
  const plan = planBench(rest);
  const out = (file: string): string => path.resolve(outDir, file);
  const t0 = Date.now();
  step('bench', `profile ${plan.mode}; every part writes into ${path.resolve(outDir)}`);
  await runPart('bench:host (policies in the simulator)', 'scripts/bench-agent.ts', ['--out', out('bench-agent.json')]);
  await runPart('bench:host (SIGBALLOON delivery)', 'scripts/bench-signal.ts', ['--out', out('bench-signal.json')], {
    BALLOON_ADDON: path.join(root, 'build/Release/balloon_testing.node'),
  });
  await runPart('bench:kernel (balloon_swapout against kernel reclaim)', 'scripts/bench-kernel.ts', ['--out', out('bench-kernel.json')]);
  await runPart('bench:vm (the policies on the real kernel)', 'scripts/bench-vm.ts', [...rest, '--out', out('bench.json')], {}, true);
  step('bench', `all parts done in ${Math.round((Date.now() - t0) / 1000)} s: ${['bench-agent.json', 'bench-signal.json', 'bench-kernel.json', 'bench.json'].map(out).join(', ')}`);
});
