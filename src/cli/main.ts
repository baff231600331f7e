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

interface ExperimentCliOptions {
  workloads?: string;
  policies?: string;
  repetitions?: string;
  config?: string;
  size?: string;
  threshold?: string;
  passes?: string;
  seed?: string;
  timeout?: string;
  sampleMs?: string;
  target: string;
  identity?: string;
  knownHosts?: string;
  guestDir?: string;
  out: string;
  simulate: boolean;
  simulatePolicies?: boolean;
}

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
    .description('replay a workload\'s reference string, or a recorded trace, against every policy, the per-reference anchors (LRU, ARC, LIRS) and MIN, and print the faults')
    .option('-w, --workload <name>', workloadHelp)
    .option('--trace <file>', 'replay this reference string instead (uint32 little-endian page numbers, as balloon run --trace writes)')
    .requiredOption('-m, --memory <pages>', 'simulated memory, in pages')
    .option('--pages <n>', 'workload size in pages (default 2 x --memory)')
    .option('--passes <n>', 'passes over the region')
    .option('--seed <n>', 'seed of the random workloads', '1')
    .option('--sample <n>', 'keep every n-th reference', '1')
    .option('--scan-every <refs>', 'references between two simulated profiler scans (default: memory / 4)')
    .option('--json', 'print the result as JSON')
    .action((opts: SimulateCliOptions & { json?: boolean }) => {
      const out = runSimulate(opts);
      io.out(`${opts.json ? json(out) : formatSimulate(out)}\n`);
    });

  program
    .command('experiment')
    .description('run a matrix of workloads x policies x repetitions in the VM (or a loopback ssh guest) and write results/<timestamp>/')
    .option('-w, --workloads <list>', `comma-separated workloads: ${WORKLOAD_NAMES.join(', ')}`)
    .option('-p, --policies <list>', `comma-separated policies (default all): ${RUN_POLICY_NAMES.join(', ')}`)
    .option('-r, --repetitions <n>', 'runs of every workload/policy pair (default 1)')
    .option('--config <file>', 'JSON file with any of: workloads, policies, repetitions, size, threshold, passes, seed, timeout, sampleMs (options given here win)')
    .option('--size <size>', 'region size of every run (default: balloon run\'s default for the guest\'s memory)')
    .option('--threshold <size>', 'balloon threshold of every run (default: the guest\'s sysfs value)')
    .option('--passes <n>', 'passes over the region (default: each workload\'s)')
    .option('--seed <n>', 'seed of the random workloads (default 1; the same for every repetition)')
    .option('--timeout <seconds>', 'per-run timeout; a run that takes longer is stopped and recorded as failed (default 1800)')
    .option('--sample-ms <ms>', 'free-memory sampling period of the runs')
    .option('--target <target>', 'vm, vm:INSTANCE (a VM of this checkout, from npm run vm:up), vagrant, vagrant:MACHINE (the box of this checkout\'s Vagrantfile, through its ssh port forwarded to 127.0.0.1) or ssh://USER@127.0.0.1:PORT (loopback only)', 'vm')
    .option('--identity <file>', 'ssh private key for an ssh:// target (vagrant ssh-config: IdentityFile)')
    .option('--known-hosts <file>', 'known_hosts file to check an ssh:// target\'s host key against (default: not checked, as vagrant does)')
    .option('--guest-dir <dir>', 'the checkout\'s directory in an ssh:// or vagrant guest; copied there when missing (default ~/app-balloon; /opt/app-balloon for vagrant)')
    .option('--out <dir>', 'parent directory of the results', 'results')
    .option('--no-simulate', 'do not simulate the MIN bound on the host')
    .option('--simulate-policies', 'also simulate every agent policy (minutes per workload at full size)')
    .addHelpText('after', `
Runs \`balloon run --json\` for every cell over ssh (as root; with sudo -n for another ssh user), one
after the other, and writes results/<timestamp>/: runs.json (every result), runs.csv (one row per run),
meta.json (host and guest uname, guest /proc/cmdline, balloon tunables, the matrix, times) and
simulate.json (MIN's swap-ins on each workload's reference string). A crash, a timeout or output that is
not a result is recorded as a failed run and the matrix goes on. Ctrl-C stops after writing what is done
(meta.json says "interrupted"; exit code 130). Then: balloon report results/<timestamp>.

Examples:
  balloon experiment -w course,zipf -r 3 --size 2560M --threshold 512M
  balloon experiment --config matrix.json --target vagrant
  balloon experiment --config matrix.json --target ssh://vagrant@127.0.0.1:2222 --identity .vagrant/machines/default/libvirt/private_key`)
    .action(async (opts: ExperimentCliOptions) => {
      const abort = new AbortController();
      let sigints = 0;
      const onSigint = (): void => {
        sigints++;
        if (sigints > 1) process.exit(130);
        io.err('\nballoon: interrupted: finishing the results directory (Ctrl-C again to quit at once)\n');
        abort.abort(new Error('SIGINT'));
      };
      process.on('SIGINT', onSigint);
      try {
        // Loaded on demand: `balloon run` in the guest should not parse the report's chart libraries.
        const { runExperiment } = await import('../experiment/index.js');
        const outcome = await runExperiment(
          {
            matrix: {
              ...(opts.workloads !== undefined ? { workloads: opts.workloads } : {}),
              ...(opts.policies !== undefined ? { policies: opts.policies } : {}),
              ...(opts.repetitions !== undefined ? { repetitions: opts.repetitions } : {}),
              ...(opts.size !== undefined ? { size: opts.size } : {}),
              ...(opts.threshold !== undefined ? { threshold: opts.threshold } : {}),
              ...(opts.passes !== undefined ? { passes: opts.passes } : {}),
              ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
              ...(opts.timeout !== undefined ? { timeout: opts.timeout } : {}),
              ...(opts.sampleMs !== undefined ? { sampleMs: opts.sampleMs } : {}),
            },
            ...(opts.config !== undefined ? { config: opts.config } : {}),
            target: opts.target,
            ...(opts.identity !== undefined ? { identity: opts.identity } : {}),
            ...(opts.knownHosts !== undefined ? { knownHosts: opts.knownHosts } : {}),
            ...(opts.guestDir !== undefined ? { guestDir: opts.guestDir } : {}),
            out: opts.out,
            simulate: opts.simulate,
            simulatePolicies: opts.simulatePolicies === true,
          },
          { stderr: process.stderr, signal: abort.signal, argv: process.argv.slice(2) },
        );
        if (outcome.dir !== null) io.out(`${outcome.dir}\n`);
        process.exitCode = outcome.interrupted ? 130 : outcome.failed > 0 ? 1 : 0;
      } finally {
        process.off('SIGINT', onSigint);
      }
    });

  program
    .command('report')
    .description('write report.html (self-contained, with SVG plots) and report.md from a results directory of balloon experiment')
    .argument('<results-dir>', 'a results/<timestamp> directory')
    .option('--out <dir>', 'write the report files here instead of into the results directory')
    .action(async (dir: string, opts: { out?: string }) => {
      const { writeReport } = await import('../report/index.js');
      const files = await writeReport(dir, opts.out !== undefined ? { out: opts.out } : {});
      io.out(`${files.html}\n${files.markdown}\n`);
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
