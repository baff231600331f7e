import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { fixtureCopy } from '../report/fixture.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const lines = (s: string): string[] => s.split('\n').filter((l) => l.trim() !== '');

/** The CLI in this process (parsing, errors, help): its exit code and what it printed. */
async function cli(...args: string[]): Promise<{ exitCode: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const exitCode = await main(args, { out: (s) => void (stdout += s), err: (s) => void (stderr += s) });
  return { exitCode, stdout, stderr };
}

const WORKLOADS = 'course, sweep, random, zipf, phases, strided, sweep-hot, mix, loop, hot-scan, noisy-phases, interleaved, drift';

describe('balloon CLI argument errors: one line, the flag as typed, a --help hint, exit 2', { timeout: 60_000 }, () => {
  it.each([
    [['run', '--workload', 'nope', '--policy', 'kernel'], `balloon: error: unknown workload "nope"; valid workloads: ${WORKLOADS} (see balloon run --help)`],
    [['run', '--workload', 'sweep', '--policy', 'lru'], 'balloon: error: unknown policy "lru"; valid policies: kernel, fifo, random, lru-approx, balloon (see balloon run --help)'],
    [['run', '--workload', 'sweep', '--policy', 'kernel', '--size', '0'], 'balloon: error: --size must be positive, got "0" (see balloon run --help)'],
    [['run', '--workload', 'sweep', '--policy', 'kernel', '--size', '-64M'], 'balloon: error: --size must be positive, got "-64M" (see balloon run --help)'],
    [['run', '-w', 'sweep', '-p', 'kernel', '--size', '1p'], 'balloon: error: --size 1p is 4 KiB (1 page), below the minimum of 64 KiB (16 pages) (see balloon run --help)'],
    [['run', '-w', 'sweep', '-p', 'kernel', '--size', 'lots'], 'balloon: error: --size "lots" is not a size: a number of bytes with an optional unit K, M, G, T (powers of 1024) or p (4 KiB pages), e.g. 512M, 2G, 1000p (see balloon run --help)'],
    [['run', '--workload', 'sweep', '--policy', 'kernel', '--passes', '0', '--size', '1M'], 'balloon: error: --passes must be a positive integer, got "0" (see balloon run --help)'],
    [['run', '--workload', 'sweep', '--policy', 'balloon', '--scan-budget', '0', '--size', '1M'], 'balloon: error: --scan-budget must be a share of one CPU in (0, 1] or a percentage in (0, 100]%, got "0" (see balloon run --help)'],
    [['run', '-w', 'sweep', '-p', 'balloon', '--refresh-residency', 'sometimes'], 'balloon: error: --refresh-residency "sometimes": choose one of never, when-empty, arrivals, returns, always (see balloon run --help)'],
    [['run', '-w', 'sweep', '-p', 'kernel', '--refresh-residency', 'always', '--size', '1M'], "balloon: error: --refresh-residency is about the agent's answers: --policy kernel runs without an agent (see balloon run --help)"],
    [['run', '--workload', 'sweep'], 'balloon: error: -p/--policy is required (see balloon run --help)'],
    [['run', '-w', 'sweep', '-p', 'kernel', '--region', 'nope'], 'balloon: error: --region "nope": choose one of auto, addon, sab (see balloon run --help)'],
    [['run', '-w', 'sweep', '-p', 'kernel', '--size'], 'balloon: error: --size needs a value (--size <size>) (see balloon run --help)'],
    [['run', '-w', 'sweep', '-p', 'kernel', '--bogus'], 'balloon: error: unknown option --bogus (see balloon run --help)'],
    [['frob'], 'balloon: error: unknown command frob (see balloon --help)'],
    [['simulate', '--workload', 'zig', '--memory', '10M'], `balloon: error: unknown workload "zig"; valid workloads: ${WORKLOADS} (see balloon simulate --help)`],
    [['simulate', '--workload', 'zipf', '--memory', '-3'], 'balloon: error: -m/--memory must be positive, got "-3" (see balloon simulate --help)'],
    [['simulate', '-w', 'zipf', '-m', '99999999999999999999'], 'balloon: error: -m/--memory "99999999999999999999" is too large (more than 8 PiB) (see balloon simulate --help)'],
    [['simulate', '-w', 'zipf', '-m', '1'], 'balloon: error: -m/--memory 1 is 1 byte, below the minimum of one 4 KiB page; a plain number is bytes: did you mean 1M or 1p? (see balloon simulate --help)'],
    [
      ['simulate', '-w', 'course', '-m', '1000000000p'],
      'balloon: error: course over 2000000000 pages (2 x -m/--memory) with 10 passes makes 12000000000 references, more than the 1073741824 a simulation holds; give a smaller -m/--memory or --pages, or fewer --passes (see balloon simulate --help)',
    ],
    [
      ['simulate', '-w', 'course', '-m', '4096'],
      'balloon: error: -m/--memory is 4 KiB (1 page) (a plain number is bytes), so the workload (2 x memory) would be 2 pages; every workload needs at least 16 pages (64 KiB): give a bigger -m/--memory (e.g. 1000p or 16M) or --pages (see balloon simulate --help)',
    ],
    [['simulate', '--memory', '10M'], 'balloon: error: give either --workload NAME or --trace FILE (a reference string recorded by balloon run --trace) (see balloon simulate --help)'],
    [['simulate', '--workload', 'zipf', '--trace', 'x.bin', '--memory', '10M'], 'balloon: error: give either --workload NAME or --trace FILE (a reference string recorded by balloon run --trace) (see balloon simulate --help)'],
    [['simulate', '--trace', 'x.bin', '--passes', '2', '--memory', '10M'], 'balloon: error: --passes describe a workload; a --trace replays the file as it is (see balloon simulate --help)'],
    [['simulate', '--workload', 'zipf', '--memory', '10M', '--scan-every', '0'], 'balloon: error: --scan-every must be a positive integer, got "0" (see balloon simulate --help)'],
    [['experiment', '-w', 'course', '-r', 'x'], 'balloon: error: -r/--repetitions must be a positive integer, got "x" (see balloon experiment --help)'],
    [['experiment', '-w', 'course', '--known-hosts', '/nonexistent', '--target', 'ssh://u@127.0.0.1:2222'], 'balloon: error: --known-hosts /nonexistent: no such file (see balloon experiment --help)'],
    [['experiment', '-w', 'course', '--identity', '/nonexistent'], 'balloon: error: --identity /nonexistent: no such file (see balloon experiment --help)'],
    [['experiment', '-w', 'course', '--target', 'ssh://-oProxyJump=10.0.0.1,x@127.0.0.1:22'], 'balloon: error: --target ssh://-oProxyJump=10.0.0.1,x@127.0.0.1:22: the user name "-oProxyJump=10.0.0.1,x" starts with "-" (ssh would read it as an option) (see balloon experiment --help)'],
    [['report'], 'balloon: error: missing results-dir (see balloon report --help)'],
    [['vm', 'up', '--memory', '512'], 'balloon: error: --memory 512 is 512 bytes, below the minimum of 256 MiB; a plain number is bytes: did you mean 512M? (see balloon vm up --help)'],
    [['vm', 'up', '--cpus', '0'], 'balloon: error: --cpus "0": must be an integer from 1 to 64 (see balloon vm up --help)'],
    [['vm', 'frob'], 'balloon: error: unknown command frob (see balloon vm --help)'],
  ])('%j', async (args, message) => {
    const r = await cli(...args);
    expect(lines(r.stderr)).toEqual([message]);
    expect(r.exitCode).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('no message says "1 pages"', async () => {
    for (const args of [['run', '-w', 'sweep', '-p', 'kernel', '--size', '1p'], ['simulate', '-w', 'sweep', '-m', '16M', '--pages', '1p']]) {
      const r = await cli(...args);
      expect(r.exitCode).toBe(2);
      expect(r.stderr).toMatch(/\b1 page\b/);
      expect(r.stderr).not.toMatch(/\b1 pages\b/);
    }
  });

  it('refuses a size bigger than RAM + swap before running anything', async () => {
    const r = await cli('run', '--workload', 'sweep', '--policy', 'kernel', '--size', '64T', '--trace', path.join(tmp, 'never.bin'));
    expect(r.exitCode).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^balloon: error: workload size 64 TiB is bigger than RAM \+ swap \(/);
    expect(() => readFileSync(path.join(tmp, 'never.bin'))).toThrow(/ENOENT/);
  });

  it('refuses the default size of the kernel baseline on a host without the balloon kernel', async () => {
    // This checks the host guard, which needs a host without the balloon kernel: fail, do not skip, elsewhere.
    if (existsSync('/sys/kernel/mm/balloon')) throw new Error('this test needs a host without the balloon kernel (/sys/kernel/mm/balloon exists here)');
    const r = await cli('run', '-w', 'course', '-p', 'kernel', '--trace', path.join(tmp, 'never.bin'));
    expect(r.exitCode).toBe(2);
    expect(lines(r.stderr)).toHaveLength(1);
    expect(r.stderr).toMatch(/^balloon: error: this machine runs no balloon kernel \(no \/sys\/kernel\/mm\/balloon\) and the run needs .* pass --allow-host to run it here anyway \(see balloon run --help\)$/m);
    expect(() => readFileSync(path.join(tmp, 'never.bin'))).toThrow(/ENOENT/);
  });
});

describe('balloon help and version', { timeout: 60_000 }, () => {
  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await cli(flag);
      expect(r).toEqual({ exitCode: 0, stdout: `${pkg.version}\n`, stderr: '' });
    }
  });

  it('the top-level help lists every command, with examples and the size grammar', async () => {
    const r = await cli('--help');
    expect(r.exitCode).toBe(0);
    const commands = [...r.stdout.split('Commands:')[1]!.split('\n\n')[0]!.matchAll(/^  (\S+)/gm)].map((m) => m[1]);
    expect(commands).toEqual(['run', 'simulate', 'experiment', 'report', 'vm', 'help']);
    expect(r.stdout).toContain('Examples (no VM needed):');
    expect(r.stdout).toContain('a plain number is bytes');
  });

  it.each([['run'], ['simulate']])('%s --help lists the workloads with their default passes, and examples', async (cmd) => {
    const r = await cli(cmd, '--help');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(`Usage: balloon ${cmd}`);
    expect(r.stdout).toMatch(/^ {2}course +\[10\] the course test/m);
    expect(r.stdout).toMatch(/^ {2}sweep-hot +\[ 3\] a hot eighth/m);
    // One column for the passes, whatever the name's length (noisy-phases is the longest).
    const columns = new Set([...r.stdout.matchAll(/^ {2}[a-z-]+ +(\[[ \d]\d\])/gm)].map((m) => m.index! + m[0].indexOf(m[1]!) - r.stdout.lastIndexOf('\n', m.index!)));
    expect(columns.size).toBe(1);
    expect(r.stdout).toMatch(new RegExp(`Examples[^\n]*:\n {2}balloon ${cmd} -w `));
  });

  it('vm --help lists up, ssh, status and down', async () => {
    const r = await cli('vm', '--help');
    expect(r.exitCode).toBe(0);
    expect([...r.stdout.split('Commands:')[1]!.split('\n\n')[0]!.matchAll(/^  (\S+)/gm)].map((m) => m[1])).toEqual(['up', 'ssh', 'status', 'down', 'help']);
    const up = await cli('vm', 'up', '--help');
    expect(up.stdout).toMatch(/--memory <size> +guest memory \(at least 256M\) \(default: 2G\)/);
  });
});

