/**
 * PNG copies of the report's standalone SVG figures (`balloon report --png`),
 * drawn by headless Chromium where one is installed: vega draws PNG only
 * through the native `canvas` package, which this project does not carry
 * (src/cli/README.md). Chromium runs with a throwaway profile and the flags
 * that keep it from reaching out on its own; it opens only file:// URLs.
 */
import { accessSync, constants as fsConstants } from 'node:fs';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';
import { UsageError } from '../shared/usage.js';

/** The names Chromium goes by on the distributions this runs on, in the order they are tried. */
export const CHROMIUM_NAMES = ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable'] as const;

/** Headless Chromium with a throwaway profile and the flags that keep it from reaching out on its own. */
export function headlessChromiumArgs(profileDir: string): string[] {
  return [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync', '--hide-scrollbars', `--user-data-dir=${profileDir}`,
  ];
}

/** Pixels per SVG unit: figures for a paper, sharp when printed. */
export const PNG_SCALE = 2;

/** The first Chromium on `PATH` (an executable file), or null. */
export function findChromium(pathEnv = process.env['PATH'] ?? ''): string | null {
  for (const name of CHROMIUM_NAMES) {
    for (const dir of pathEnv.split(path.delimiter)) {
      if (dir === '') continue;
      const file = path.join(dir, name);
      try {
        accessSync(file, fsConstants.X_OK);
        return file;
      } catch {
        // not here
      }
    }
  }
  return null;
}

/** Chromium to draw PNGs with, or a UsageError saying how to get one. */
export function requireChromium(pathEnv?: string): string {
  const found = findChromium(pathEnv);
  if (found === null) {
    throw new UsageError(
      `--png needs headless Chromium, and none of ${CHROMIUM_NAMES.join(', ')} is on PATH; install it (scripts/install-deps.sh installs Debian's chromium) or leave out --png`,
    );
  }
  return found;
}

/** The figure's size in SVG units, from its root element's width and height. */
export function svgSize(svg: string): { width: number; height: number } | null {
  const root = /<svg\b[^>]*>/.exec(svg)?.[0];
  if (root === undefined) return null;
  const width = Number(/\swidth="(\d+(?:\.\d+)?)"/.exec(root)?.[1]);
  const height = Number(/\sheight="(\d+(?:\.\d+)?)"/.exec(root)?.[1]);
  return width > 0 && height > 0 ? { width: Math.ceil(width), height: Math.ceil(height) } : null;
}

/**
 * Writes `<figure>.png` beside every SVG figure, PNG_SCALE pixels per unit,
 * one Chromium run each; `onFigure` hears each one written. Returns the PNG files.
 */
export async function writeFigurePngs(
  figures: readonly string[],
  browser: string,
  onFigure: (png: string, done: number, total: number) => void = () => undefined,
): Promise<string[]> {
  const profile = await mkdtemp(path.join(os.tmpdir(), 'balloon-png-'));
  const written: string[] = [];
  try {
    for (const file of figures) {
      const size = svgSize(await readFile(file, 'utf8'));
      if (size === null) throw new Error(`${file}: the SVG has no width and height to draw it at`);
      const png = file.replace(/\.svg$/, '.png');
      await rm(png, { force: true });
      const r = await execa(
        browser,
        [
          ...headlessChromiumArgs(profile),
          `--force-device-scale-factor=${PNG_SCALE}`, `--window-size=${size.width},${size.height}`, `--screenshot=${png}`,
          pathToFileURL(file).href,
        ],
        { reject: false, timeout: 90_000, stdin: 'ignore' },
      );
      const made = await stat(png).then((s) => s.size > 0, () => false);
      if (!made) throw new Error(`${browser} drew no ${path.basename(png)} (exit ${r.exitCode ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      written.push(png);
      onFigure(png, written.length, figures.length);
    }
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
  return written;
}
