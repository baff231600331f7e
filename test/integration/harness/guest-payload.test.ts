/**
 * The guest payload runs on its own: unpacked alone in an empty directory
 * (as an ssh:// guest or the Vagrant box gets it), `balloon --help` and a
 * `balloon simulate` work, and the report's packages are not there.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { guestPayload } from '../../../src/harness/guest-payload.js';
import { projectRoot } from '../../../src/harness/paths.js';

const guest = mkdtempSync(path.join(os.tmpdir(), 'balloon-guest-'));
afterAll(() => rmSync(guest, { recursive: true, force: true }));

describe('guest payload, unpacked alone', { timeout: 120_000 }, () => {
  it('runs balloon --help and balloon simulate, without vega or the tests', () => {
    // As target.ts and vagrant/box.ts pack it: tar of the payload's paths, unpacked in the guest's directory.
    execFileSync('sh', ['-c', 'src=$1 dst=$2; shift 2; tar -C "$src" -czf - -- "$@" | tar -C "$dst" -xzf -', 'sh', projectRoot, guest, ...guestPayload(projectRoot)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
    expect(existsSync(path.join(guest, 'node_modules', 'vega'))).toBe(false);
    expect(existsSync(path.join(guest, 'test'))).toBe(false);
    const help = execFileSync(process.execPath, ['bin/balloon.js', '--help'], { cwd: guest, encoding: 'utf8' });
    expect(help).toMatch(/Usage: balloon/);
    const sim = JSON.parse(execFileSync(process.execPath, ['bin/balloon.js', 'simulate', '-w', 'course', '-m', '256p', '--json'], { cwd: guest, encoding: 'utf8' })) as {
      results: { policy: string }[];
    };
    expect(sim.results.map((r) => r.policy)).toContain('balloon');
  });
});