describe('balloon report arguments', { timeout: 60_000 }, () => {
  it('explains a path to runs.json instead of failing with ENOTDIR', async () => {
    const dir = fixtureCopy('balloon-cli-report-');
    const r = await cli('report', path.join(dir, 'runs.json'));
    expect(lines(r.stderr)).toEqual([`balloon: error: ${path.join(dir, 'runs.json')} is a file; give the results directory it is in: balloon report ${dir} (see balloon report --help)`]);
    expect(r.exitCode).toBe(2);
  });

  it('refuses a runs.json without runs instead of reporting "unknown"', async () => {
    const dir = path.join(tmp, 'empty-results');
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'runs.json'), '[]\n');
    const r = await cli('report', dir);
    expect(lines(r.stderr)).toEqual([`balloon: error: ${path.join(dir, 'runs.json')} holds no runs (the experiment stopped before its first run ended): nothing to report (see balloon report --help)`]);
    expect(r.exitCode).toBe(2);
    expect(existsSync(path.join(dir, 'report.html'))).toBe(false);
  });

  it('refuses an --out that is a file', async () => {
    const file = path.join(tmp, 'a-file');
    writeFileSync(file, '');
    const r = await cli('report', fixtureCopy('balloon-cli-report-'), '--out', path.join(file, 'sub'));
    expect(lines(r.stderr)).toEqual([`balloon: error: --out ${path.join(file, 'sub')}: cannot make the directory (it (or a parent) is a file) (see balloon report --help)`]);
    expect(r.exitCode).toBe(2);
  });

  it('refuses an --out where no directory can be made, at once (Node\'s own recursive mkdir hangs under /proc)', async () => {
    const r = await cli('report', fixtureCopy('balloon-cli-report-'), '--out', '/proc/balloon-no-such/report');
    expect(lines(r.stderr)).toEqual(['balloon: error: --out /proc/balloon-no-such/report: cannot make the directory (ENOENT at /proc/balloon-no-such) (see balloon report --help)']);
    expect(r.exitCode).toBe(2);
  });

  it('makes a missing --out directory and its parents', async () => {
    const out = path.join(tmp, 'new', 'report', 'dir');
    const r = await cli('report', fixtureCopy('balloon-cli-report-'), '--out', out);
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    expect(lines(r.stdout).slice(-2)).toEqual([path.join(out, 'report.html'), path.join(out, 'report.md')]);
    expect(r.stdout).toMatch(/^course: kernel baseline \(median of 2 runs\)/);
    expect(readFileSync(path.join(out, 'report.md'), 'utf8')).toContain('course');
  }, 60_000);
});

