import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { parseAptSources, pickDebianMirror } from '../../../src/harness/apt.js';
import { HarnessError } from '../../../src/harness/errors.js';
import { requireTools } from '../../../src/harness/exec.js';
import { assertPortFree, freePort, qemuArgs } from '../../../src/harness/qemu.js';
import { parseSizeMiB } from '../../../src/harness/sizes.js';

describe('apt sources', () => {
  it('reads deb822 stanzas and one-line entries, and picks the release mirror over the security one', () => {
    const text = [
      'Types: deb',
      'URIs: http://mirror.example/debian-security',
      'Suites: bookworm-security',
      'Components: main',
      '',
      'Types: deb',
      'URIs: http://mirror.example/debian/',
      'Suites: bookworm bookworm-updates',
      'Components: main',
      '',
      'deb [arch=amd64] http://other.example/apt stable main',
    ].join('\n');
    const sources = parseAptSources(text);
    expect(sources).toContainEqual({ uri: 'http://other.example/apt', suites: ['stable'], components: ['main'] });
    expect(pickDebianMirror(sources)).toBe('http://mirror.example/debian');
  });

  it('finds no mirror where none serves a Debian release', () => {
    expect(pickDebianMirror(parseAptSources('deb http://x.example/apt cloud-sdk main\n'))).toBeUndefined();
  });
});

describe('QEMU command line', () => {
  const args = qemuArgs({
    name: 'app-balloon-test',
    kernel: '/k/bzImage',
    rootDisk: '/s/root.qcow2',
    swapDisk: '/s/swap.img',
    memoryMiB: 2048,
    cpus: 2,
    accel: 'tcg',
    sshPort: 40022,
    sshKey: 'AAAAKEY',
    consoleLog: '/s/console.log',
    qmpSocket: '/s/qmp.sock',
    pidFile: '/s/qemu.pid',
  });
  const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1];

  it('forwards ssh on loopback only and isolates the guest from every network', () => {
    expect(after('-netdev')).toBe('user,id=net0,restrict=on,hostfwd=tcp:127.0.0.1:40022-:22');
  });

  it('uses software emulation with several threads, and the given sizes', () => {
    expect(after('-accel')).toBe('tcg,thread=single');
    expect(after('-m')).toBe('2048M');
    expect(after('-smp')).toBe('2');
  });

  it('boots our init with the key and a serial console', () => {
    expect(after('-append')).toMatch(/console=ttyS0 .*init=\/sbin\/balloon-init .*balloon_key=AAAAKEY/);
    expect(after('-serial')).toBe('file:/s/console.log');
  });
});

describe('ports', () => {
  it('finds a free port on loopback', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    await expect(assertPortFree(port)).resolves.toBeUndefined();
  });

  it('says clearly that a chosen port is taken', async () => {
    const server = createServer();
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    await expect(assertPortFree(port)).rejects.toThrow(new RegExp(`port ${port} on 127\\.0\\.0\\.1 is taken`));
    server.close();
  });
});

describe('sizes', () => {
  it('parses memory sizes to MiB', () => {
    expect(parseSizeMiB('2G')).toBe(2048);
    expect(parseSizeMiB('1536M')).toBe(1536);
    expect(parseSizeMiB('512MiB')).toBe(512);
    expect(parseSizeMiB('4096M')).toBe(4096);
    expect(parseSizeMiB('1.5g')).toBe(1536);
    expect(parseSizeMiB('1048577')).toBe(2); // bytes, rounded up to whole MiB
  });

  it('reads a plain number as bytes, like every size option, and says what was probably meant', () => {
    expect(() => parseSizeMiB('512', '--memory', 256)).toThrow('--memory 512 is 512 bytes, below the minimum of 256 MiB; a plain number is bytes: did you mean 512M?');
    expect(() => parseSizeMiB('128M', '--memory', 256)).toThrow('--memory 128M is 128 MiB, below the minimum of 256 MiB');
  });

  it('refuses garbage, zero and negative sizes', () => {
    expect(() => parseSizeMiB('lots')).toThrow(RangeError);
    expect(() => parseSizeMiB('0')).toThrow('size must be positive, got "0"');
    expect(() => parseSizeMiB('-1G')).toThrow(RangeError);
  });
});

describe('build dependencies', () => {
  it('names every missing tool and the command that installs it', async () => {
    const err = (await requireTools('kernel:build', [
      { command: 'sh', debianPackage: 'dash' },
      { command: 'no-such-tool-balloon', debianPackage: 'balloon-tools' },
      { file: '/no/such/header.h', debianPackage: 'libballoon-dev' },
    ]).catch((e: unknown) => e)) as HarnessError;
    expect(err).toBeInstanceOf(HarnessError);
    expect(err.message).toBe('kernel:build: missing build dependency: no-such-tool-balloon, /no/such/header.h.');
    expect(err.hint).toMatch(/apt-get install balloon-tools libballoon-dev/);
  });
});
