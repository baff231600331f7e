import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HarnessError } from '../../../src/harness/errors.js';
import { GUEST_PACKAGES, guestPayload, resolvePackageDir, runtimePackageDirs } from '../../../src/harness/guest-payload.js';
import { projectRoot } from '../../../src/harness/paths.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-payload-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake checkout: package name -> its package.json fields, at node_modules/<name> (or nested with a/b). */
function fakeCheckout(name: string, packages: Record<string, object>): string {
  const root = path.join(tmp, name);
  for (const [dir, pkg] of Object.entries(packages)) {
    const d = path.join(root, ...dir.split('>').flatMap((p) => ['node_modules', p]));
    mkdirSync(d, { recursive: true });
    writeFileSync(path.join(d, 'package.json'), JSON.stringify(pkg));
  }
  return root;
}

/** Bare package names imported by the TypeScript and JavaScript files under `dir`. */
function importedPackages(dir: string, skip: (file: string) => boolean): Set<string> {
  const names = new Set<string>();
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !/\.(ts|js|mjs)$/.test(entry.name)) continue;
    const file = path.join(entry.parentPath, entry.name);
    if (skip(file)) continue;
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/(?:from\s+|import\(\s*)'([^'.][^']*)'/g)) {
      const spec = m[1]!;
      if (spec.startsWith('node:')) continue;
      names.add(spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!);
    }
  }
  return names;
}

describe('guest payload', () => {
  it('lists every package that code running in the guest imports (all of src/ and bin/ but the report)', () => {
    const report = path.join(projectRoot, 'src', 'report');
    const used = new Set([
      ...importedPackages(path.join(projectRoot, 'src'), (f) => f.startsWith(`${report}/`)),
      ...importedPackages(path.join(projectRoot, 'bin'), () => false),
    ]);
    expect([...used].sort()).toEqual([...GUEST_PACKAGES].sort());
  });

  it('follows dependencies, installed optional ones and peers, resolving nested copies first', () => {
    const root = fakeCheckout('deps', {
      app: { dependencies: { lib: '1' }, optionalDependencies: { 'native-linux': '1', 'native-mac': '1' } },
      lib: { dependencies: { util: '2' }, peerDependencies: { peer: '1', 'absent-peer': '1' }, peerDependenciesMeta: { 'absent-peer': { optional: true } } },
      'lib>util': { name: 'util', version: '2' },
      util: { name: 'util', version: '1' },
      peer: {},
      'native-linux': {},
      unrelated: {},
    });
    expect(runtimePackageDirs(root, ['app'])).toEqual(['node_modules/app', 'node_modules/lib', 'node_modules/native-linux', 'node_modules/peer']);
    expect(resolvePackageDir('util', path.join(root, 'node_modules', 'lib'), root)).toBe(path.join(root, 'node_modules', 'lib', 'node_modules', 'util'));
  });

  it('refuses, naming who needs it, a required package that is not installed', () => {
    const root = fakeCheckout('missing', { app: { dependencies: { gone: '1' } } });
    expect(() => runtimePackageDirs(root, ['app'])).toThrow(HarnessError);
    expect(() => runtimePackageDirs(root, ['app'])).toThrow(/gone, which app needs, is not installed/);
  });

  it('ships the command, the sources, the addon and the runtime packages: not tests, patches, vega or typescript', () => {
    const payload = guestPayload(projectRoot);
    expect(payload.slice(0, 5)).toEqual(['bin', 'src', 'package.json', 'tsconfig.json', 'build/Release/balloon.node']);
    for (const p of ['node_modules/tsx', 'node_modules/esbuild', 'node_modules/commander', 'node_modules/execa']) expect(payload).toContain(p);
    for (const p of payload) expect(p, 'nothing of the host only').not.toMatch(/^(test|kernel-patch|results|\.git)|node_modules\/(vega|vega-lite|typescript|vitest)$/);
  });

  it('refuses a checkout without the built addon, saying how to build it', () => {
    const root = path.join(tmp, 'no-addon');
    for (const d of ['bin', 'src']) mkdirSync(path.join(root, d), { recursive: true });
    for (const f of ['package.json', 'tsconfig.json']) writeFileSync(path.join(root, f), '{}');
    expect(() => guestPayload(root)).toThrow(/build\/Release\/balloon\.node is missing/);
  });
});
