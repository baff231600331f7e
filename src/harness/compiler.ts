import { HarnessError } from './errors.js';
import { hasCommand, run } from './exec.js';

export interface CompilerCandidate {
  /** Executable name, e.g. gcc-11. */
  name: string;
  /** Major version, e.g. 11. */
  major: number;
}

/**
 * Chooses the C compiler for a kernel version.
 *
 * Linux 5.11.5's tools/objtool does not build with gcc 12
 * (-Werror=use-after-free in tools/lib/subcmd/subcmd-util.h), so kernels
 * before 5.15 get the newest gcc <= 11. Debian's 5.10.223 has the fix but
 * gets the same compiler, so that CI builds what users build.
 */
export function chooseCompiler(kernelVersion: string, available: readonly CompilerCandidate[]): CompilerCandidate | undefined {
  const [major = 0, minor = 0] = kernelVersion.split('.').map(Number);
  const old = major < 5 || (major === 5 && minor < 15);
  const usable = available.filter((c) => c.major >= 5 && (!old || c.major <= 11));
  if (old) return usable.sort((a, b) => b.major - a.major)[0];
  return usable.find((c) => c.name === 'gcc') ?? usable.sort((a, b) => b.major - a.major)[0];
}

/** The gcc versions installed, from `gcc`, `gcc-11`, ... */
export async function installedCompilers(): Promise<CompilerCandidate[]> {
  const found: CompilerCandidate[] = [];
  for (const name of ['gcc', 'gcc-13', 'gcc-12', 'gcc-11', 'gcc-10', 'gcc-9']) {
    if (!(await hasCommand(name))) continue;
    const version = await run(name, ['-dumpversion']).catch(() => '');
    const major = Number.parseInt(version, 10);
    if (Number.isFinite(major)) found.push({ name, major });
  }
  return found;
}

/** Picks the compiler or says which package to install. Returns its name and full version line. */
export async function pickCompiler(kernelVersion: string, override?: string): Promise<{ name: string; identity: string }> {
  const name = override ?? chooseCompiler(kernelVersion, await installedCompilers())?.name;
  if (!name || !(await hasCommand(name))) {
    throw new HarnessError(
      `kernel: no C compiler that builds Linux ${kernelVersion} was found${override ? ` (BALLOON_CC=${override})` : ''}.`,
      'Install gcc-11 (`apt-get install gcc-11`): Debian 12\'s gcc 12 cannot build objtool of kernels before 5.15.',
    );
  }
  const identity = (await run(name, ['--version'])).split('\n')[0] ?? name;
  return { name, identity };
}
