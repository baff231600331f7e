/**
 * What a guest needs of this checkout to run `node bin/balloon.js`: the
 * command, the TypeScript sources, the built addon, and the npm packages
 * that code running in the guest loads, with everything they depend on.
 * Not the tests, the kernel patches, the results, nor the packages that
 * only the host uses (vega and vega-lite draw the report; typescript and
 * vitest are for development). Used by every copy of the checkout to a
 * guest: an ssh:// target and the Vagrant box's archive.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { HarnessError } from './errors.js';

/** The checkout's files and directories that run in the guest. */
export const GUEST_SOURCES = ['bin', 'src', 'package.json', 'tsconfig.json', 'build/Release/balloon.node'] as const;

/**
 * The npm packages that code running in the guest imports (bin/balloon.js,
 * and src/ but for src/report, which draws the report on the host): a unit
 * test checks this list against the imports of the sources.
 */
export const GUEST_PACKAGES = ['commander', 'esbuild', 'execa', 'tsx'] as const;

interface PackageJson {
  name?: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  peerDependenciesMeta?: Record<string, { optional?: boolean }>;
}

const isDir = (p: string): boolean => statSync(p, { throwIfNoEntry: false })?.isDirectory() ?? false;

/**
 * The directory Node.js would load package `name` from when required from
 * `from` (node_modules of `from` and of each parent, up to `root`), or null.
 */
export function resolvePackageDir(name: string, from: string, root: string): string | null {
  let dir = from;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', name);
    if (isDir(candidate)) return candidate;
    if (path.resolve(dir) === path.resolve(root)) return null;
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/**
 * Every package directory (relative to `root`) that `roots` need at run
 * time: their dependencies, optional dependencies that are installed (such
 * as esbuild's binary for this platform) and installed peers, transitively.
 */
export function runtimePackageDirs(root: string, roots: readonly string[] = GUEST_PACKAGES): string[] {
  const seen = new Set<string>();
  const queue: { name: string; from: string; optional: boolean; by: string }[] = roots.map((name) => ({ name, from: root, optional: false, by: 'the guest' }));
  while (queue.length > 0) {
    const { name, from, optional, by } = queue.shift()!;
    const dir = resolvePackageDir(name, from, root);
    if (dir === null) {
      if (optional) continue;
      throw new HarnessError(`${name}, which ${by} needs, is not installed in ${path.join(root, 'node_modules')}.`, 'Run `npm ci` (or `npm ci --omit=dev`) first.');
    }
    if (seen.has(dir)) continue;
    seen.add(dir);
    const pkg = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as PackageJson;
    const optionalPeers = pkg.peerDependenciesMeta ?? {};
    for (const dep of Object.keys(pkg.dependencies ?? {})) queue.push({ name: dep, from: dir, optional: false, by: name });
    for (const dep of Object.keys(pkg.optionalDependencies ?? {})) queue.push({ name: dep, from: dir, optional: true, by: name });
    for (const dep of Object.keys(pkg.peerDependencies ?? {})) queue.push({ name: dep, from: dir, optional: optionalPeers[dep]?.optional === true, by: name });
  }
  const rel = [...seen].map((d) => path.relative(root, d)).sort();
  // A package nested inside another one already listed comes with it.
  return rel.filter((d) => !rel.some((outer) => outer !== d && d.startsWith(`${outer}/`)));
}

/** The paths (relative to `root`) to copy to a guest, sources first; refuses a checkout without the built addon. */
export function guestPayload(root: string): string[] {
  for (const p of GUEST_SOURCES) {
    if (statSync(path.join(root, p), { throwIfNoEntry: false }) === undefined) {
      throw new HarnessError(
        `${p} is missing from ${root}, and the guest needs it to run balloon.`,
        p.startsWith('build/') ? 'Run `npm ci` (it builds the addon) or `npm run build:native`.' : 'Is this a complete checkout?',
      );
    }
  }
  return [...GUEST_SOURCES, ...runtimePackageDirs(root)];
}
