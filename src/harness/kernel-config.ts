/** A Kconfig fragment: symbol -> wanted value (`null` for "is not set"). */
export type ConfigFragment = Map<string, string | null>;

/** Parses `CONFIG_X=value` and `# CONFIG_X is not set` lines; other comments are ignored. */
export function parseConfig(text: string): ConfigFragment {
  const config: ConfigFragment = new Map();
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const unset = /^# (CONFIG_[A-Za-z0-9_]+) is not set$/.exec(line);
    if (unset) {
      config.set(unset[1]!, null);
      continue;
    }
    if (line.startsWith('#') || line === '') continue;
    const set = /^(CONFIG_[A-Za-z0-9_]+)=(.*)$/.exec(line);
    if (!set) throw new Error(`not a Kconfig line: "${line}"`);
    config.set(set[1]!, set[2]!);
  }
  return config;
}

export interface ConfigMismatch {
  symbol: string;
  wanted: string | null;
  got: string | null;
}

/**
 * Options of the fragment that the final .config does not have as asked:
 * Kconfig drops an option silently when its dependencies are not met.
 */
export function checkConfig(fragment: ConfigFragment, finalConfig: ConfigFragment): ConfigMismatch[] {
  const mismatches: ConfigMismatch[] = [];
  for (const [symbol, wanted] of fragment) {
    const got = finalConfig.get(symbol) ?? null;
    const same = wanted === null ? got === null || got === 'n' : got === wanted;
    if (!same) mismatches.push({ symbol, wanted, got });
  }
  return mismatches;
}

export function describeMismatch(m: ConfigMismatch): string {
  const show = (v: string | null): string => (v === null ? 'not set' : v);
  return `${m.symbol} wanted ${show(m.wanted)}, got ${show(m.got)}`;
}
