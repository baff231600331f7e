/**
 * The `balloon` command line. Run from the sources with
 *   node --import tsx src/cli/main.ts <command> ...
 * or through bin/balloon.js (`npx balloon`, or `node bin/balloon.js`).
 */
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { WORKLOAD_DESCRIPTIONS, WORKLOAD_NAMES, WorkloadArgumentError } from '../workloads/index.js';
import { oneLine, UsageError } from './errors.js';
import { formatRun, formatSimulate } from './format.js';
import { executeRun, planRun, RUN_POLICY_NAMES, type RunCliOptions } from './run.js';
import { runSimulate, type SimulateCliOptions } from './simulate.js';

const workloadHelp = `workload: ${WORKLOAD_NAMES.join(', ')}`;

function json(value: unknown): string {
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v), 2);
}

export function buildProgram(io: { out: (s: string) => void; err: (s: string) => void }): Command {
  const program = new Command('balloon')
    .description('Application-level memory ballooning: run workloads under the balloon agent, simulate policies')
    .showHelpAfterError(false)
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .exitOverride();

  program
    .command('run')
    .description('run one workload on this machine under the agent (or the kernel\'s own swapping) and print the metrics')
    .requiredOption('-w, --workload <name>', workloadHelp)
    .requiredOption('-p, --policy <name>', `policy: ${RUN_POLICY_NAMES.join(', ')} ("kernel" = not registered: the kernel's default swapping, the baseline)`)
    .option('--size <size>', 'region size: bytes with K/M/G/T, or pages with p (default 1.25 x MemTotal, at most 80% of RAM + swap)')
    .option('--passes <n>', 'passes over the region (course: passes over its first half)')
    .option('--seed <n>', 'seed of the random workloads', '1')
    .option('--threshold <size>', 'balloon threshold (sets /sys/kernel/mm/balloon/threshold_bytes for a balloon run, root only); default: the current sysfs value, else 1G')
    .option('--sample-ms <ms>', 'free-memory sampling period', '100')
    .option('--trace <file>', 'also write the reference string (uint32 little-endian page numbers) to file')
    .option('--trace-sample <n>', 'keep every n-th reference in --trace', '1')
    .option('--no-bystander', 'kernel baseline: do not hold the threshold\'s worth of memory locked')
    .addOption(new Option('--bystander-method <method>', 'how the bystander holds memory (default: mlock from a perl child, else a ramfs as root)').choices(['mlock', 'ramfs']))
    .addOption(new Option('--region <kind>', 'memory of the workload (kernel baseline only: sab = SharedArrayBuffer)').choices(['auto', 'addon', 'sab']).default('auto'))
    .option('--json', 'print the result as JSON')
    .addHelpText('after', `\nWorkloads:\n${WORKLOAD_NAMES.map((n) => `  ${n.padEnd(10)} ${WORKLOAD_DESCRIPTIONS[n]}`).join('\n')}`)
    .action(async (opts: RunCliOptions & { json?: boolean }) => {
      const plan = planRun(opts);
      const result = await executeRun(plan, { log: (line) => io.err(`balloon: ${line}\n`) });
      io.out(`${opts.json ? json(result) : formatRun(result)}\n`);
      if (!result.integrity.ok) {
        io.err(`balloon: integrity check failed: ${result.integrity.badPages} pages lost or corrupted (first: page ${result.integrity.firstBadPage})\n`);
        process.exitCode = 1;
      }
    });

  program
    .command('simulate')
    .description('replay a workload\'s reference string against every policy and MIN, and print the faults')
    .requiredOption('-w, --workload <name>', workloadHelp)
    .requiredOption('-m, --memory <pages>', 'simulated memory, in pages')
    .option('--pages <n>', 'workload size in pages (default 2 x --memory)')
    .option('--passes <n>', 'passes over the region')
    .option('--seed <n>', 'seed of the random workloads', '1')
    .option('--sample <n>', 'keep every n-th reference', '1')
    .option('--json', 'print the result as JSON')
    .action((opts: SimulateCliOptions & { json?: boolean }) => {
      const out = runSimulate(opts);
      io.out(`${opts.json ? json(out) : formatSimulate(out)}\n`);
    });

  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function main(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const io = { out: (s: string) => void process.stdout.write(s), err: (s: string) => void process.stderr.write(s) };
  const program = buildProgram(io);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // commander already printed its one-line message (or the help).
      return err.exitCode === 0 ? 0 : 2;
    }
    if (err instanceof UsageError || err instanceof WorkloadArgumentError) {
      io.err(`balloon: error: ${oneLine(err)}\n`);
      return 2;
    }
    io.err(`balloon: ${oneLine(err)}\n`);
    return 1;
  }
}

function isEntry(): boolean {
  const arg = process.argv[1];
  if (arg === undefined) return false;
  try {
    return realpathSync(arg) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}

if (isEntry()) {
  process.exitCode = await main();
}
