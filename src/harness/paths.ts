import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The checkout this code runs from. */
export const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export const kernelPatchDir = path.join(projectRoot, 'kernel-patch');

export { cacheRoot } from '../shared/cache-root.js';

/** Per-checkout state (ssh key, VM disks, pid and port): never shared between checkouts. */
export function stateDir(name = 'vm'): string {
  return path.join(projectRoot, '.vm', name);
}

/** A short stable id of this checkout, so two checkouts never share a VM name. */
export const checkoutId = createHash('sha256').update(projectRoot).digest('hex').slice(0, 8);
