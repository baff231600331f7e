import { access, mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { HarnessError } from './errors.js';
import { run } from './exec.js';
import { step } from './log.js';
import type { ResolvedSource } from './kernel-source.js';

/** The patch series: `series` lists the patch files in order (`#` comments and blank lines ignored). */
export interface PatchSeries {
  dir: string;
  patches: { name: string; file: string; content: string }[];
}

/** Reads `dir/series`. A missing or empty series is allowed (no patches); a listed file that is missing is not. */
export async function readSeries(dir: string): Promise<PatchSeries> {
  const text = await readFile(path.join(dir, 'series'), 'utf8').catch(() => '');
  const patches: PatchSeries['patches'] = [];
  for (const raw of text.split('\n')) {
    const name = raw.replace(/#.*/, '').trim();
    if (!name) continue;
    const file = path.join(dir, name);
    const content = await readFile(file, 'utf8').catch(() => {
      throw new HarnessError(`kernel: ${path.join(dir, 'series')} lists ${name}, which does not exist.`, 'Fix the series file.');
    });
    patches.push({ name, file, content });
  }
  return { dir, patches };
}

const git = (tree: string, args: string[]): Promise<string> =>
  run('git', ['-C', tree, '-c', 'user.name=app-balloon', '-c', 'user.email=app-balloon@localhost', '-c', 'commit.gpgsign=false', ...args]);

/**
 * The source unpacked once into `treeDir` as a git repository whose commit
 * tagged `pristine` is the untouched source; later builds reset to it, so
 * unchanged files keep their timestamps and rebuilds stay incremental.
 */
export async function preparePristineTree(source: ResolvedSource, treeDir: string): Promise<void> {
  const ready = await git(treeDir, ['rev-parse', '--verify', '-q', 'refs/tags/pristine']).then(() => true, () => false);
  if (ready) return;
  await rm(treeDir, { recursive: true, force: true });
  const tmp = `${treeDir}.tmp-${process.pid}`;
  await rm(tmp, { recursive: true, force: true });
  await mkdir(tmp, { recursive: true });
  try {
    step('kernel', `unpacking ${source.description}`);
    if (source.tarball) {
      await run('tar', ['-xf', source.tarball, '-C', tmp, '--strip-components=1', '--no-same-owner']);
    } else if (source.directory) {
      await run('rsync', ['-a', '--exclude=.git', `${source.directory}/`, `${tmp}/`]);
    }
    await access(path.join(tmp, 'Makefile')).catch(() => {
      throw new HarnessError(`kernel: ${source.description} does not contain a kernel tree (no top-level Makefile).`, 'Pass a kernel source tarball or tree.');
    });
    await git(tmp, ['init', '-q']);
    // Debian's tree ignores everything in its .gitignore: add with -f.
    await git(tmp, ['add', '-f', '-A']);
    await git(tmp, ['commit', '-q', '--no-verify', '-m', `pristine ${source.description}`]);
    await git(tmp, ['tag', 'pristine']);
    await rename(tmp, treeDir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

/** Back to the pristine source: patched files are restored, files the series added are removed. */
export async function resetTree(treeDir: string): Promise<void> {
  await git(treeDir, ['am', '--abort']).catch(() => undefined);
  await git(treeDir, ['reset', '-q', '--hard', 'pristine']);
  await git(treeDir, ['clean', '-q', '-f', '-d', '-x']);
}

/** Applies the series with `git am`, refusing the first patch that does not apply cleanly. */
export async function applySeries(treeDir: string, series: PatchSeries, sourceDescription: string): Promise<void> {
  for (const patch of series.patches) {
    try {
      await git(treeDir, ['am', '-q', '--whitespace=nowarn', '--committer-date-is-author-date', patch.file]);
    } catch (err) {
      await git(treeDir, ['am', '--abort']).catch(() => undefined);
      const details = err instanceof HarnessError ? err.details : String(err);
      throw new HarnessError(
        `kernel: patch ${patch.name} does not apply cleanly to ${sourceDescription}.`,
        'Rebase the patch on this source (the series must apply with `git am` on a pristine tree).',
        details,
      );
    }
  }
}

/** "5.10.223" from the tree's Makefile. */
export async function kernelVersionOf(treeOrTarballRoot: string): Promise<string> {
  const makefile = await readFile(path.join(treeOrTarballRoot, 'Makefile'), 'utf8');
  const field = (name: string): string => new RegExp(`^${name}[ \\t]*=[ \\t]*(\\S*)`, 'm').exec(makefile)?.[1] ?? '';
  const extra = field('EXTRAVERSION');
  return `${field('VERSION')}.${field('PATCHLEVEL')}.${field('SUBLEVEL')}${extra}`;
}
