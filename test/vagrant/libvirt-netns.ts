/**
 * A private libvirtd for the Vagrant test, confined to a network namespace and
 * a mount namespace the test creates: every bridge, DHCP server and NAT rule of
 * vagrant-libvirt's management network lives inside the network namespace, so
 * nothing reaches the machine's own network, and libvirtd's state stays out of
 * the machine's directories.
 *
 * `ip netns exec NS` bind-mounts /etc/netns/NS/<entry> over /etc/<entry>, so
 * libvirtd (started through it) reads its configuration from
 * /etc/netns/NS/libvirt and stores its persistent definitions (storage pool,
 * vagrant-libvirt's network, domains) there too: deleting that directory
 * deletes them. In the mount namespace `ip netns exec` creates (a slave of the
 * machine's, so nothing propagates back), /run/libvirt is a fresh tmpfs and
 * /var/lib/libvirt, /var/log/libvirt are the test directory's own: libvirtd's
 * socket, its run-time state (which it would otherwise reload as "running"
 * pools and networks after a killed run) and its logs vanish with it, and a
 * libvirtd of the machine's own does not get in the way. Every command of the
 * test (virsh, vagrant, ssh) runs in both namespaces through nsenter. QEMU runs
 * as root (qemu.conf), so it can read the kernel in the cache under /root; its
 * stdio goes to files, so no virtlogd is needed. The storage pool "default"
 * lives in the test's directory.
 *
 * A run killed before its tear-down leaves its namespace, configuration and
 * directory behind; the next start() deletes them (see reclaimStale()).
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options } from 'execa';
import { processAlive } from '../../src/harness/cache.js';
import { step } from '../../src/harness/log.js';
import { projectRoot } from '../../src/harness/paths.js';

/** The machine's directories libvirtd writes to, each replaced in the private mount namespace. */
const runDir = '/run/libvirt';
const privateDirs = { '/var/lib/libvirt': 'lib', '/var/log/libvirt': 'log' } as const;
/** The test namespaces' names: balloon-LABEL-PID, PID being the test's process. */
const namespacePattern = /^balloon-[a-z]+-(\d+)$/;
/** In a namespace's configuration directory: the test directory it belongs to (for reclaimStale()). */
const ownerFile = 'app-balloon-test-dir';

/** A running libvirtd's pid from a pid file, when that process is alive. */
async function livePid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}

async function namespaces(): Promise<string[]> {
  const list = String((await execa('ip', ['netns', 'list'])).stdout);
  return list.split('\n').map((l) => l.split(' ')[0] ?? '').filter((n) => n.length > 0);
}

async function namespacePids(name: string): Promise<number[]> {
  const r = await execa('ip', ['netns', 'pids', name], { reject: false });
  if (r.exitCode !== 0) return [];
  return String(r.stdout).split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 0);
}

/**
 * Deletes what runs killed before their tear-down left: namespaces named like
 * ours whose test process is gone and in which nothing runs, their
 * configuration under /etc/netns and their test directories (the pool, with
 * the box's volume, is gigabytes). Returns what it deleted.
 */
export async function reclaimStale(): Promise<string[]> {
  const reclaimed: string[] = [];
  const candidates = new Set(await namespaces());
  for (const entry of await readdir('/etc/netns').catch(() => [])) candidates.add(entry);
  for (const name of candidates) {
    const owner = namespacePattern.exec(name);
    if (!owner || processAlive(Number(owner[1])) || (await namespacePids(name)).length > 0) continue;
    const confDir = path.join('/etc/netns', name);
    const dir = (await readFile(path.join(confDir, 'libvirt', ownerFile), 'utf8').catch(() => '')).trim();
    if ((await namespaces()).includes(name)) await execa('ip', ['netns', 'del', name]);
    await rm(confDir, { recursive: true, force: true });
    if (dir.length > 0 && path.isAbsolute(dir)) await rm(dir, { recursive: true, force: true });
    reclaimed.push(dir.length > 0 ? `${name} (${dir})` : name);
  }
  return reclaimed;
}

export class LibvirtNetns {
  readonly pidFile: string;
  readonly poolDir: string;
  readonly confDir: string;
  private createdNetnsDir = false;
  private createdRunDir = false;
  private pid: number | undefined;

