import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { workerBundle, workerUrl } from '../../../src/shared/worker-entry.js';

describe('worker bundles', () => {
  let dir: string;
  let oldCache: string | undefined;

  beforeEach(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'balloon-worker-entry-'));
    oldCache = process.env['BALLOON_CACHE_DIR'];
    process.env['BALLOON_CACHE_DIR'] = path.join(dir, 'cache');
  });
  afterEach(() => {
    if (oldCache === undefined) delete process.env['BALLOON_CACHE_DIR'];
    else process.env['BALLOON_CACHE_DIR'] = oldCache;
    rmSync(dir, { recursive: true, force: true });
  });

  it('bundles a module with what it imports, keeps it, and makes it again when an input changes', () => {
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(entry, "import { word } from './dep.js';\nconsole.log(word satisfies string, import.meta.url);\n");
    writeFileSync(path.join(dir, 'dep.ts'), "export const word: string = 'first';\n");
    const first = workerBundle(entry).toString();
    expect(first).toContain('"first"');
    // import.meta.url is the entry's own file URL, not the data: URL the worker starts.
    expect(first).toContain(JSON.stringify(pathToFileURL(entry).href));
    const kept = readdirSync(path.join(dir, 'cache', 'workers')).sort();
    expect(kept.map((f) => path.extname(f))).toEqual(['.json', '.mjs']);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'cache', 'workers', kept[0]!), 'utf8')) as { inputs: [string, number, number][] };
    expect(manifest.inputs.map(([file]) => path.basename(file)).sort()).toEqual(['dep.ts', 'entry.ts']);

    // Kept: the same bytes, read back (the bundle on disk is what is returned).
    writeFileSync(path.join(dir, 'cache', 'workers', kept[1]!), `${first}// kept\n`);
    expect(workerBundle(entry).toString()).toContain('// kept');
    // An input changed (size and mtime): bundled again.
    writeFileSync(path.join(dir, 'dep.ts'), "export const word: string = 'second one';\n");
    const again = workerBundle(entry).toString();
    expect(again).toContain('"second one"');
    expect(again).not.toContain('// kept');
  });

  it('still bundles when the cache cannot be written', () => {
    const entry = path.join(dir, 'entry.ts');
    writeFileSync(entry, 'export const n: number = 42;\n');
    writeFileSync(path.join(dir, 'cache'), 'a file where the cache directory should be');
    expect(workerBundle(entry).toString()).toContain('42');
  });

  it('starts the compiled .js of a build directly, and the same data: URL for a module twice in one process', () => {
    expect(workerUrl('file:///opt/app/dist/agent/scan-worker.js', 'scan-worker-thread').href).toBe('file:///opt/app/dist/agent/scan-worker-thread.js');
    const entry = path.join(dir, 'w.ts');
    writeFileSync(entry, 'export {};\n');
    const caller = pathToFileURL(path.join(dir, 'caller.ts')).href;
    const url = workerUrl(caller, 'w');
    expect(url.protocol).toBe('data:');
    expect(workerUrl(caller, 'w')).toBe(url);
  });
});
