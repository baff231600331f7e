/**
 * The scripts behind npm run bench:*, kernel:stress and compare-proactive
 * refuse bad options with one error line and exit status 1, before they
 * build, boot or compute anything (integration tier: a tsx process per case).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');

function script(name: string, args: readonly string[]) {
  return execa('node', ['--import', 'tsx', `scripts/${name}.ts`, ...args], { cwd: root, reject: false, timeout: 60_000, env: { BALLOON_KERNEL_SOURCE: '/nonexistent.tar' } });
}

const CASES: [string, string, string[], string][] = [
  ['bench:kernel', 'bench-kernel', ['--bogus'], "Unknown option '--bogus'."],
  ['bench:kernel', 'bench-kernel', ['--busy', '-1'], "Option '--busy' argument is ambiguous."],
  ['bench:kernel', 'bench-kernel', ['--busy=-1'], '--busy must be a whole number of at least 0, got "-1".'],
  // Sizes in the one grammar (src/cli/README.md, "Sizes"): a plain number is bytes.
  ['bench:kernel', 'bench-kernel', ['--alloc', '512'], '--alloc 512 is 512 bytes, below the minimum of 1 MiB; a plain number is bytes: did you mean 512M or 512p?'],
  ['bench:kernel', 'bench-kernel', ['--memory', '1024'], '--memory 1024 is 1 KiB, below the minimum of 256 MiB; a plain number is bytes: did you mean 1024M?'],
  ['bench:kernel', 'bench-kernel', ['--cpus', '0'], '--cpus must be a whole number of at least 1, got "0".'],
  ['bench:kernel', 'bench-kernel', ['--call-pages', '300000'], '--call-pages must be at most 262144'],
  ['bench:kernel', 'bench-kernel', ['--tcg-threads', 'many'], '--tcg-threads must be single or multi, got "many".'],
  ['bench:agent', 'bench-agent', ['--bogus'], "Unknown option '--bogus'."],
  ['bench:agent', 'bench-agent', ['--memory', '1024'], '--memory 1024 is 1 KiB, below the minimum of 64 KiB (16 pages); a plain number is bytes: did you mean 1024M or 1024p?'],
  ['bench:agent', 'bench-agent', ['--exact-memory', 'lots'], '--exact-memory "lots" is not a size: '],
  ['compare-proactive', 'compare-proactive', ['--memory', '0'], '--memory must be positive, got "0".'],
  ['bench:signal', 'bench-signal', ['--count', 'x'], '--count must be a whole number of at least 1, got "x".'],
  ['kernel:stress', 'kernel-stress', ['--bogus'], "Unknown option '--bogus'."],
  ['compare-proactive', 'compare-proactive', ['--bogus'], "Unknown option '--bogus'."],
  // An --out where nothing can be made fails at the start, not after the work (Node's own recursive mkdir hangs under /proc).
  ['bench:kernel', 'bench-kernel', ['--out', '/proc/balloon-no-such/out.json'], '--out /proc/balloon-no-such/out.json: cannot make its directory /proc/balloon-no-such (ENOENT)'],
  ['bench:agent', 'bench-agent', ['--out', '/proc/balloon-no-such/out.json'], '--out /proc/balloon-no-such/out.json: cannot make its directory /proc/balloon-no-such (ENOENT)'],
  ['bench:signal', 'bench-signal', ['--out', '/proc/balloon-no-such/out.json'], '--out /proc/balloon-no-such/out.json: cannot make its directory /proc/balloon-no-such (ENOENT)'],
  ['compare-proactive', 'compare-proactive', ['--out', '/proc/balloon-no-such/out.json'], '--out /proc/balloon-no-such/out.json: cannot make its directory /proc/balloon-no-such (ENOENT)'],
];

describe('script options', () => {
  it.each(CASES)('%s %j: one error line, exit 1', async (scope, name, args, message) => {
    const r = await script(name, args);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^${scope}: error: `));
    expect(lines[0]).toContain(message);
    expect(lines[0]).toContain(`See the usage at the top of scripts/${name}.ts.`);
    expect(r.stdout).toBe('');
  });
});

describe('the guest side of bench:kernel (scripts/guest/swap-throughput.ts)', () => {
  it.each([
    [['foo', '1'], 'expected balloon|kernel and MIB, got "foo 1".'],
    [['balloon', 'x'], 'MIB must be a whole number of at least 1, got "x".'],
    [['kernel', '1', '--alloc', '5'], '--alloc is for balloon runs only.'],
    [['balloon', '1', '--call-pages', '300000'], '--call-pages must be at most 262144, got "300000".'],
  ])('%j: one error line, exit 1, before it registers or allocates', async (args, message) => {
    const r = await script('guest/swap-throughput', args);
    expect(r.exitCode, r.stderr).toBe(1);
    const lines = r.stderr.split('\n').filter((l) => l.trim() !== '');
    expect(lines, r.stderr).toHaveLength(1);
    expect(lines[0]).toMatch(/^swap-throughput: error: /);
    expect(lines[0]).toContain(message);
    expect(lines[0]).toContain('Usage: swap-throughput.ts balloon|kernel MIB');
    expect(r.stdout).toBe('');
  });
});