  private constructor(
    readonly name: string,
    readonly dir: string,
  ) {
    this.pidFile = path.join(dir, 'libvirtd.pid');
    this.poolDir = path.join(dir, 'pool');
    this.confDir = path.join('/etc/netns', name, 'libvirt');
  }

  /** Starts libvirtd in new network and mount namespaces, with the storage pool "default"; on failure, removes what it made. */
  static async start(name: string, dir: string): Promise<LibvirtNetns> {
    const reclaimed = await reclaimStale();
    if (reclaimed.length > 0) step('vagrant', `deleted what killed runs left: ${reclaimed.join(', ')}`);
    const env = new LibvirtNetns(name, dir);
    try {
      await env.launch();
    } catch (err) {
      const problems = await env.stop();
      if (problems.length > 0 && err instanceof Error) err.message += `\n(tear-down: ${problems.join('; ')})`;
      throw err;
    }
    return env;
  }

  private async launch(): Promise<void> {
    const { dir } = this;
    await execa(path.join(projectRoot, 'vagrant', 'host-setup.sh'), [], { stdio: 'inherit' });
    await mkdir(this.poolDir, { recursive: true });
    for (const sub of Object.values(privateDirs)) await mkdir(path.join(dir, sub), { recursive: true });
    await mkdir(path.join(dir, privateDirs['/var/log/libvirt'], 'qemu'), { recursive: true });
    this.createdRunDir = !existsSync(runDir);
    await mkdir(runDir, { recursive: true });
    this.createdNetnsDir = !existsSync('/etc/netns');
    await mkdir(this.confDir, { recursive: true });
    await writeFile(path.join(this.confDir, ownerFile), `${dir}\n`);
    await writeFile(path.join(this.confDir, 'libvirtd.conf'), `# app-balloon vagrant test: a private libvirtd\nlog_outputs = "3:file:${path.join(dir, 'libvirtd.log')}"\n`);
    await writeFile(
      path.join(this.confDir, 'qemu.conf'),
      '# app-balloon vagrant test: QEMU as root (reads the kernel in the cache), logs to files (no virtlogd)\nuser = "root"\ngroup = "root"\nsecurity_driver = "none"\nstdio_handler = "file"\n',
    );
    await writeFile(path.join(this.confDir, 'libvirt.conf'), '');
    await execa('ip', ['netns', 'add', this.name]);
    const mounts = [
      `mount -t tmpfs -o mode=0755 app-balloon-libvirt ${runDir}`,
      ...Object.entries(privateDirs).map(([target, sub]) => `mount --bind ${path.join(dir, sub)} ${target}`),
      'ip link set lo up',
      `exec libvirtd -d -p ${this.pidFile}`,
    ];
    await execa('ip', ['netns', 'exec', this.name, 'sh', '-euc', mounts.join('\n')]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      this.pid = await livePid(this.pidFile);
      if (this.pid !== undefined) {
        const r = await this.exec('virsh', ['-c', 'qemu:///system', 'version'], { reject: false, timeout: 10_000 });
        if (r.exitCode === 0) break;
      }
      if (Date.now() > deadline) throw new Error(`libvirtd did not answer within 60 s:\n${await readFile(path.join(dir, 'libvirtd.log'), 'utf8').catch(() => '')}`);
      await sleep(500);
    }
    await this.virsh(['pool-define-as', 'default', 'dir', '--target', this.poolDir]);
    await this.virsh(['pool-start', 'default']);
  }

  /** Runs a command inside both namespaces, libvirtd's (the environment is passed through; the working directory is `options.cwd` or ours). */
  exec(file: string, args: readonly string[], options: Options = {}) {
    if (this.pid === undefined) throw new Error(`libvirtd of namespace ${this.name} is not running`);
    const cwd = options.cwd === undefined ? process.cwd() : String(options.cwd);
    return execa('nsenter', ['--target', String(this.pid), '--net', '--mount', `--wd=${cwd}`, '--', file, ...args], { ...options, cwd });
  }

  async virsh(args: readonly string[]): Promise<string> {
    const r = await this.exec('virsh', ['-c', 'qemu:///system', '-q', ...args], { timeout: 60_000 });
    return String(r.stdout);
  }

