/** Parses a memory size such as `2G`, `1536M`, `512MiB` or a plain number of MiB into MiB. */
export function parseSizeMiB(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*(k|m|g|t)?(i?b)?\s*$/i.exec(text);
  if (!m) throw new RangeError(`${what} "${text}" is not a size; use a number with an optional unit, e.g. 2G, 1536M`);
  const value = Number(m[1]);
  const unit = (m[2] ?? 'm').toLowerCase();
  const factor = { k: 1 / 1024, m: 1, g: 1024, t: 1024 * 1024 }[unit as 'k' | 'm' | 'g' | 't'];
  const mib = Math.round(value * factor);
  if (mib <= 0) throw new RangeError(`${what} "${text}" must be at least 1 MiB`);
  return mib;
}
