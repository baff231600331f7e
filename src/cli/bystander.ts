/**
 * The bystander of a `--policy kernel` baseline: memory held unswappable for
 * the whole run, so the baseline gets the same memory budget as a balloon run
 * (which keeps `threshold` bytes free). Two ways, in order:
 *  - a perl child that writes and mlocks the bytes (needs CAP_IPC_LOCK or a
 *    big enough `ulimit -l`); perl-base is on every Debian system, the VM too;
 *  - as root without perl: a ramfs mount holding a file of that size (ramfs
 *    pages are never swapped).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmdirSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { execa } from 'execa';

export type BystanderMethod = 'mlock' | 'ramfs';

export interface Bystander {
  method: BystanderMethod;
  bytes: number;
  /** Child process id (mlock) or null (ramfs). */
  pid: number | null;
  stop(): Promise<void>;
}

export class BystanderError extends Error {
  override name = 'BystanderError';
}

/**
 * mlock from perl (perl-base is part of every Debian system, the VM's too):
 * a string of n bytes (written, so its pages exist), then mlock(2) on it by
 * number through perl's syscall(); "ready" once locked, exit when stdin closes.
 */
const PERL_MLOCK = `
use strict;
my ($n, $nr) = @ARGV;
my $buf = "\\x5a" x $n;
my $addr = unpack("J", pack("p", $buf));
if (syscall($nr, $addr, $n) != 0) {
  my $e = $! + 0;
  print STDERR "mlock of $n bytes failed: $! (" . (($e == 1 || $e == 12) ? "needs root (CAP_IPC_LOCK) or a larger ulimit -l" : "errno $e") . ")\\n";
  exit 3;
}
$| = 1;
print "ready\\n";
while (<STDIN>) {}
`;

/** mlock's system call number. */
const SYS_MLOCK: Partial<Record<string, number>> = { x64: 149, arm64: 228 };

async function hasPerl(): Promise<boolean> {
  try {
    await execa('perl', ['-e', '1'], { timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

function startMlock(bytes: number): Promise<Bystander> {
  const nr = SYS_MLOCK[process.arch];
  if (nr === undefined) return Promise.reject(new BystanderError(`the mlock bystander does not know mlock's system call number on ${process.arch}`));
  const child: ChildProcess = spawn('perl', ['-e', PERL_MLOCK, String(bytes), String(nr)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise<Bystander>((resolve, reject) => {
    let out = '';
    const onExit = (code: number | null): void =>
      reject(new BystanderError(`the bystander could not hold ${bytes} bytes locked (exit ${code}): ${stderr.trim() || 'no message'}`));
    child.once('exit', onExit);
    child.once('error', (err) => reject(new BystanderError(`cannot start the bystander (perl): ${err.message}`)));
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      if (!out.includes('ready')) return;
      child.off('exit', onExit);
      resolve({
        method: 'mlock',
        bytes,
        pid: child.pid ?? null,
        stop: async () => {
          if (child.exitCode !== null || child.signalCode !== null) return;
          const exited = new Promise<void>((r) => child.once('exit', () => r()));
          child.stdin?.end();
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        },
      });
    });
  });
}

async function startRamfs(bytes: number): Promise<Bystander> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'balloon-bystander-'));
  try {
    await execa('mount', ['-t', 'ramfs', '-o', 'mode=700', 'ramfs', dir]);
  } catch (err) {
    rmdirSync(dir);
    throw new BystanderError(`cannot mount a ramfs for the bystander: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`);
  }
  const file = path.join(dir, 'held');
  const cleanup = async (): Promise<void> => {
    rmSync(file, { force: true });
    await execa('umount', [dir]).catch(() => undefined);
    try {
      rmdirSync(dir);
    } catch {
      /* still mounted: leave it */
    }
  };
  try {
    const fh = await open(file, 'w');
    const chunk = Buffer.alloc(1 << 20, 0x5a);
    for (let off = 0; off < bytes; off += chunk.length) await fh.write(chunk, 0, Math.min(chunk.length, bytes - off));
    await fh.close();
  } catch (err) {
    await cleanup();
    throw new BystanderError(`cannot fill the bystander's ramfs with ${bytes} bytes: ${err instanceof Error ? err.message : String(err)}`);
  }
  return { method: 'ramfs', bytes, pid: null, stop: cleanup };
}

/** Holds `bytes` of unswappable memory until stop(). */
export async function startBystander(bytes: number, method?: BystanderMethod): Promise<Bystander> {
  if (!Number.isSafeInteger(bytes) || bytes <= 0) throw new RangeError(`bystander size must be a positive integer, got ${bytes}`);
  const chosen = method ?? ((await hasPerl()) ? 'mlock' : process.getuid?.() === 0 ? 'ramfs' : undefined);
  if (chosen === undefined) {
    throw new BystanderError(
      'cannot hold the threshold\'s worth of memory for the kernel baseline: needs perl (for mlock) or root (for a ramfs); ' +
        'run as root, or pass --no-bystander (the baseline then gets more memory than the balloon runs)',
    );
  }
  return chosen === 'mlock' ? startMlock(bytes) : startRamfs(bytes);
}
