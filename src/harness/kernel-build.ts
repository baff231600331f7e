import { createWriteStream } from 'node:fs';
import { access, copyFile, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import path from 'node:path';
import { execa } from 'execa';
import { KeyedCache, withLock } from './cache.js';
import { pickCompiler } from './compiler.js';
import { HarnessError } from './errors.js';
import { requireTools, run, tail } from './exec.js';
import { keyOf } from './hash.js';
import { checkConfig, describeMismatch, parseConfig } from './kernel-config.js';
import { defaultSourceSpec, parseSourceSpec, resolveSource } from './kernel-source.js';
import { applySeries, kernelVersionOf, preparePristineTree, readSeries, resetTree } from './kernel-tree.js';
import { Progress, step } from './log.js';
import { cacheRoot, kernelPatchDir } from './paths.js';
import { writeJsonFile } from './vm-state.js';

/** Bump when the build recipe changes in a way that changes the product. */
const recipeVersion = '4';

export const configFragmentName = 'balloon.config';

export interface KernelBuildOptions {
  /** Source spec; undefined means the default (kernel.org with fallback). */
  source?: string;
  jobs?: number;
  /** Compiler override (BALLOON_CC). */
  compiler?: string;
  patchDir?: string;
  /** Also package the kernel as Debian packages (`make bindeb-pkg`), for installing it into other guests. */
  debs?: boolean;
}

/** The kernel as Debian packages (`make bindeb-pkg`), next to its cache entry's key. */
export interface KernelDebs {
  key: string;
  release: string;
  /** The Debian version of the packages. */
  packageVersion: string;
  /** linux-image-<release>: the kernel, its modules and config; what a guest installs. */
  image: string;
  /** Every .deb built (image, headers, libc-dev). */
  debs: string[];
  builtAt: string;
}

/** What a kernel cache entry holds (files next to it: bzImage, config). */
export interface KernelArtefact {
  key: string;
  release: string;
  version: string;
  source: string;
  sourceDescription: string;
  compiler: string;
  patches: string[];
  /** Hash of the series and config fragment, to tell that kernel-patch/ changed since. */
  localInputs: string;
  builtAt: string;
  bzImage: string;
  config: string;
  /** The marker in /proc/version: `balloon@<this>`. */
  buildHost: string;
  /** The series' selftests (tools/testing/selftests/balloon, `*_test`), statically linked for the guest. */
  selftests: string[];
  /** Its other programs (TEST_GEN_PROGS_EXTENDED, such as balloon_stress), run with arguments by the toolkit. */
  selftestTools?: string[];
}

/** The kselftest directory the series adds. */
export const selftestDir = 'tools/testing/selftests/balloon';

/**
 * Builds the series' selftests against the patched uapi headers
 * (`make headers_install`), statically linked so they run in the guest.
 * Returns the programs' names (none when the series has no selftests yet):
 * the tests (`*_test`, run as they are) and the tools (run with arguments).
 */
async function buildSelftests(
  tree: string,
  out: string,
  make: (targets: string[]) => Promise<string>,
  cc: string,
  entryDir: string,
): Promise<{ tests: string[]; tools: string[] }> {
  const dir = path.join(tree, selftestDir);
  if (!(await access(path.join(dir, 'Makefile')).then(() => true, () => false))) return { tests: [], tools: [] };
  step('kernel', `building the selftests in ${selftestDir}`);
  await make(['headers_install']);
  const output = path.join(entryDir, 'selftests');
  await mkdir(output, { recursive: true });
  // Linked statically: the guest image has no development libraries.
  await run('make', ['-C', dir, `CC=${cc}`, `KHDR_INCLUDES=-I${path.join(out, 'usr/include')}`, 'LDFLAGS=-static', `OUTPUT=${output}`], {
    hint: `The selftests in ${selftestDir} do not build; see the compiler output below.`,
  });
  const programs = (await readdir(output)).filter((name) => !name.startsWith('.'));
  const tests = programs.filter((name) => name.endsWith('_test')).sort();
  if (tests.length === 0) throw new HarnessError(`kernel: building ${selftestDir} produced no *_test program.`, 'Check its Makefile (TEST_GEN_PROGS).');
  return { tests, tools: programs.filter((name) => !name.endsWith('_test')).sort() };
}

/** Hash of the project's own inputs to the kernel (series + config fragment). */
export async function localKernelInputs(patchDir = kernelPatchDir): Promise<string> {
  const series = await readSeries(patchDir);
  const fragment = await readFile(path.join(patchDir, configFragmentName), 'utf8');
  return keyOf({
    fragment,
    ...Object.fromEntries(series.patches.map((p, i) => [`patch${String(i).padStart(4, '0')}:${p.name}`, p.content])),
  });
}

export async function buildKernel(
  options: KernelBuildOptions = {},
): Promise<{ artefact: KernelArtefact; hit: boolean; seconds: number; debs?: { meta: KernelDebs; hit: boolean } }> {
  const started = Date.now();
  const patchDir = options.patchDir ?? kernelPatchDir;
  await requireTools('kernel:build', [
    { command: 'make', debianPackage: 'make' },
    { command: 'flex', debianPackage: 'flex' },
    { command: 'bison', debianPackage: 'bison' },
    { command: 'bc', debianPackage: 'bc' },
    { command: 'perl', debianPackage: 'perl' },
    { command: 'git', debianPackage: 'git' },
    { command: 'xz', debianPackage: 'xz-utils' },
    { command: 'rsync', debianPackage: 'rsync' },
    { command: 'cpio', debianPackage: 'cpio' },
    { command: 'ccache', debianPackage: 'ccache' },
    { command: 'pahole', debianPackage: 'dwarves' },
    { file: '/usr/include/libelf.h', debianPackage: 'libelf-dev' },
    { file: '/usr/include/openssl/ssl.h', debianPackage: 'libssl-dev' },
    ...(options.debs === true
      ? [
          { command: 'dpkg-buildpackage', debianPackage: 'dpkg-dev' },
          { command: 'fakeroot', debianPackage: 'fakeroot' },
        ]
      : []),
  ]);
  const cache = cacheRoot();
  const specText = options.source ?? defaultSourceSpec;
  const spec = await parseSourceSpec(specText);
  const source = await resolveSource(spec, { cacheDir: cache, isDefault: options.source === undefined });
  const series = await readSeries(patchDir);
  const fragmentText = await readFile(path.join(patchDir, configFragmentName), 'utf8');
  const fragment = parseConfig(fragmentText);

  const workDir = path.join(cache, 'work', keyOf({ source: source.id }).slice(0, 16));
  const tree = path.join(workDir, 'src');
  const out = path.join(workDir, 'out');

  return withLock(path.join(workDir, 'lock'), 'kernel:build', async () => {
    await preparePristineTree(source, tree);
    const version = await kernelVersionOf(tree);
    const compiler = await pickCompiler(version, options.compiler);
    const localInputs = await localKernelInputs(patchDir);
    const key = keyOf({
      recipeVersion,
      source: source.id,
      localInputs,
      compiler: `${compiler.name}: ${compiler.identity}`,
      target: 'x86_64 defconfig + kvm_guest.config + balloon.config; bzImage',
    });
    const buildHost = `k-${key.slice(0, 12)}`;
    const kernels = new KeyedCache<KernelArtefact>(path.join(cache, 'kernels'));
    const make = makeRunner(tree, out, compiler.name, buildHost, path.join(cache, 'ccache'), options.jobs);
    /** The build tree says which key it was last built for, so that packaging never packs another kernel. */
    const builtKeyFile = path.join(out, '.balloon-key');
    const configureAndBuild = async (): Promise<void> => {
      await rm(builtKeyFile, { force: true });
      await resetTree(tree);
      await applySeries(tree, series, source.description);
      await mkdir(out, { recursive: true });
      await make(['defconfig']);
      await make(['kvm_guest.config']);
      await run(path.join(tree, 'scripts/kconfig/merge_config.sh'), ['-m', '-O', out, path.join(out, '.config'), path.join(patchDir, configFragmentName)], { cwd: tree });
      await make(['olddefconfig']);
      const finalConfig = await readFile(path.join(out, '.config'), 'utf8');
      const mismatches = checkConfig(fragment, parseConfig(finalConfig));
      if (mismatches.length > 0) {
        throw new HarnessError(
          `kernel: config option(s) did not stick after olddefconfig: ${mismatches.map(describeMismatch).join('; ')}.`,
          `Fix kernel-patch/${configFragmentName} (an unmet dependency makes Kconfig drop an option silently).`,
        );
      }
      await make(['bzImage'], true);
      await writeFile(builtKeyFile, key);
    };
    const result = await kernels.getOrBuild(key, async (tmp) => {
      step('kernel', `building ${source.description} with ${series.patches.length} patch(es), ${compiler.identity}`);
      await configureAndBuild();
      const release = (await make(['-s', 'kernelrelease'])).trim();
      await copyFile(path.join(out, 'arch/x86/boot/bzImage'), path.join(tmp, 'bzImage'));
      await copyFile(path.join(out, '.config'), path.join(tmp, 'config'));
      const selftests = await buildSelftests(tree, out, make, compiler.name, tmp);
      return {
        key,
        release,
        version,
        source: source.id,
        sourceDescription: source.description,
        compiler: compiler.identity,
        patches: series.patches.map((p) => p.name),
        localInputs,
        builtAt: new Date().toISOString(),
        bzImage: path.join(kernels.entryDir(key), 'bzImage'),
        config: path.join(kernels.entryDir(key), 'config'),
        selftests: selftests.tests.map((name) => path.join(kernels.entryDir(key), 'selftests', name)),
        selftestTools: selftests.tools.map((name) => path.join(kernels.entryDir(key), 'selftests', name)),
        buildHost,
      };
    });
    if (options.debs !== true) return { artefact: result.meta, hit: result.hit, seconds: (Date.now() - started) / 1000 };
    const artefact = result.meta;
    const debCache = new KeyedCache<KernelDebs>(path.join(cache, 'kernel-debs'));
    const debs = await debCache.getOrBuild(key, async (tmp) => {
      if ((await readFile(builtKeyFile, 'utf8').catch(() => '')) !== key) {
        step('kernel', 'the build tree holds another kernel: building this one again before packaging');
        await configureAndBuild();
      }
      const packageVersion = `${artefact.release}-1`;
      step('kernel', `make bindeb-pkg (KDEB_PKGVERSION=${packageVersion})`);
      await make(['bindeb-pkg', `KDEB_PKGVERSION=${packageVersion}`], true);
      // dpkg-buildpackage writes next to the build directory.
      const outputs = (await readdir(workDir)).filter((f) => f.includes(`_${packageVersion}_amd64.`));
      const made = outputs.filter((f) => f.endsWith('.deb'));
      const image = made.find((f) => f.startsWith(`linux-image-${artefact.release}_`));
      if (image === undefined) throw new HarnessError(`kernel: make bindeb-pkg made no linux-image-${artefact.release} package (made: ${made.join(', ') || 'nothing'}).`, `See ${path.join(out, 'build.log')}.`);
      for (const f of made) await rename(path.join(workDir, f), path.join(tmp, f));
      // dpkg-buildpackage's .buildinfo and .changes describe an upload there is none of.
      for (const f of outputs) if (f.endsWith('.buildinfo') || f.endsWith('.changes')) await rm(path.join(workDir, f));
      const dir = debCache.entryDir(key);
      return { key, release: artefact.release, packageVersion, image: path.join(dir, image), debs: made.sort().map((f) => path.join(dir, f)), builtAt: new Date().toISOString() };
    });
    return { artefact, hit: result.hit, seconds: (Date.now() - started) / 1000, debs };
  });
}

/** `make -C tree O=out` with the chosen compiler through ccache; `withProgress` streams a progress line and keeps a log. */
function makeRunner(tree: string, out: string, cc: string, buildHost: string, ccacheDir: string, jobs?: number) {
  const env = {
    CCACHE_DIR: ccacheDir,
    CCACHE_BASEDIR: tree,
    CCACHE_MAXSIZE: '8G',
    KBUILD_BUILD_USER: 'balloon',
    KBUILD_BUILD_HOST: buildHost,
    // Defined but empty: the release is <version>-balloon, without the '+' that
    // scripts/setlocalversion appends to a git tree that is not at a tag.
    LOCALVERSION: '',
  };
  const common = [`O=${out}`, `CC=ccache ${cc}`, `HOSTCC=ccache ${cc}`, `-j${jobs ?? availableParallelism()}`];
  return async (targets: string[], withProgress = false): Promise<string> => {
    if (!withProgress) return run('make', ['-C', tree, ...common, ...targets], { env });
    const logFile = path.join(out, 'build.log');
    const log = createWriteStream(logFile);
    const progress = new Progress('kernel');
    let steps = 0;
    let lastLine = '';
    const child = execa('make', ['-C', tree, ...common, ...targets], { env, all: true, reject: false, buffer: false });
    child.all?.setEncoding('utf8');
    let pending = '';
    child.all?.on('data', (chunk: string) => {
      log.write(chunk);
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        if (/^\s+(CC|AS|LD|AR|HOSTCC|GEN|OBJCOPY)\b/.test(line)) steps++;
        lastLine = line.trim();
      }
      progress.update(`make ${targets.join(' ')}: ${steps} steps, ${lastLine.slice(0, 60)}`);
    });
    const result = await child;
    await new Promise((r) => log.end(r));
    if (result.exitCode !== 0) {
      const text = await readFile(logFile, 'utf8').catch(() => '');
      throw new HarnessError(
        `kernel: make ${targets.join(' ')} failed (exit ${result.exitCode}).`,
        `The full log is ${logFile}.`,
        tail(text.split('\n').filter((l) => /error|Error|warning:/.test(l)).join('\n') || text, 40),
      );
    }
    progress.done(`make ${targets.join(' ')}: ${steps} steps`);
    return '';
  };
}

/** Where this checkout records the last kernel it built (the VM boots that one). */
export async function recordKernel(stateFile: string, artefact: KernelArtefact): Promise<void> {
  await writeJsonFile(stateFile, artefact);
}

/** Where this checkout records the Debian packages of that kernel (the Vagrantfile installs them into other boxes). */
export async function recordKernelDebs(stateFile: string, debs: KernelDebs): Promise<void> {
  await writeJsonFile(stateFile, debs);
}
