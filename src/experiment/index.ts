/**
 * `balloon experiment`: plan the matrix, reach the target, check the sizes
 * against the guest, run every cell over ssh and write results/<timestamp>/
 * as it goes, then simulate the MIN bound with the memory the runs had.
 */
import { access } from 'node:fs/promises';
import { execa } from 'execa';
import { UsageError } from '../shared/usage.js';
import type { SwapDeviceModel } from '../harness/swap-device.js';
import { readVmState } from '../harness/vm.js';
import { boundMemory, SIMULATE_FILE_VERSION, SIMULATE_NOTE, simulateBound, type SimulateFile, type WorkloadBound } from './bound.js';
import { guestCommand, runArgs, SSH_GRACE_SECONDS, targetExecutor, type CellExecutor } from './cell.js';
import { matrixCells, mergeInputs, planMatrix, readMatrixConfig, type Cell, type ExperimentMatrix, type MatrixInput } from './matrix.js';
import { planScale, readGuestInfo, type GuestInfo, type RunScale } from './preflight.js';
import { Progress, type ProgressStream } from './progress.js';
import { runMatrix } from './runner.js';
import { ExperimentError, openTarget, parseTarget, type Target, type TargetOptions, type TargetSpec } from './target.js';
import { ResultsWriter } from './writers.js';

export { ExperimentError } from './target.js';
export type { RunRecord } from './cell.js';
export type { ExperimentMatrix } from './matrix.js';

export interface ExperimentOptions {
  matrix: MatrixInput;
  /** JSON config file; command-line values win. */
  config?: string;
  target: string;
  identity?: string;
  knownHosts?: string;
  guestDir?: string;
  /** Parent of the results/<timestamp>/ directory. */
  out: string;
  /** Simulate MIN for each workload (default true). */
  simulate?: boolean;
  /** Also simulate every agent policy (slow at full scale). */
  simulatePolicies?: boolean;
}

export interface ExperimentDeps {
  stderr: ProgressStream;
  /** Aborted on SIGINT. */
  signal?: AbortSignal;
  /** Tests: a fake target instead of ssh. */
  openTarget?: (spec: TargetSpec, options: TargetOptions) => Promise<Target>;
  /** Tests: a fake executor for the cells (default: balloon run over the target). */
  executor?: CellExecutor;
  hostUname?: () => Promise<string>;
  now?: () => number;
  argv?: readonly string[];
  /** What each run is expected to take (the bench's estimate): the progress line then shows the time left from the start. */
  expectedRunMs?: (cell: Cell) => number;
}

export interface ExperimentMeta {
  status: 'running' | 'complete' | 'interrupted';
  startedAt: string;
  endedAt: string | null;
  argv: readonly string[];
  host: { uname: string; node: string };
  target: { label: string; spec: TargetSpec; guestDir: string };
  guest: GuestInfo;
  /** The harness VM's swap device model (docs/swap-device.md); null for other targets, where it is unknown. */
  swapDevice: SwapDeviceModel | null;
  matrix: ExperimentMatrix;
  scale: RunScale;
  cells: number;
  runs: { done: number; ok: number; failed: number };
  /** How a run is invoked in the guest (for the first cell). */
  exampleCommand: string;
}

export interface ExperimentOutcome {
  dir: string | null;
  interrupted: boolean;
  ok: number;
  failed: number;
}

async function defaultHostUname(): Promise<string> {
  const r = await execa('uname', ['-a'], { reject: false });
  return String(r.stdout ?? '').trim();
}

