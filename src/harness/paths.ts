import { createHash } from 'node:crypto';
import { homedir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this code runs from. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const kernelPatchDir = path.join(projectRoot, 'kernel-patch');

/**
 * Where expensive artefacts (kernel builds, root file systems, images, ccache)
 * live. Shared by all checkouts of one user; every entry is keyed by its inputs.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BALLOON_CACHE_DIR) return path.resolve(env.BALLOON_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(homedir(), '.cache');
  return path.join(base, 'app-balloon');
}

/** Per-checkout state (ssh key, VM disks, pid and port): never shared between checkouts. */
export function stateDir(name = 'vm'): string {
  return path.join(projectRoot, '.vm', name);
}

/** A short stable id of this checkout, so two checkouts never share a VM name. */
export const checkoutId = createHash('sha256').update(projectRoot).digest('hex').slice(0, 8);
