/** Per-reference replacement policies from the literature: the anchors of the simulator. */
import { AgentError } from '../../errors.js';
import { ArcReference } from './arc.js';
import { LirsReference } from './lirs.js';
import { LruReference } from './lru.js';
import type { ReferencePolicy } from './reference-policy.js';

export { ArcReference } from './arc.js';
export { DEFAULT_LIRS_OPTIONS, LirsReference, type LirsOptions } from './lirs.js';
export { LruReference } from './lru.js';
export { PageList } from './page-list.js';
export { NO_VICTIM, type ReferencePolicy } from './reference-policy.js';

const FACTORIES = {
  lru: (memoryPages: number, pageCount: number) => new LruReference(memoryPages, pageCount),
  arc: (memoryPages: number, pageCount: number) => new ArcReference(memoryPages, pageCount),
  lirs: (memoryPages: number, pageCount: number) => new LirsReference(memoryPages, pageCount),
} as const;

export type ReferencePolicyName = keyof typeof FACTORIES;

/** Every anchor, in presentation order. */
export const REFERENCE_POLICY_NAMES: readonly ReferencePolicyName[] = ['lru', 'arc', 'lirs'];

export function isReferencePolicyName(name: string): name is ReferencePolicyName {
  return Object.hasOwn(FACTORIES, name);
}

/** A fresh anchor for a memory of `memoryPages` pages and page numbers below `pageCount`. */
export function createReferencePolicy(name: string, memoryPages: number, pageCount: number): ReferencePolicy {
  if (!isReferencePolicyName(name)) {
    throw new AgentError(`unknown reference policy "${name}"; valid ones: ${REFERENCE_POLICY_NAMES.join(', ')}`, { name });
  }
  return FACTORIES[name](memoryPages, pageCount);
}
