/**
 * The one grammar of sizes, for every size option of every command (`balloon
 * run --size/--threshold`, `simulate --memory/--pages`, `experiment
 * --size/--threshold` and its config file, `vm up --memory/--swap`):
 *
 *   a number, optionally with a fraction, then an optional unit:
 *   none or B = bytes, K/M/G/T (also KB/KiB, ...) = powers of 1024,
 *   p (or page, pages) = 4 KiB pages.
 *
 * A plain number is bytes, as for dd, truncate and numfmt: `512` is 512 bytes,
 * `512M` is 512 MiB. Documented once, in src/cli/README.md ("Sizes").
 */

export const PAGE_SIZE = 4096;

const UNIT_BYTES: Record<string, number> = { '': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40 };

export class SizeError extends RangeError {
  override name = 'SizeError';
}

export const SIZE_GRAMMAR = 'a number of bytes with an optional unit K, M, G, T (powers of 1024) or p (4 KiB pages), e.g. 512M, 2G, 1000p';

/** `1 page`, `2 pages`. */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** Bytes in the largest binary unit that keeps one decimal: 4 KiB, 1.5 GiB, 512 B. */
export function formatSize(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];
  let v = bytes;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  const text = Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${text} ${units[u]}`;
}

/** Parses a size (see the grammar above) into bytes; `what` names the option in messages (e.g. `--size`). */
export function parseSizeBytes(text: string, what = 'size'): number {
  const m = /^\s*(-?\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|(b)|(p|pages?))?\s*$/i.exec(text);
  if (!m) throw new SizeError(`${what} "${text}" is not a size: ${SIZE_GRAMMAR}`);
  const value = Number(m[1]);
  const bytes = m[4] !== undefined ? value * PAGE_SIZE : value * UNIT_BYTES[(m[2] ?? m[3] ?? '').toLowerCase()]!;
  if (!(bytes > 0)) throw new SizeError(`${what} must be positive, got "${text}"`);
  if (!Number.isSafeInteger(Math.round(bytes))) throw new SizeError(`${what} "${text}" is too large (more than ${formatSize(Number.MAX_SAFE_INTEGER)})`);
  return Math.max(1, Math.round(bytes));
}

/** True when `text` has no unit, so the user may have meant another one. */
export const isPlainNumber = (text: string): boolean => /^\s*\d+(?:\.\d+)?\s*$/.test(text);

/**
 * At least `min` bytes; the message says what the size was and, for a plain
 * number, what the user probably meant (`512` is bytes: did you mean 512M?).
 */
export function checkMinimumSize(bytes: number, text: string, what: string, min: number, minText = formatSize(min)): number {
  if (bytes >= min) return bytes;
  const n = text.trim();
  const meant = isPlainNumber(text) ? [`${n}M`, `${n}p`].filter((t) => parseSizeBytes(t) >= min) : [];
  const hint = meant.length > 0 ? `; a plain number is bytes: did you mean ${meant.join(' or ')}?` : '';
  throw new SizeError(`${what} ${n} is ${describeSize(bytes)}, below the minimum of ${minText}${hint}`);
}

/** `1 byte`, `4 KiB (1 page)`, `1.5 MiB`. */
export function describeSize(bytes: number): string {
  if (bytes < 1024) return plural(bytes, 'byte');
  const pages = bytes / PAGE_SIZE;
  return Number.isInteger(pages) && pages < 1024 ? `${formatSize(bytes)} (${plural(pages, 'page')})` : formatSize(bytes);
}

/** A size in whole 4 KiB pages (rounded up), at least `minPages`. */
export function parseSizePages(text: string, what = 'size', minPages = 1): number {
  const min = minPages * PAGE_SIZE;
  const bytes = checkMinimumSize(parseSizeBytes(text, what), text, what, min, minPages === 1 ? 'one 4 KiB page' : `${formatSize(min)} (${minPages} pages)`);
  return Math.ceil(bytes / PAGE_SIZE);
}

/** A size in whole MiB (rounded up), at least `minMiB` (QEMU's and qemu-img's unit). */
export function parseSizeMiB(text: string, what = 'size', minMiB = 1): number {
  const bytes = checkMinimumSize(parseSizeBytes(text, what), text, what, minMiB * 2 ** 20);
  return Math.ceil(bytes / 2 ** 20);
}