  async libvirtdPid(): Promise<number | undefined> {
    return livePid(this.pidFile);
  }

  /** Domains, volumes of the pool and networks libvirtd knows. */
  async inventory(): Promise<{ domains: string[]; volumes: string[]; networks: string[] }> {
    const names = (text: string) => text.split('\n').map((l) => l.trim()).filter((l) => l.length > 0);
    return {
      domains: names(await this.virsh(['list', '--all', '--name'])),
      volumes: names(await this.virsh(['vol-list', 'default', '--name']).catch(() => '')),
      networks: names(await this.virsh(['net-list', '--all', '--name'])),
    };
  }

  /**
   * Removes everything: leftover domains, volumes and networks, the pool,
   * libvirtd, the namespace, the configuration and the files libvirtd added.
   * Idempotent; returns what went wrong instead of stopping half-way.
   */
  async stop(): Promise<string[]> {
    const problems: string[] = [];
    const attempt = async (what: string, fn: () => Promise<unknown>) => {
      try {
        await fn();
      } catch (err) {
        problems.push(`${what}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
      }
    };
    const pid = await this.libvirtdPid();
    if (pid !== undefined) {
      const inv = await this.inventory().catch(() => ({ domains: [], volumes: [], networks: [] }));
      for (const d of inv.domains) {
        await attempt(`destroy domain ${d}`, () => this.virsh(['destroy', d]).catch(() => ''));
        await attempt(`undefine domain ${d}`, () => this.virsh(['undefine', d, '--nvram']).catch(() => this.virsh(['undefine', d])));
      }
      for (const v of inv.volumes) await attempt(`delete volume ${v}`, () => this.virsh(['vol-delete', '--pool', 'default', v]));
      for (const n of inv.networks) {
        await this.virsh(['net-destroy', n]).catch(() => '');
        await attempt(`undefine network ${n}`, () => this.virsh(['net-undefine', n]));
      }
      await this.virsh(['pool-destroy', 'default']).catch(() => '');
      await attempt('undefine pool default', () => this.virsh(['pool-undefine', 'default']));
      process.kill(pid, 'SIGTERM');
      for (let i = 0; i < 100 && processAlive(pid); i++) await sleep(100);
      if (processAlive(pid)) {
        process.kill(pid, 'SIGKILL');
        await sleep(500);
      }
      this.pid = undefined;
    }
    // Whatever still runs in the namespace (vagrant-libvirt's ssh port forward, when destroy did not stop it).
    for (const p of await this.processes()) {
      problems.push(`process ${p} still ran in the namespace; killed`);
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    if (await this.namespaceExists()) await attempt('delete namespace', () => execa('ip', ['netns', 'del', this.name]));
    await rm(path.dirname(this.confDir), { recursive: true, force: true });
    if (this.createdNetnsDir) await rmdir('/etc/netns').catch(() => undefined);
    if (this.createdRunDir) await rmdir(runDir).catch(() => undefined);
    await rm(this.dir, { recursive: true, force: true });
    return problems;
  }

  private async namespaceExists(): Promise<boolean> {
    return (await namespaces()).includes(this.name);
  }

  /** The pids of the processes in the namespace (none when it is gone). */
  async processes(): Promise<number[]> {
    return (await namespacePids(this.name)).filter((p) => p !== process.pid);
  }

  /** What is still there after stop(): the namespace, libvirtd, its configuration. */
  async leftovers(): Promise<string[]> {
    const left: string[] = [];
    if (await this.namespaceExists()) left.push(`network namespace ${this.name}`);
    const pid = await livePid(this.pidFile);
    if (pid !== undefined) left.push(`libvirtd pid ${pid}`);
    if (existsSync(path.dirname(this.confDir))) left.push(path.dirname(this.confDir));
    if (existsSync(this.dir)) left.push(this.dir);
    // Any process still in a namespace of that name would keep it alive: look for our libvirtd by its pid file argument.
    const ps = String((await execa('ps', ['-eo', 'pid=,args='])).stdout);
    for (const line of ps.split('\n')) if (line.includes(this.pidFile) || line.includes(this.poolDir)) left.push(`process: ${line.trim()}`);
    return left;
  }
}
