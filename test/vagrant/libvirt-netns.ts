/**
 * A private libvirtd for the Vagrant test, confined to a network namespace the
 * test creates and deletes: every bridge, DHCP server and NAT rule of
 * vagrant-libvirt's management network lives inside it, so nothing reaches the
 * machine's own network.
 *
 * `ip netns exec NS` bind-mounts /etc/netns/NS/<entry> over /etc/<entry>, so
 * libvirtd (started through it) reads its configuration from
 * /etc/netns/NS/libvirt and stores its persistent definitions (storage pool,
 * vagrant-libvirt's network, domains) there too: deleting that directory
 * deletes them. QEMU runs as root (qemu.conf), so it can read the kernel in the
 * cache under /root; its stdio goes to files, so no virtlogd is needed. The
 * storage pool "default" lives in the test's temporary directory.
 */
import { existsSync } from 'node:fs';
import { mkdir, readFile, readdir, rm, rmdir, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { execa, type Options } from 'execa';
import { processAlive } from '../../src/harness/cache.js';
import { projectRoot } from '../../src/harness/paths.js';

/** Directories libvirtd writes to outside its configuration; files it adds there are removed afterwards. */
const libvirtStateDirs = ['/run/libvirt', '/var/lib/libvirt', '/var/log/libvirt'];
const systemPidFile = '/run/libvirtd.pid';
export const libvirtSocket = '/run/libvirt/libvirt-sock';

async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true }).catch(() => [])) {
      const p = path.join(d, entry.name);
      out.push(p);
      if (entry.isDirectory()) await walk(p);
    }
  };
  if (existsSync(dir)) out.push(dir);
  await walk(dir);
  return out;
}

/** A running libvirtd's pid from a pid file, when that process is alive. */
async function livePid(file: string): Promise<number | undefined> {
  const pid = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}

export class LibvirtNetns {
  readonly pidFile: string;
  readonly poolDir: string;
  readonly confDir: string;
  private before = new Set<string>();
  private createdNetnsDir = false;

  private constructor(
    readonly name: string,
    readonly dir: string,
  ) {
    this.pidFile = path.join(dir, 'libvirtd.pid');
    this.poolDir = path.join(dir, 'pool');
    this.confDir = path.join('/etc/netns', name, 'libvirt');
  }

  /** Refuses when another libvirtd runs (the socket path is machine-wide), then starts ours. */
  static async start(name: string, dir: string): Promise<LibvirtNetns> {
    const other = await livePid(systemPidFile);
    if (other !== undefined) throw new Error(`a libvirtd (pid ${other}) already runs on this machine; the test starts its own in a network namespace and needs the socket ${libvirtSocket} free`);
    if (existsSync(libvirtSocket)) {
      const probe = await execa('virsh', ['-c', 'qemu:///system', 'version'], { reject: false, timeout: 10_000 });
      if (probe.exitCode === 0) throw new Error(`a libvirtd already answers on ${libvirtSocket}; stop it first`);
    }
    const env = new LibvirtNetns(name, dir);
    await execa(path.join(projectRoot, 'vagrant', 'host-setup.sh'), [], { stdio: 'inherit' });
    for (const d of libvirtStateDirs) for (const p of await listTree(d)) env.before.add(p);
    await mkdir(env.poolDir, { recursive: true });
    env.createdNetnsDir = !existsSync('/etc/netns');
    await mkdir(env.confDir, { recursive: true });
    await writeFile(path.join(env.confDir, 'libvirtd.conf'), `# app-balloon vagrant test: a private libvirtd\nlog_outputs = "3:file:${path.join(dir, 'libvirtd.log')}"\n`);
    await writeFile(
      path.join(env.confDir, 'qemu.conf'),
      '# app-balloon vagrant test: QEMU as root (reads the kernel in the cache), logs to files (no virtlogd)\nuser = "root"\ngroup = "root"\nsecurity_driver = "none"\nstdio_handler = "file"\n',
    );
    await writeFile(path.join(env.confDir, 'libvirt.conf'), '');
    await execa('ip', ['netns', 'add', name]);
    await env.exec('ip', ['link', 'set', 'lo', 'up']);
    await env.exec('libvirtd', ['-d', '-p', env.pidFile]);
    const deadline = Date.now() + 60_000;
    for (;;) {
      const r = await env.exec('virsh', ['-c', 'qemu:///system', 'version'], { reject: false, timeout: 10_000 });
      if (r.exitCode === 0) break;
      if (Date.now() > deadline) throw new Error(`libvirtd did not answer within 60 s:\n${await readFile(path.join(dir, 'libvirtd.log'), 'utf8').catch(() => '')}`);
      await sleep(500);
    }
    await env.virsh(['pool-define-as', 'default', 'dir', '--target', env.poolDir]);
    await env.virsh(['pool-start', 'default']);
    return env;
  }

  /** Runs a command inside the namespace (the environment is passed through). */
  exec(file: string, args: readonly string[], options: Options = {}) {
    return execa('ip', ['netns', 'exec', this.name, file, ...args], options);
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
    // What libvirtd added under /run, /var/lib and /var/log (pid files, "autostarted" markers, domain logs).
    for (const d of libvirtStateDirs) {
      const added = (await listTree(d)).filter((p) => !this.before.has(p)).sort((a, b) => b.length - a.length);
      for (const p of added) {
        const s = await stat(p).catch(() => undefined);
        if (s?.isDirectory()) await rmdir(p).catch(() => undefined);
        else await rm(p, { force: true });
      }
    }
    await rm(this.dir, { recursive: true, force: true });
    return problems;
  }

  private async namespaceExists(): Promise<boolean> {
    const namespaces = String((await execa('ip', ['netns', 'list'])).stdout);
    return namespaces.split('\n').some((l) => l.split(' ')[0] === this.name);
  }

  /** The pids of the processes in the namespace (none when it is gone). */
  async processes(): Promise<number[]> {
    const r = await execa('ip', ['netns', 'pids', this.name], { reject: false });
    if (r.exitCode !== 0) return [];
    return String(r.stdout).split('\n').map(Number).filter((p) => Number.isInteger(p) && p > 0 && p !== process.pid);
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
