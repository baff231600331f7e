/**
 * ssh command lines from src/harness/ssh.ts as the real ssh resolves them
 * (`ssh -G` prints the configuration it would use and connects nowhere): the
 * destination stays 127.0.0.1:PORT whatever an ssh configuration file says
 * (needs openssh-client, hence this tier; the pure checks are in
 * test/unit/experiment/ssh.test.ts).
 */
import { spawnSync } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sshArgs } from '../../../src/harness/ssh.js';
import { openTarget, parseTarget } from '../../../src/experiment/target.js';

const hasSsh = spawnSync('ssh', ['-V']).error === undefined;

describe('ssh -G: what the real ssh would connect to', () => {
  let dir: string;
  beforeAll(async () => {
    // openssh-client is in scripts/debian-packages.txt: without it this fails, with the reason.
    if (!hasSsh) throw new Error('ssh is not installed: install openssh-client (scripts/install-deps.sh)');
    dir = await mkdtemp(path.join(tmpdir(), 'balloon-ssh-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** ssh's resolved configuration for argv, as keyword -> values. */
  const resolved = (argv: readonly string[]): Map<string, string[]> => {
    const r = spawnSync('ssh', ['-G', ...argv], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(r.status, r.stderr).toBe(0);
    const out = new Map<string, string[]>();
    for (const line of r.stdout.split('\n')) {
      const m = /^(\S+) (.*)$/.exec(line);
      if (m) out.set(m[1]!, [...(out.get(m[1]!) ?? []), m[2]!]);
    }
    return out;
  };

  const hostileConfigs = {
    proxyCommand: 'Host *\n  HostName 10.0.0.1\n  Port 2\n  User evil\n  ProxyCommand nc 10.0.0.1 22\n  ControlMaster auto\n  ControlPath /tmp/evil-%C\n  LocalForward 8080 10.0.0.1:80\n  PermitLocalCommand yes\n  LocalCommand id\n',
    proxyJump: 'Host 127.0.0.1\n  HostName 10.0.0.1\n  ProxyJump evil@10.0.0.1:22\n  RemoteCommand id\n',
  };

  it.each(Object.entries(hostileConfigs))('a hostile configuration (%s) cannot redirect the connection', async (name, text) => {
    const file = path.join(dir, `${name}.config`);
    await writeFile(file, text);
    // The check can fail: read as a user's ~/.ssh/config would be, the file redirects plain ssh.
    const plain = resolved(['-F', file, '--', '127.0.0.1']);
    expect(plain.get('hostname')).toEqual(['10.0.0.1']);

    const argv = sshArgs({ user: 'vagrant', port: 2222 }, ['true']);
    expect(argv.slice(0, 2)).toEqual(['-F', 'none']);
    // As built (no configuration file read at all), and as if ssh had read the file anyway.
    for (const variant of [argv, ['-F', file, ...argv.slice(2)]]) {
      const c = resolved(variant);
      expect(c.get('hostname')).toEqual(['127.0.0.1']);
      expect(c.get('port')).toEqual(['2222']);
      expect(c.get('user')).toEqual(['vagrant']);
      for (const k of ['proxycommand', 'proxyjump', 'controlpath', 'localcommand', 'remotecommand', 'localforward', 'remoteforward', 'dynamicforward']) {
        expect(c.get(k), k).toBeUndefined();
      }
      expect(c.get('permitlocalcommand')).toEqual(['no']);
      expect(c.get('controlmaster')).toEqual(['false']);
    }
  });

  it('the injection of the issue: with the old command line ssh would have jumped through 10.0.0.1', () => {
    // What target.ts used to run: the user@host word before `--`.
    const old = resolved(['-F', 'none', '-p', '22', '-oProxyJump=10.0.0.1,x@127.0.0.1', '--', 'true']);
    expect(old.get('proxyjump')?.[0]).toContain('10.0.0.1');
  });
});

describe('an ssh:// target runs ssh with the built command line', () => {
  let dir: string;
  let oldPath: string | undefined;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'balloon-fake-ssh-'));
    // A stand-in ssh that records its arguments, one per line.
    await writeFile(path.join(dir, 'ssh'), `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a"; done > "${dir}/argv"\necho ok\n`);
    await chmod(path.join(dir, 'ssh'), 0o755);
    oldPath = process.env['PATH'];
    process.env['PATH'] = `${dir}:${oldPath ?? ''}`;
  });
  afterAll(async () => {
    process.env['PATH'] = oldPath;
    await rm(dir, { recursive: true, force: true });
  });

  it('exec', async () => {
    const spec = parseTarget('ssh://vagrant@localhost:2222');
    const target = await openTarget(spec, { identity: '/keys/id' });
    const r = await target.exec('echo "$HOME"');
    expect(r).toMatchObject({ exitCode: 0, stdout: 'ok' });
    const argv = (await readFile(path.join(dir, 'argv'), 'utf8')).split('\n').slice(0, -1);
    expect(argv).toEqual(sshArgs({ user: 'vagrant', port: 2222, identity: '/keys/id' }, ['echo "$HOME"']));
  });
});
