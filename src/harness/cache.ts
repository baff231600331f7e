import { mkdir, readFile, rename, rm, writeFile, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from './errors.js';

/**
 * A directory of entries keyed by the hash of their inputs.
 *
 * An entry is built in a private temporary directory and published with one
 * rename(2) after its `meta.json` is written, so a reader sees a complete entry
 * or none: a build that fails or is killed half-way leaves only a temporary
 * directory that is never looked up (and is removed by the next build).
 */
export class KeyedCache<Meta extends object> {
  constructor(readonly dir: string) {}

  entryDir(key: string): string {
    return path.join(this.dir, key);
  }

  /** The entry's metadata, or undefined when there is no complete entry. */
  async lookup(key: string): Promise<Meta | undefined> {
    try {
      const text = await readFile(path.join(this.entryDir(key), 'meta.json'), 'utf8');
      const meta = JSON.parse(text) as Meta & { key?: string };
      if (meta.key !== key) return undefined;
      return meta;
    } catch {
      return undefined;
    }
  }

  /**
   * Builds an entry with `build(tmpDir)` unless it exists. `build` fills the
   * directory and returns the metadata, which is stored with the key.
   */
  async getOrBuild(key: string, build: (tmpDir: string) => Promise<Meta>): Promise<{ meta: Meta; hit: boolean }> {
    const found = await this.lookup(key);
    if (found) return { meta: found, hit: true };
    await mkdir(this.dir, { recursive: true });
    await this.removeStaleTemporaries();
    const tmp = path.join(this.dir, `.tmp-${key.slice(0, 16)}-${process.pid}-${Date.now()}`);
    await mkdir(tmp, { recursive: true });
    try {
      const meta = { ...(await build(tmp)), key };
      await writeFile(path.join(tmp, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
      const final = this.entryDir(key);
      await rm(final, { recursive: true, force: true });
      await rename(tmp, final);
      return { meta, hit: false };
    } catch (err) {
      await rm(tmp, { recursive: true, force: true });
      throw err;
    }
  }

  /** Removes temporary directories left by builds whose process is gone. */
  private async removeStaleTemporaries(): Promise<void> {
    for (const name of await readdir(this.dir).catch(() => [] as string[])) {
      const m = /^\.tmp-[0-9a-f]+-(\d+)-\d+$/.exec(name);
      if (m && !processAlive(Number(m[1]))) await rm(path.join(this.dir, name), { recursive: true, force: true });
    }
  }
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * A lock between processes on one machine (two checkouts building the same
 * kernel tree): a directory created atomically, holding the owner's pid.
 * A lock whose owner died is taken over.
 */
export async function withLock<T>(lockDir: string, scope: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(path.dirname(lockDir), { recursive: true });
  const deadline = Date.now() + 3 * 60 * 60_000;
  let told = false;
  for (;;) {
    try {
      await mkdir(lockDir);
      await writeFile(path.join(lockDir, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const owner = Number(await readFile(path.join(lockDir, 'pid'), 'utf8').catch(() => '0'));
      const age = Date.now() - (await stat(lockDir).then((s) => s.mtimeMs, () => Date.now()));
      if ((owner > 0 && !processAlive(owner)) || (owner === 0 && age > 60_000)) {
        await rm(lockDir, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) {
        throw new HarnessError(`${scope}: ${lockDir} is still locked by process ${owner}.`, 'Wait for it to finish or stop it.');
      }
      if (!told) {
        process.stderr.write(`[${scope}] waiting for process ${owner}, which holds ${lockDir}\n`);
        told = true;
      }
      await new Promise((r) => setTimeout(r, 2000));
    }
  }
  try {
    return await fn();
  } finally {
    await rm(lockDir, { recursive: true, force: true });
  }
}
