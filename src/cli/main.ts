/**
 * The `balloon` command line. Run from the sources with
 *   node --import tsx src/cli/main.ts <command> ...
 * or through bin/balloon.js (`npx balloon`, or `node bin/balloon.js`).
 */
import { readFileSync, realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, Option } from 'commander';
import { DEFAULT_RESIDENCY_REFRESH, RESIDENCY_REFRESH_MODES } from '../agent/index.js';
import { describeError, HarnessError } from '../harness/errors.js';
import { describeSize, PAGE_SIZE, plural, SIZE_GRAMMAR } from '../harness/sizes.js';
import { DEFAULT_PASSES, makeSpec, MAX_REFERENCES, MIN_WORKLOAD_PAGES, referenceCount, WORKLOAD_DESCRIPTIONS, WORKLOAD_NAMES, WorkloadArgumentError } from '../workloads/index.js';
import { oneLine, UsageError } from './errors.js';
import { formatRun, formatSimulate } from './format.js';
import { checkedOption, commandPath, cpuShareArg, commanderErrorLine, helpHint, pagesArg, positiveIntArg, readableFileArg, sizeArg } from './options.js';
import { checkResultsDir, ensureOutDir } from './report-args.js';
import { executeRun, planRun, RUN_POLICY_NAMES, type RunCliOptions } from './run.js';
import { runSimulate, type SimulateCliOptions } from './simulate.js';
import { addVmCommands, VM_SUBCOMMANDS } from './vm.js';

const workloadHelp = `workload: ${WORKLOAD_NAMES.join(', ')}`;

/** The workloads with what they do and their default passes, for the help of run and simulate. */
const workloadNameWidth = Math.max(...WORKLOAD_NAMES.map((n) => n.length));
const workloadsHelp = `\nWorkloads (default passes in brackets):\n${WORKLOAD_NAMES.map((n) => `  ${n.padEnd(workloadNameWidth)} [${String(DEFAULT_PASSES[n]).padStart(2)}] ${WORKLOAD_DESCRIPTIONS[n]}`).join('\n')}`;

const sizesHelp = `\nSizes: ${SIZE_GRAMMAR}; a plain number is bytes.`;

/** The commands and their subcommands, for the help hint of an error. */
const COMMANDS = new Map<string, readonly string[]>([
  ['run', []],
  ['simulate', []],
  ['experiment', []],
  ['report', []],
  ['vm', VM_SUBCOMMANDS],
  ['help', []],
]);

export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string };
  return pkg.version ?? 'unknown';
}

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