export async function runExperiment(o: ExperimentOptions, deps: ExperimentDeps): Promise<ExperimentOutcome> {
  const now = deps.now ?? Date.now;
  const signal = deps.signal ?? new AbortController().signal;
  const note = (text: string): void => void deps.stderr.write(`balloon: ${text}\n`);

  // Everything that can be checked without the guest.
  const fromFile = o.config === undefined ? {} : await readMatrixConfig(o.config);
  const matrix = planMatrix(mergeInputs(fromFile, o.matrix));
  const spec = parseTarget(o.target);
  if (spec.kind !== 'ssh' && (o.identity !== undefined || o.knownHosts !== undefined)) {
    const own = spec.kind === 'vm' ? 'the VM uses the checkout\'s own key' : 'a Vagrant target uses the key `vagrant ssh-config` names';
    throw new UsageError(`--identity and --known-hosts are for ssh:// targets; ${own}`);
  }
  if (o.identity !== undefined) {
    await access(o.identity).catch(() => {
      throw new UsageError(`--identity ${o.identity}: no such file`);
    });
  }
  const cells = matrixCells(matrix);

  // The guest: reachable, big enough, with the checkout.
  const target = await (deps.openTarget ?? openTarget)(spec, {
    ...(o.identity !== undefined ? { identity: o.identity } : {}),
    ...(o.knownHosts !== undefined ? { knownHosts: o.knownHosts } : {}),
    ...(o.guestDir !== undefined ? { guestDir: o.guestDir } : {}),
  });
  note(`target ${target.label}`);
  let guest = await readGuestInfo(target);
  const scale = planScale(matrix, guest);
  if (!guest.hasProject) {
    await target.prepare(note);
    guest = await readGuestInfo(target);
    if (!guest.hasProject) throw new ExperimentError(`the checkout is still not at ${target.guestDir} in the guest after copying it`);
  }
  if (guest.balloon === null && matrix.policies.some((p) => p !== 'kernel')) {
    note(`warning: the guest has no /sys/kernel/mm/balloon (kernel ${guest.uname.split(' ')[2] ?? '?'}): agent policies will fail; boot the patched kernel`);
  }
  if (signal.aborted) return { dir: null, interrupted: true, ok: 0, failed: 0 };

  const startedAt = new Date(now());
  const writer = await ResultsWriter.create(o.out, startedAt);
  note(`results in ${writer.dir}`);
  const meta: ExperimentMeta = {
    status: 'running',
    startedAt: startedAt.toISOString(),
    endedAt: null,
    argv: deps.argv ?? [],
    host: { uname: await (deps.hostUname ?? defaultHostUname)(), node: process.version },
    target: { label: target.label, spec, guestDir: target.guestDir },
    guest,
    swapDevice: spec.kind === 'vm' ? ((await readVmState(spec.instance))?.swapDevice ?? null) : null,
    matrix,
    scale,
    cells: cells.length,
    runs: { done: 0, ok: 0, failed: 0 },
    exampleCommand: cells[0] === undefined ? '' : guestCommand(target, runArgs(cells[0], matrix, scale), matrix.timeoutSeconds),
  };
  await writer.writeMeta(meta);

  const progress = new Progress(deps.stderr, cells.length, now, deps.expectedRunMs === undefined ? undefined : { cells, expectedMs: deps.expectedRunMs });
  const execute = deps.executor ?? targetExecutor(target, matrix, scale);
  let outcome;
  try {
    outcome = await runMatrix({
      cells,
      execute,
      describe: (cell) => guestCommand(target, runArgs(cell, matrix, scale), matrix.timeoutSeconds),
      timeoutMs: (matrix.timeoutSeconds + SSH_GRACE_SECONDS) * 1000,
      graceMs: 5000,
      signal,
      now,
      onRecord: async (r) => {
        meta.runs.done++;
        if (r.status === 'ok') meta.runs.ok++;
        else meta.runs.failed++;
        await writer.addRun(r);
        await writer.writeMeta(meta);
      },
      hooks: { start: (c) => progress.start(c), finish: (r) => progress.finish(r) },
    });
  } finally {
    progress.stop();
  }
  // MIN after the runs: with the memory they had (bound.ts), so that it bounds every one of them.
  // An interrupted matrix gets its bound too, from the runs it has.
  if (o.simulate !== false) {
    const bounds: WorkloadBound[] = [];
    for (const w of matrix.workloads) {
      const memory = boundMemory(outcome.records, w, scale);
      const why = memory.source === 'peak-resident' ? 'the largest peak resident set of its runs' : 'the planned budget: no successful run measured its resident set';
      note(`simulating ${w} (${scale.pages} pages in ${memory.memoryPages} pages of memory, ${why}) for the MIN bound`);
      bounds.push(simulateBound(w, matrix, scale, memory, o.simulatePolicies === true));
      const file: SimulateFile = { version: SIMULATE_FILE_VERSION, note: SIMULATE_NOTE, workloads: bounds };
      await writer.writeSimulate(file);
    }
  }
  meta.status = outcome.interrupted ? 'interrupted' : 'complete';
  meta.endedAt = new Date(now()).toISOString();
  await writer.writeMeta(meta);
  note(`${meta.runs.ok} ok, ${meta.runs.failed} failed of ${cells.length} runs${outcome.interrupted ? ' (interrupted)' : ''}; results in ${writer.dir}`);
  return { dir: writer.dir, interrupted: outcome.interrupted, ok: meta.runs.ok, failed: meta.runs.failed };
}
