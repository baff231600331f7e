import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where expensive artefacts (kernel builds, root file systems, images, ccache,
 * worker bundles) live: $BALLOON_CACHE_DIR, else $XDG_CACHE_HOME/app-balloon,
 * else ~/.cache/app-balloon. Shared by all checkouts of one user; every entry
 * is keyed by its inputs.
 */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.BALLOON_CACHE_DIR) return path.resolve(env.BALLOON_CACHE_DIR);
  const base = env.XDG_CACHE_HOME ? path.resolve(env.XDG_CACHE_HOME) : path.join(homedir(), '.cache');
  return path.join(base, 'app-balloon');
}