export function buildProgram(io: CliIo): Command {
  const program = new Command('balloon')
    .description('Application-level memory ballooning: run workloads under the balloon agent, simulate policies, run experiments in a VM and report them')
    .version(packageVersion(), '-V, --version', 'print the version')
    .helpCommand('help [command]', 'help for a command')
    .showHelpAfterError(false)
    // Errors are printed by main() as one line; help and version go to io.out.
    .configureOutput({ writeOut: io.out, writeErr: io.err, outputError: () => {} })
    .exitOverride()
    .addHelpText(
      'after',
      `
Examples (no VM needed):
  balloon simulate -w sweep-hot -m 16M
  balloon report test/fixtures/results/2025-01-15T10-00-00Z --out /tmp/report
With the VM:
  balloon vm up && balloon experiment -w course,zipf -r 3 --size 1536M --threshold 512M
${sizesHelp.trim()}
Every command has --help.`,
    );

  program
    .command('run')
    .description('run one workload on this machine under the agent (or the kernel\'s own swapping) and print the metrics')
    .requiredOption('-w, --workload <name>', workloadHelp)
    .requiredOption('-p, --policy <name>', `policy: ${RUN_POLICY_NAMES.join(', ')} ("kernel" = not registered: the kernel's default swapping, the baseline)`)
    .addOption(checkedOption('--size <size>', `region size, at least ${MIN_WORKLOAD_PAGES} pages (default 1.25 x MemTotal, at most 80% of RAM + swap)`, (n) => sizeArg(n, MIN_WORKLOAD_PAGES)))
    .addOption(checkedOption('--passes <n>', 'passes over the region (course: passes over its first half; default: the workload\'s, below)', positiveIntArg))
    .addOption(checkedOption('--seed <n>', 'seed of the random workloads', positiveIntArg).default('1', '1'))
    .addOption(checkedOption('--threshold <size>', 'balloon threshold (sets /sys/kernel/mm/balloon/threshold_bytes for a balloon run, root only); default: the current sysfs value, else 1G', sizeArg))
    .addOption(checkedOption('--sample-ms <ms>', 'free-memory sampling period', positiveIntArg).default('100', '100'))
    .option('--trace <file>', 'also write the reference string (uint32 little-endian page numbers) to file')
    .addOption(checkedOption('--trace-sample <n>', 'keep every n-th reference in --trace', positiveIntArg).default('1', '1'))
    .option('--no-bystander', 'kernel baseline: do not hold the threshold\'s worth of memory locked')
    .option('--reactive', 'agent policies: only answer the kernel\'s requests, no proactive rounds (docs/controller.md)')
    .addOption(checkedOption('--scan-budget <share>', 'agent policies: the share of one CPU the profiler\'s scans, with folding them into the history and the policy\'s refresh, may take: "0.05" or "5%" (default 5%; docs/controller.md)', cpuShareArg))
    .addOption(
      new Option('--refresh-residency <mode>', 'agent policies: what answers read from pagemap between scans: never; when-empty (the arrivals, only when a selection found no page); arrivals (the default: pages the kernel swapped itself are dropped, pages written since the last scan taken in); returns (also pages back from swap, as recent as the pages the last scan saw used); always (pages back from swap as just used, and before proactive rounds); docs/controller.md, "Residency between scans"')
        .choices([...RESIDENCY_REFRESH_MODES])
        .default(undefined, DEFAULT_RESIDENCY_REFRESH),
    )
    .option('--no-pin', 'agent policies: leave the agent\'s own arrays swappable (by default they are locked in memory, which needs root or CAP_IPC_LOCK)')
    .addOption(new Option('--bystander-method <method>', 'how the bystander holds memory (default: mlock from a perl child, else a ramfs as root)').choices(['mlock', 'ramfs']))
    .addOption(new Option('--region <kind>', 'memory of the workload (kernel baseline only: sab = SharedArrayBuffer)').choices(['auto', 'addon', 'sab']).default('auto'))
    .option('--allow-host', 'run even without the balloon kernel when the run needs more than MemAvailable (it will swap or meet the OOM killer)')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `${workloadsHelp}
${sizesHelp}

Outside the balloon kernel (no /sys/kernel/mm/balloon), a run that needs more than MemAvailable
(workload + the kernel baseline's locked threshold) is refused unless --allow-host.

Examples (in the VM: balloon vm up, then balloon vm ssh; cd /opt/app-balloon):
  balloon run -w course -p balloon --size 768M --threshold 256M
  balloon run -w course -p kernel  --size 768M --threshold 256M     # the baseline
  balloon run -w zipf -p lru-approx --size 200000p --json > zipf.json`,
    )
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
    .addOption(checkedOption('-m, --memory <size>', 'simulated memory (whole 4 KiB pages)', pagesArg).makeOptionMandatory())
    .addOption(checkedOption('--pages <size>', `workload size, at least ${MIN_WORKLOAD_PAGES} pages (default 2 x --memory)`, (n) => pagesArg(n, MIN_WORKLOAD_PAGES)))
    .addOption(checkedOption('--passes <n>', 'passes over the region (default: the workload\'s, below)', positiveIntArg))
    .addOption(checkedOption('--seed <n>', 'seed of the random workloads', positiveIntArg).default('1', '1'))
    .addOption(checkedOption('--sample <n>', 'keep every n-th reference', positiveIntArg).default('1', '1'))
    .addOption(checkedOption('--scan-every <refs>', 'references between two simulated profiler scans (default: memory / 4)', positiveIntArg))
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `${workloadsHelp}
${sizesHelp}

Examples:
  balloon simulate -w sweep-hot -m 16M              # 4096 pages of memory, a 32 MiB workload
  balloon simulate -w zipf -m 1000p --pages 4000p --passes 5 --json`,
    )
    .action((opts: SimulateCliOptions & { json?: boolean }) => {
      checkSimulationLength(opts);
      const out = runSimulate(opts, undefined, undefined, (line) => io.err(`balloon: ${line}\n`));
      io.out(`${opts.json ? json(out) : formatSimulate(out)}\n`);
    });

  program
    .command('experiment')
    .description('run a matrix of workloads x policies x repetitions in the VM (or a loopback ssh guest) and write results/<timestamp>/')
    .option('-w, --workloads <list>', `comma-separated workloads: ${WORKLOAD_NAMES.join(', ')}`)
    .option('-p, --policies <list>', `comma-separated policies (default all): ${RUN_POLICY_NAMES.join(', ')}`)
    .addOption(checkedOption('-r, --repetitions <n>', 'runs of every workload/policy pair (default 1)', positiveIntArg))
    .addOption(checkedOption('--config <file>', 'JSON file with any of: workloads, policies, repetitions, size, threshold, passes, seed, timeout, sampleMs (options given here win)', readableFileArg))
    .addOption(checkedOption('--size <size>', 'region size of every run (default: balloon run\'s default for the guest\'s memory)', (n) => sizeArg(n, MIN_WORKLOAD_PAGES)))
    .addOption(checkedOption('--threshold <size>', 'balloon threshold of every run (default: the guest\'s sysfs value)', sizeArg))
    .addOption(checkedOption('--passes <n>', 'passes over the region (default: each workload\'s)', positiveIntArg))
    .addOption(checkedOption('--seed <n>', 'seed of the random workloads (default 1; the same for every repetition)', positiveIntArg))
    .addOption(checkedOption('--timeout <seconds>', 'per-run timeout; a run that takes longer is stopped and recorded as failed (default 1800)', positiveIntArg))
    .addOption(checkedOption('--sample-ms <ms>', 'free-memory sampling period of the runs', positiveIntArg))
    .option('--target <target>', 'vm, vm:INSTANCE (a VM of this checkout, from npm run vm:up), vagrant, vagrant:MACHINE (the box of this checkout\'s Vagrantfile, through its ssh port forwarded to 127.0.0.1) or ssh://USER@127.0.0.1:PORT (loopback only)', 'vm')
    .addOption(checkedOption('--identity <file>', 'ssh private key for an ssh:// target (vagrant ssh-config: IdentityFile)', readableFileArg))
    .addOption(checkedOption('--known-hosts <file>', 'known_hosts file to check an ssh:// target\'s host key against (default: not checked, as vagrant does)', readableFileArg))
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
${sizesHelp.trim()}

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
    .option('--png', 'also draw every figure as figures/*.png (2 pixels per unit) with headless Chromium')
    .addHelpText('after', '\nExample:\n  balloon report test/fixtures/results/2025-01-15T10-00-00Z --out /tmp/report')
    .action(async (dir: string, opts: { out?: string; png?: boolean }) => {
      await checkResultsDir(dir);
      const png = opts.png === true ? await import('../report/png.js') : null;
      // Refused before anything is written.
      const browser = png?.requireChromium() ?? null;
      if (opts.out !== undefined) await ensureOutDir(opts.out);
      const { writeReport } = await import('../report/index.js');
      const files = await writeReport(dir, opts.out !== undefined ? { out: opts.out } : {});
      if (png !== null && browser !== null) {
        await png.writeFigurePngs(files.figures, browser, (file, done, total) => io.err(`balloon: png ${done}/${total}: ${file}\n`));
      }
      // The summary, then the files: the last two lines are the paths.
      io.out(`${files.summary}\n${files.html}\n${files.markdown}\n`);
    });

  addVmCommands(program, io);
  return program;
}

