import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findChromium, requireChromium, svgSize } from '../../../src/report/png.js';
import { UsageError } from '../../../src/shared/usage.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'balloon-png-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A directory holding files of these names; `executable` says whether they may run. */
function binDir(name: string, files: string[], executable = true): string {
  const dir = path.join(tmp, name);
  mkdirSync(dir, { recursive: true });
  for (const f of files) {
    writeFileSync(path.join(dir, f), '#!/bin/sh\n');
    chmodSync(path.join(dir, f), executable ? 0o755 : 0o644);
  }
  return dir;
}

describe('PNG figures (balloon report --png)', () => {
  it('draws a figure at the size its SVG root gives', () => {
    expect(svgSize('<svg xmlns="http://www.w3.org/2000/svg" class="marks" width="437" height="260" viewBox="0 0 437 260"><rect width="9" height="9"/></svg>')).toEqual({ width: 437, height: 260 });
    expect(svgSize('<svg width="100.5" height="20"></svg>')).toEqual({ width: 101, height: 20 });
    expect(svgSize('<svg viewBox="0 0 10 10"></svg>')).toBeNull();
    expect(svgSize('not svg')).toBeNull();
  });

  it('finds Chromium on PATH under any of its names, executable files only, first name first', () => {
    const none = binDir('none', ['chromium'], false);
    const debian = binDir('debian', ['chromium']);
    const ubuntu = binDir('ubuntu', ['chromium-browser', 'google-chrome']);
    expect(findChromium([none, ubuntu].join(path.delimiter))).toBe(path.join(ubuntu, 'chromium-browser'));
    expect(findChromium([ubuntu, debian].join(path.delimiter))).toBe(path.join(debian, 'chromium'));
    expect(findChromium(none)).toBeNull();
    expect(findChromium('')).toBeNull();
  });

  it('refuses --png without a Chromium, in one line saying how to get one', () => {
    expect(() => requireChromium(binDir('empty', []))).toThrow(UsageError);
    expect(() => requireChromium(binDir('empty', []))).toThrow(
      '--png needs headless Chromium, and none of chromium, chromium-browser, google-chrome, google-chrome-stable is on PATH; install it (scripts/install-deps.sh installs Debian\'s chromium) or leave out --png',
    );
  });
});
