/**
 * Headless Debian chromium for the report tests: no network (only file://
 * pages and inline SVG), a throwaway profile, and the flags that keep it from
 * reaching out on its own.
 */
import { existsSync } from 'node:fs';
import { execa } from 'execa';
import { expect } from 'vitest';
import { headlessChromiumArgs } from '../../src/report/png.js';

export const CHROMIUM = '/usr/bin/chromium';

/** Fails loudly when chromium is not installed (a test that cannot run must say why). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run scripts/install-deps.sh (it installs the Debian packages listed in scripts/debian-packages.txt, chromium among them)`);
  }
}

export function chromium(profileDir: string, ...args: string[]) {
  return execa(CHROMIUM, [...headlessChromiumArgs(profileDir), ...args], { reject: false, timeout: 90_000, stdin: 'ignore' });
}

/** Width and height from a PNG's IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
