#!/usr/bin/env -S npx tsx
/**
 * npm run kernel:context -- --tree DIR [--record]: checks that every hunk of
 * kernel-patch/series applies to the kernel tree DIR exactly as `git am`
 * wants it (in order, no fuzz), or records what it needs of that tree in
 * kernel-patch/context-5.11.5.json, which the unit tests compare with the
 * patches. Only the files the series touches are copied out of DIR.
 */
import { Command } from 'commander';
import { copyFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { runCli } from '../src/harness/cli.js';
import { HarnessError } from '../src/harness/errors.js';
import { run } from '../src/harness/exec.js';
import { readSeries } from '../src/harness/kernel-tree.js';
import { kernelVersionOf } from '../src/harness/kernel-tree.js';
import { step } from '../src/harness/log.js';
import { kernelPatchDir } from '../src/harness/paths.js';
import { checkHunksAgainstFile, compareWithContext, contextOf, parsePatch, type SeriesContext } from '../src/harness/series-context.js';

export const contextFile = path.join(kernelPatchDir, 'context-5.11.5.json');

const program = new Command('kernel:context')
  .description('Check kernel-patch/series against a pristine kernel tree, or record its context for the unit tests.')
  .requiredOption('--tree <dir>', 'an unpacked pristine kernel tree (Linux 5.11.5 for --record)')
  .option('--record', `write ${path.relative(process.cwd(), contextFile)} from this tree`);

await runCli('kernel:context', async () => {
  const opts = program.parse().opts<{ tree: string; record?: boolean }>();
  const tree = path.resolve(opts.tree);
  const version = await kernelVersionOf(tree).catch(() => {
    throw new HarnessError(`kernel:context: ${tree} is not a kernel tree (no Makefile).`, 'Pass the top directory of an unpacked kernel source.');
  });
  const series = await readSeries(kernelPatchDir);
  const parsed = series.patches.map((p) => ({ ...p, files: parsePatch(p.content) }));
  // Files that exist before the series: those modified before any patch creates them.
  const created = new Set<string>();
  const original = new Set<string>();
  for (const p of parsed) {
    for (const f of p.files) {
      if (f.created) created.add(f.path);
      else if (!created.has(f.path)) original.add(f.path);
    }
  }
  const work = await mkdtemp(path.join(tmpdir(), 'kernel-context-'));
  const git = (args: string[]): Promise<string> => run('git', ['-C', work, '-c', 'user.name=kernel-context', '-c', 'user.email=kernel-context@localhost', ...args]);
  try {
    for (const file of original) {
      await mkdir(path.dirname(path.join(work, file)), { recursive: true });
      await copyFile(path.join(tree, file), path.join(work, file)).catch(() => {
        throw new HarnessError(`kernel:context: ${file}, which the series modifies, is not in ${tree}.`, 'Is this the kernel the series is written for?');
      });
    }
    await git(['init', '-q']);
    await git(['add', '-A']);
    await git(['commit', '-q', '-m', `pristine ${version}`]);
    const problems: string[] = [];
    const context: SeriesContext = { base: `Linux ${version}`, patches: [] };
    for (const p of parsed) {
      const blobs = new Map<string, string>();
      for (const f of p.files.filter((x) => !x.created)) {
        const text = await readFile(path.join(work, f.path), 'utf8');
        problems.push(...checkHunksAgainstFile(f, text).map((m) => `${p.name}: ${m}`));
        blobs.set(f.path, (await git(['hash-object', f.path])).trim());
      }
      context.patches.push(contextOf(p.name, p.files, (file) => blobs.get(file)!));
      await git(['am', '-q', '--whitespace=nowarn', p.file]).catch(async (err: unknown) => {
        await git(['am', '--abort']).catch(() => undefined);
        throw new HarnessError(`kernel:context: ${p.name} does not apply to ${version} with git am.`, 'Rebase it on the pristine tree.', err instanceof HarnessError ? err.details : String(err));
      });
    }
    if (problems.length > 0) throw new HarnessError(`kernel:context: the series does not match ${version}:\n  ${problems.join('\n  ')}`, 'Rebase the named patches.');
    if (opts.record) {
      await writeFile(contextFile, `${JSON.stringify(context, null, 2)}\n`);
      step('kernel', `recorded ${context.patches.length} patches against Linux ${version} in ${path.relative(process.cwd(), contextFile)}`);
      return;
    }
    const recorded = JSON.parse(await readFile(contextFile, 'utf8')) as SeriesContext;
    const drift = compareWithContext(recorded, series.patches);
    step('kernel', `every hunk of ${parsed.length} patches applies to Linux ${version} with git am` +
      (drift.length === 0 ? `; ${path.basename(contextFile)} agrees` : `; ${path.basename(contextFile)} is stale:\n  ${drift.join('\n  ')}`));
  } finally {
    await rm(work, { recursive: true, force: true });
  }
});
