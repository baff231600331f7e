/**
 * Every ssh command line comes from src/harness/ssh.ts: a login that cannot
 * become an option, `--` before the destination, and a destination pinned to
 * 127.0.0.1:PORT whatever an ssh configuration file says (the real ssh's
 * `-G` checks that in test/integration/experiment/ssh-config.test.ts).
 */
import { describe, expect, it } from 'vitest';
import { sshArgs, loginNameProblem, isLoopbackAddress } from '../../../src/harness/ssh.js';
import { vmSshDestination } from '../../../src/harness/vm.js';
import { parseTarget } from '../../../src/experiment/target.js';

const HOSTILE_TARGET = 'ssh://-oProxyJump=10.0.0.1,x@127.0.0.1:22';

describe('ssh destinations', () => {
  it('refuses a user name that ssh would read as an option', () => {
    expect(() => parseTarget(HOSTILE_TARGET)).toThrow('--target ssh://-oProxyJump=10.0.0.1,x@127.0.0.1:22: the user name "-oProxyJump=10.0.0.1,x" starts with "-" (ssh would read it as an option)');
    expect(() => parseTarget('ssh://-p@127.0.0.1:22')).toThrow(/starts with "-"/);
    expect(() => parseTarget('ssh://a b@127.0.0.1')).toThrow(/expected ssh:\/\/USER@127\.0\.0\.1:PORT/);
    expect(() => parseTarget('ssh://x:y@127.0.0.1:22')).toThrow(/"x:y" is not a login name/);
  });

  it('accepts POSIX portable login names and nothing else', () => {
    for (const ok of ['root', 'vagrant', 'a.b_c-d', '_apt', 'u1']) expect(loginNameProblem(ok), ok).toBeNull();
    for (const bad of ['', '-x', 'a b', 'a;b', 'a/b', 'ü', 'a'.repeat(33), 'a@b']) expect(loginNameProblem(bad), bad).not.toBeNull();
  });

  it('connects to a literal loopback address: localhost becomes 127.0.0.1', () => {
    expect(parseTarget('ssh://root@localhost:2222')).toEqual({ kind: 'ssh', user: 'root', host: '127.0.0.1', port: 2222 });
    expect(parseTarget('ssh://me@[::1]:22')).toEqual({ kind: 'ssh', user: 'me', host: '::1', port: 22 });
    for (const h of ['127.0.0.1', '127.1.2.3', '::1']) expect(isLoopbackAddress(h), h).toBe(true);
    for (const h of ['localhost', '127.0.0.256', '10.0.0.1', '0.0.0.0', '::', 'example.org', '127.0.0.1.example.org']) expect(isLoopbackAddress(h), h).toBe(false);
  });

  it('builds an argv where nothing from outside can become an option', () => {
    const argv = sshArgs({ user: 'vagrant', port: 2222, identity: '/keys/id', knownHosts: '/kh/known 100%' }, ['uname -a']);
    const end = argv.indexOf('--');
    expect(argv.slice(end)).toEqual(['--', '127.0.0.1', 'uname -a']);
    expect(argv.slice(0, 2)).toEqual(['-F', 'none']);
    const options = argv.slice(0, end);
    // Every -o comes with one Keyword=value; no destination or user@host before `--`.
    for (let i = 0; i < options.length; i++) {
      if (options[i] === '-o') expect(options[++i]).toMatch(/^[A-Za-z0-9]+=\S/);
    }
    expect(options.some((a) => a.includes('@'))).toBe(false);
    const settings = options.filter((_, i) => options[i - 1] === '-o');
    expect(settings).toEqual(
      expect.arrayContaining([
        'HostName=127.0.0.1', 'Port=2222', 'User=vagrant', 'ProxyCommand=none', 'ProxyJump=none', 'ControlPath=none',
        'PermitLocalCommand=no', 'ClearAllForwardings=yes', 'BatchMode=yes', 'IdentitiesOnly=yes', 'StrictHostKeyChecking=yes',
        'UserKnownHostsFile="/kh/known 100%%"',
      ]),
    );
    expect(argv[argv.indexOf('-i') + 1]).toBe('/keys/id');
    expect(argv).not.toContain('-p');
  });

  it('refuses what it cannot pin, even when called directly', () => {
    expect(() => sshArgs({ user: '-oProxyJump=10.0.0.1,x', port: 22 })).toThrow(/starts with "-"/);
    expect(() => sshArgs({ user: 'root', host: '10.0.0.1', port: 22 })).toThrow(/not a loopback address/);
    expect(() => sshArgs({ user: 'root', host: 'localhost', port: 22 })).toThrow(/not a loopback address/);
    expect(() => sshArgs({ user: 'root', port: 0 })).toThrow(/port 0/);
    expect(() => sshArgs({ user: 'root', port: 22, knownHosts: '/a"b' })).toThrow(/quote or a line break/);
  });

  it('gives the harness VM the same pinned command line, with its key and known host key', () => {
    const argv = sshArgs(vmSshDestination({ port: 40022, sshKey: '/c/.vm/id_ed25519', knownHosts: '/c/.vm/instances/vm/known_hosts' }), ['true']);
    expect(argv.slice(-3)).toEqual(['--', '127.0.0.1', 'true']);
    expect(argv).toEqual(expect.arrayContaining(['User=root', 'Port=40022', 'StrictHostKeyChecking=yes', 'UserKnownHostsFile="/c/.vm/instances/vm/known_hosts"']));
    expect(sshArgs(vmSshDestination({ port: 1, sshKey: '/k', knownHosts: '/h' }), [], { tty: true }).slice(-3)).toEqual(['-t', '--', '127.0.0.1']);
  });
});
