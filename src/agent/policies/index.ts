import { AgentError } from '../errors.js';
import { BalloonPolicy, type BalloonPolicyOptions } from './balloon.js';
import { FifoPolicy } from './fifo.js';
import { LruApproxPolicy } from './lru-approx.js';
import type { EvictionPolicy } from './policy.js';
import { RandomPolicy, type RandomPolicyOptions } from './random.js';

export type { EvictionPolicy, PolicyState } from './policy.js';
export { BalloonPolicy, DEFAULT_BALLOON_POLICY_OPTIONS, type BalloonPolicyOptions } from './balloon.js';
export { FifoPolicy } from './fifo.js';
export { LruApproxPolicy } from './lru-approx.js';
export { RandomPolicy, DEFAULT_RANDOM_POLICY_OPTIONS, type RandomPolicyOptions } from './random.js';
export { LowestKeySelector, countPages, indicesToRanges, quickselect } from './select.js';

/** Options per policy name, for createPolicy. */
export interface PolicyOptionsByName {
  fifo: Record<string, never>;
  random: Partial<RandomPolicyOptions>;
  'lru-approx': Record<string, never>;
  balloon: Partial<BalloonPolicyOptions>;
}

export type PolicyName = keyof PolicyOptionsByName;

const FACTORIES: { [K in PolicyName]: (options: PolicyOptionsByName[K]) => EvictionPolicy } = {
  fifo: () => new FifoPolicy(),
  random: (options) => new RandomPolicy(options),
  'lru-approx': () => new LruApproxPolicy(),
  balloon: (options) => new BalloonPolicy(options),
};

/** Every registered policy name, in presentation order. */
export const POLICY_NAMES: readonly PolicyName[] = ['fifo', 'random', 'lru-approx', 'balloon'];

export function isPolicyName(name: string): name is PolicyName {
  return Object.hasOwn(FACTORIES, name);
}

/** Creates a fresh policy instance by name; unknown names throw, listing the valid ones. */
export function createPolicy(name: string, options: Record<string, unknown> = {}): EvictionPolicy {
  if (!isPolicyName(name)) {
    throw new AgentError(`unknown policy "${name}"; valid policies: ${POLICY_NAMES.join(', ')}`, {
      name,
      valid: [...POLICY_NAMES],
    });
  }
  return (FACTORIES[name] as (o: Record<string, unknown>) => EvictionPolicy)(options);
}
export {
  ArcReference,
  DEFAULT_LIRS_OPTIONS,
  LirsReference,
  LruReference,
  NO_VICTIM,
  REFERENCE_POLICY_NAMES,
  createReferencePolicy,
  isReferencePolicyName,
  type LirsOptions,
  type ReferencePolicy,
  type ReferencePolicyName,
} from './reference/index.js';
