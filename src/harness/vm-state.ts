import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { projectRoot } from './paths.js';

/** The checkout's records: which kernel and image it built last, and its ssh key. Never committed. */
export const recordsDir = path.join(projectRoot, '.vm');

export const kernelStateFile = (): string => path.join(recordsDir, 'kernel.json');
export const imageStateFile = (): string => path.join(recordsDir, 'image.json');
/** The kernel's Debian packages (`npm run kernel:build -- --deb`), for the Vagrantfile. */
export const kernelDebsStateFile = (): string => path.join(recordsDir, 'kernel-debs.json');
export const sshKeyFile = (): string => path.join(recordsDir, 'id_ed25519');

/** One VM instance's files (disk overlay, swap disk, console log, pid, port). */
export const instanceDir = (name: string): string => path.join(recordsDir, 'instances', name);

/** The checkout's ssh key pair, generated on first use (the image never contains it). */
export async function ensureSshKey(): Promise<{ privateKey: string; publicKey: string }> {
  const key = sshKeyFile();
  const exists = await access(key).then(() => true, () => false);
  if (!exists) {
    await mkdir(recordsDir, { recursive: true });
    await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'app-balloon-checkout', '-f', key]);
  }
  return { privateKey: key, publicKey: (await readFile(`${key}.pub`, 'utf8')).trim() };
}

/** Writes `value` as indented JSON (the checkout's records, result files), creating the directory. */
export async function writeJsonFile(file: string, value: unknown): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, `${JSON.stringify(value, null, 2)}\n`);
}

export async function readRecord<T>(file: string, what: string, command: string): Promise<T> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    throw new HarnessError(`No ${what} has been built in this checkout yet.`, `Run \`${command}\` first.`);
  }
}