/**
 * A simulation's reference string must fit in memory (MAX_REFERENCES): refused
 * with the options that make it long (simulate.ts would only say "fewer passes").
 * The sizes are page counts here (pagesArg).
 */
export function checkSimulationLength(o: SimulateCliOptions): void {
  const memoryPages = Number(o.memory);
  const pages = o.pages === undefined ? 2 * memoryPages : Number(o.pages);
  if (pages < MIN_WORKLOAD_PAGES) {
    throw new UsageError(
      `-m/--memory is ${describeSize(memoryPages * PAGE_SIZE)} (a plain number is bytes), so the workload (2 x memory) would be ${plural(pages, 'page')}; ` +
        `every workload needs at least ${MIN_WORKLOAD_PAGES} pages (64 KiB): give a bigger -m/--memory (e.g. 1000p or 16M) or --pages`,
    );
  }
  if (o.workload === undefined) return; // a --trace: its length is the file's
  let spec;
  try {
    spec = makeSpec(o.workload, pages, o.passes === undefined ? undefined : Number(o.passes));
  } catch {
    return; // simulate.ts reports a bad workload name or size
  }
  const refs = referenceCount(spec);
  if (refs > MAX_REFERENCES) {
    const size = o.pages === undefined ? `${pages} pages (2 x -m/--memory)` : `${pages} pages (--pages)`;
    throw new UsageError(
      `${spec.name} over ${size} with ${spec.passes} passes makes ${refs} references, more than the ${MAX_REFERENCES} a simulation holds; give a smaller -m/--memory or --pages, or fewer --passes`,
    );
  }
}

export interface CliIo {
  out: (s: string) => void;
  err: (s: string) => void;
}

const stdio: CliIo = { out: (s) => void process.stdout.write(s), err: (s) => void process.stderr.write(s) };

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 bad arguments). */
export async function main(argv: readonly string[] = process.argv.slice(2), io: CliIo = stdio): Promise<number> {
  const program = buildProgram(io);
  const hint = (): string => helpHint(commandPath(argv, COMMANDS));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Help and --version were printed; no command at all printed the help to stderr.
      if (err.exitCode === 0 || err.code === 'commander.help') return err.exitCode === 0 ? 0 : 2;
      io.err(`balloon: error: ${commanderErrorLine(err)} ${hint()}\n`);
      return 2;
    }
    if (err instanceof UsageError || err instanceof WorkloadArgumentError) {
      io.err(`balloon: error: ${oneLine(err)} ${hint()}\n`);
      return 2;
    }
    if (err instanceof HarnessError) {
      const { line, details } = describeError(err);
      if (details && process.env['BALLOON_QUIET_DETAILS'] !== '1') io.err(`${details}\n`);
      io.err(`balloon: ${oneLine(line)}\n`);
      return 1;
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