describe('balloon simulate through bin/balloon.js', { timeout: 60_000 }, () => {
  it('runs through bin/balloon.js and prints a table; where MIN makes no swap-in, counts and no ratio', async () => {
    const r = await execa('node', ['bin/balloon.js', 'simulate', '--workload', 'phases', '--memory', '64p', '--passes', '1'], { cwd: root, reject: false });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(lines(r.stdout)[0]).toBe('phases: 128 pages, 1 passes, 128 references, memory 64 pages');
    expect(r.stdout).toMatch(/^policy\s+kind\s+faults\s+cold\s+swap-ins\s+vs MIN/m);
    expect(r.stdout).toMatch(/^min\s+min\s+\d+\s+\d+\s+0\s+-\s/m);
    expect(r.stdout).toMatch(/^lirs\s+anchor\s+\d+\s+\d+\s+\d+\s+-\s/m);
    expect(r.stdout).toContain('MIN makes no swap-in here');
    const course = await execa('node', ['bin/balloon.js', 'simulate', '--workload', 'course', '--memory', '32p', '--passes', '5'], { cwd: root, reject: false });
    expect(course.stdout).toMatch(/^min\s+min\s+\d+\s+\d+\s+1\s+1\.00x\s/m);
  });

  it('--trace: a missing file, an empty file, a length not a multiple of 4 are one line each, exit 2', async () => {
    const empty = path.join(tmp, 'empty.trace');
    const odd = path.join(tmp, 'odd.trace');
    writeFileSync(empty, new Uint8Array(0));
    writeFileSync(odd, new Uint8Array(10));
    const cases: [string, string][] = [
      [path.join(tmp, 'missing.trace'), `balloon: error: trace file ${path.join(tmp, 'missing.trace')} does not exist (balloon run --trace FILE records one)`],
      [empty, `balloon: error: trace file ${empty} is empty: a trace holds one little-endian uint32 page number per reference (balloon run --trace writes one)`],
      [odd, `balloon: error: trace file ${odd} is 10 bytes, not a multiple of 4: a trace holds one little-endian uint32 page number per reference; the file is truncated or not a trace`],
      [tmp, `balloon: error: trace file ${tmp} is a directory, not a trace`],
    ];
    const runs = await Promise.all(cases.map(([file]) => cli('simulate', '--trace', file, '--memory', '8p')));
    runs.forEach((r, i) => {
      expect(r.exitCode).toBe(2);
      expect(lines(r.stderr)).toEqual([`${cases[i]![1]} (see balloon simulate --help)`]);
      expect(r.stdout).toBe('');
    });
  });
});
