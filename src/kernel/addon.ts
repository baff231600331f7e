/**
 * Loads the native addon. This module is the only place that touches
 * build/Release/balloon.node; the rest of src/kernel/ calls {@link addon}.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { NativeAddon } from './native.js';

const require = createRequire(import.meta.url);

/**
 * Thrown when the addon cannot be loaded; `code` says why. A TypeError (as the
 * project's issue asks for calls made without a loaded addon), so it is thrown
 * before anything reaches the kernel.
 */
export class AddonLoadError extends TypeError {
  override name = 'AddonLoadError';
  constructor(
    message: string,
    readonly code: 'ERR_BALLOON_ADDON_MISSING' | 'ERR_BALLOON_ADDON_PLATFORM' | 'ERR_BALLOON_ADDON_LOAD',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** The package root: the nearest ancestor directory holding binding.gyp. */
function packageRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(path.join(dir, 'binding.gyp'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
    dir = parent;
  }
}

/** Where the addon is looked for, in order (BALLOON_ADDON overrides). */
export function addonCandidates(): string[] {
  const root = packageRoot();
  const fromEnv = process.env['BALLOON_ADDON'];
  return [
    ...(fromEnv ? [path.resolve(fromEnv)] : []),
    path.join(root, 'build', 'Release', 'balloon.node'),
    path.join(root, 'build', 'Debug', 'balloon.node'),
  ];
}

const HOW_TO_BUILD = 'run `npm ci` (it builds the addon) or `npm run build:native`';

/**
 * Loads the addon from `file` (default: the first existing candidate). Throws
 * {@link AddonLoadError} with a message that says what to do.
 */
export function loadAddonFrom(file?: string): NativeAddon {
  if (process.platform !== 'linux') {
    throw new AddonLoadError(
      `the balloon addon only works on Linux (this is ${process.platform}/${process.arch}): ` +
        'the signals, syscalls and mappings it wraps are Linux-specific; run it inside the project VM (npm run vm:up)',
      'ERR_BALLOON_ADDON_PLATFORM',
    );
  }
  const target = file ?? addonCandidates().find((f) => existsSync(f));
  if (target === undefined || !existsSync(target)) {
    throw new AddonLoadError(
      `the native balloon addon is not built (looked for ${target ?? addonCandidates().join(', ')}): ${HOW_TO_BUILD}`,
      'ERR_BALLOON_ADDON_MISSING',
    );
  }
  try {
    return require(target) as NativeAddon;
  } catch (err) {
    const text = err instanceof Error ? err.message : String(err);
    const wrongPlatform = /invalid ELF header|wrong ELF class|ELF file|file too short|cannot open shared object|undefined symbol|Module did not self-register|not a valid Win32|mach-o/i.test(
      text,
    );
    throw new AddonLoadError(
      wrongPlatform
        ? `the native balloon addon at ${target} was built for another platform, architecture or Node.js ` +
            `(${text.trim()}); rebuild it on this machine (${process.platform}/${process.arch}, Node.js ${process.version}): ${HOW_TO_BUILD}`
        : `the native balloon addon at ${target} failed to load (${text.trim()}): ${HOW_TO_BUILD}`,
      wrongPlatform ? 'ERR_BALLOON_ADDON_PLATFORM' : 'ERR_BALLOON_ADDON_LOAD',
      { cause: err },
    );
  }
}

let cached: NativeAddon | undefined;

/** The loaded addon (loaded on first use). Throws {@link AddonLoadError}. */
export function addon(): NativeAddon {
  cached ??= loadAddonFrom();
  return cached;
}

/** True when the addon loads; never throws. */
export function isAddonAvailable(): boolean {
  try {
    addon();
    return true;
  } catch {
    return false;
  }
}
