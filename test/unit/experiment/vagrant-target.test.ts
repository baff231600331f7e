/**
 * `--target vagrant`: parsing `vagrant ssh-config` and the forward's command
 * line, and the whole resolution against a stand-in `vagrant` on PATH and a
 * live process whose command line carries `-L 127.0.0.1:PORT:GUEST:22`, as
 * vagrant-libvirt's ssh forward does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { parseTarget } from '../../../src/experiment/target.js';
import { listensOnLoopback, machineDataDir, parseForward, parseSshConfig, resolveVagrantSsh, vagrantMessage } from '../../../src/experiment/vagrant-target.js';

const sshConfig = `Host default
  HostName 192.168.121.37
  User root
  Port 22
  UserKnownHostsFile /dev/null
  StrictHostKeyChecking no
  PasswordAuthentication no
  IdentityFile "/srv/my checkout/.vm/id_ed25519"
  IdentitiesOnly yes
  LogLevel FATAL

Host other
  HostName 192.168.121.38
  User vagrant
`;

describe('parsing', () => {
  it('parses vagrant ssh-config blocks, with quoted paths', () => {
    expect(parseSshConfig(sshConfig)).toEqual([
      { host: 'default', hostName: '192.168.121.37', user: 'root', port: 22, identityFiles: ['/srv/my checkout/.vm/id_ed25519'] },
      { host: 'other', hostName: '192.168.121.38', user: 'vagrant', port: 22, identityFiles: [] },
    ]);
    expect(parseSshConfig('')).toEqual([]);
  });

  it('reads the -L forward of an ssh command line', () => {
    const cmdline = ['ssh', '-o', 'User=root', '-n', '-L', '127.0.0.1:2222:192.168.121.37:22', '-N', '192.168.121.37', ''].join('\0');
    expect(parseForward(cmdline)).toEqual({ bindHost: '127.0.0.1', hostPort: 2222, guestHost: '192.168.121.37', guestPort: 22 });
    expect(parseForward(['ssh', '-L', '*:8080:[fe80::1]:80', ''].join('\0'))).toEqual({ bindHost: '*', hostPort: 8080, guestHost: '[fe80::1]', guestPort: 80 });
    expect(parseForward(['ssh', '-N', 'host', ''].join('\0'))).toBeNull();
    expect(parseForward(['ssh', '-L'].join('\0'))).toBeNull();
  });

  it('knows which bind addresses include loopback', () => {
    expect(['127.0.0.1', 'localhost', '*', '0.0.0.0', ''].every(listensOnLoopback)).toBe(true);
    expect(['192.168.121.1', '10.0.0.2'].some(listensOnLoopback)).toBe(false);
  });

  it('finds the machine data directory as vagrant does', () => {
    expect(machineDataDir('default', { VAGRANT_CWD: '/srv/box' })).toBe('/srv/box/.vagrant/machines/default/libvirt');
    expect(machineDataDir('m1', { VAGRANT_CWD: '/srv/box', VAGRANT_DOTFILE_PATH: 'state' })).toBe('/srv/box/state/machines/m1/libvirt');
    expect(machineDataDir('m1', { VAGRANT_CWD: '/srv/box', VAGRANT_DOTFILE_PATH: '/var/dot' })).toBe('/var/dot/machines/m1/libvirt');
  });

  it('parses vagrant targets and refuses bad machine names', () => {
    expect(parseTarget('vagrant')).toEqual({ kind: 'vagrant', machine: 'default' });
    expect(parseTarget('vagrant:node-2')).toEqual({ kind: 'vagrant', machine: 'node-2' });
    expect(() => parseTarget('vagrant:../x')).toThrow(/"..\/x" is not a Vagrant machine name/);
    expect(() => parseTarget('vagrants')).toThrow(/expected vm, vm:INSTANCE, vagrant, vagrant:MACHINE or ssh:/);
  });
});

describe('resolveVagrantSsh with a stand-in vagrant', () => {
  let dir: string;
  let env: NodeJS.ProcessEnv;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'balloon-vagrant-target-'));
    await mkdir(path.join(dir, 'bin'));
    // Prints the ssh config, or fails as vagrant does for a machine that is not up.
    await writeFile(
      path.join(dir, 'bin', 'vagrant'),
      `#!/bin/sh\necho "$@" >> "$VAGRANT_CWD/calls"\n[ "$1" = ssh-config ] || exit 64\nif [ -f "$VAGRANT_CWD/down" ]; then echo "The provider for this Vagrant-managed machine is reporting that it is not yet ready for SSH." >&2; exit 1; fi\ncat "$VAGRANT_CWD/ssh-config"\n`,
    );
    await chmod(path.join(dir, 'bin', 'vagrant'), 0o755);
    await writeFile(path.join(dir, 'ssh-config'), sshConfig);
    env = { ...process.env, PATH: `${path.join(dir, 'bin')}:${process.env['PATH'] ?? ''}`, VAGRANT_CWD: dir, VAGRANT_DOTFILE_PATH: 'dot' };
  });

  afterEach(async () => {
    for (const c of children.splice(0)) c.kill('SIGKILL');
    await rm(path.join(dir, 'dot'), { recursive: true, force: true });
    await rm(path.join(dir, 'down'), { force: true });
    await rm(path.join(dir, 'calls'), { force: true });
  });

  /** What vagrant-libvirt leaves once the machine was created. */
  const created = async (): Promise<void> => {
    await mkdir(machineDataDir('default', env), { recursive: true });
    await writeFile(path.join(machineDataDir('default', env), 'id'), 'a8c7e3f0-0000-4000-8000-000000000000');
  };
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** A live process whose command line looks like vagrant-libvirt's forward, with its pid file. */
  const forward = async (spec: string, hostPort: number): Promise<void> => {
    const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', '--', '-n', '-L', spec, '-N', '192.168.121.37'], { stdio: 'ignore' });
    children.push(child);
    const pids = path.join(machineDataDir('default', env), 'pids');
    await mkdir(pids, { recursive: true });
    await writeFile(path.join(pids, `ssh_${hostPort}.pid`), String(child.pid));
  };

  it('resolves the login, the key and the loopback port of the forward', async () => {
    await created();
    await forward('127.0.0.1:2345:192.168.121.37:22', 2345);
    await expect(resolveVagrantSsh('default', env)).resolves.toEqual({
      machine: 'default',
      user: 'root',
      port: 2345,
      identity: '/srv/my checkout/.vm/id_ed25519',
      guestAddress: '192.168.121.37',
    });
  });

  it('ignores dead forwards, other guest ports and forwards not on loopback', async () => {
    await created();
    await forward('127.0.0.1:8080:192.168.121.37:80', 8080);
    await forward('192.168.121.1:2400:192.168.121.37:22', 2400);
    const pids = path.join(machineDataDir('default', env), 'pids');
    await writeFile(path.join(pids, 'ssh_2401.pid'), '999999999');
    await expect(resolveVagrantSsh('default', env)).rejects.toThrow(/ssh \(192\.168\.121\.37:22\) is not forwarded to 127\.0\.0\.1 .*BALLOON_VAGRANT_SSH_PORT/);
  });

  it('says the machine is not up when vagrant ssh-config fails', async () => {
    await created();
    await writeFile(path.join(dir, 'down'), '');
    await expect(resolveVagrantSsh('default', env)).rejects.toThrow(/vagrant ssh-config default.* failed \(The provider .* not yet ready for SSH\.\); is the machine up\?/);
  });

  it('without a created machine: one line, vagrant is not run, and no .vagrant directory is left', async () => {
    const err = await resolveVagrantSsh('default', { ...env, VAGRANT_DOTFILE_PATH: '' }).catch((e: unknown) => e as Error);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toBe(
      `--target vagrant: there is no Vagrant machine "default" for ${dir} (no .vagrant/machines/default/libvirt/id); create it with \`vagrant up --provider=libvirt\` (see README, "Vagrant")`,
    );
    expect(existsSync(path.join(dir, 'calls')), 'vagrant was run').toBe(false);
    expect(existsSync(path.join(dir, '.vagrant'))).toBe(false);
  });

  it('puts vagrant\'s wrapped message on one line', () => {
    const stderr = 'The provider for this Vagrant-managed machine is reporting that it\nis not yet ready for SSH. Depending on your provider this can carry\ndifferent meanings.\n';
    expect(vagrantMessage(stderr)).toBe('The provider for this Vagrant-managed machine is reporting that it is not yet ready for SSH. Depending on your provider this can carry different meanings.');
  });

  it('refuses a login from vagrant ssh-config that ssh would read as an option', async () => {
    await created();
    await writeFile(path.join(dir, 'ssh-config'), sshConfig.replace('User root', 'User -oProxyCommand=nc'));
    try {
      await expect(resolveVagrantSsh('default', env)).rejects.toThrow(/gives a login ssh cannot be given: the user name "-oProxyCommand=nc" starts with "-"/);
    } finally {
      await writeFile(path.join(dir, 'ssh-config'), sshConfig);
    }
  });

  it('says vagrant is missing', async () => {
    await created();
    await expect(resolveVagrantSsh('default', { ...env, PATH: path.join(dir, 'nothing') })).rejects.toThrow(/cannot run vagrant .*install it/);
  });
});
