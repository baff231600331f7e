/**
 * What `npm ci --omit=dev` leaves must run every command (#14), and a clean
 * install must print no warning: every package that src/, bin/ and scripts/
 * import at run time is a production dependency, and esbuild (tsx's compiler)
 * works without the install script that package.json declines.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../src/harness/paths.js';

const root = projectRoot;
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  allowScripts?: Record<string, boolean>;
};

/** Bare package names that the files under `dir` import (type-only imports excepted: they leave no trace at run time). */
function runtimeImports(dir: string): Map<string, string> {
  const names = new Map<string, string>();
  for (const entry of readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|js|mjs)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:^|\n)\s*import\s+(type\s+)?[^'";]*?from\s+'([^'.][^']*)'|import\(\s*'([^'.][^']*)'\s*\)/g)) {
      if (m[1] !== undefined) continue;
      const spec = (m[2] ?? m[3])!;
      if (spec.startsWith('node:')) continue;
      names.set(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!, path.relative(root, file));
    }
  }
  return names;
}

describe('a production install (npm ci --omit=dev)', () => {
  it('has every package the commands and scripts import at run time: none of them is a devDependency', () => {
    const imported = new Map([...runtimeImports('src'), ...runtimeImports('bin'), ...runtimeImports('scripts')]);
    expect(imported.size).toBeGreaterThan(3);
    const missing = [...imported].filter(([name]) => !(name in pkg.dependencies)).map(([name, file]) => `${name} (${file})`);
    expect(missing).toEqual([]);
    // tsx runs the sources (bin/balloon.js loads it), so it must be there without dev packages.
    expect(pkg.dependencies).toHaveProperty('tsx');
    expect(pkg.devDependencies ?? {}).not.toHaveProperty('tsx');
  });

  it('runs esbuild without the install script that package.json declines (no install-scripts warning)', async () => {
    // esbuild's postinstall only fetches its platform binary when npm did not install it (npm does:
    // an optional dependency) and swaps its JavaScript launcher for the binary, a start-up saving.
    expect(pkg.allowScripts).toEqual({ esbuild: false });
    const { transformSync, version } = await import('esbuild');
    expect(version).toMatch(/^\d+\.\d+\.\d+/);
    expect(transformSync('const pages: number = 1;', { loader: 'ts' }).code).toBe('const pages = 1;\n');
  });
});
