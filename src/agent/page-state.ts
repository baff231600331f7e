/** Page size the agent works with (base pages; THP shows up as 512 of them). */
export const PAGE_SIZE = 4096;
export const PAGE_SIZE_BIG = 4096n;
export const PAGE_SHIFT = 12n;

/**
 * Residency of one page as far as the agent knows. Stored one byte per page
 * in a Uint8Array, so these are plain numbers (no enum: isolatedModules).
 */
export const PageState = {
  /** Never touched, or unmapped: nothing to swap out. */
  Absent: 0,
  /** Resident in RAM: a possible victim. */
  Present: 1,
  /** In swap: already released, never a victim again until it faults back. */
  Swapped: 2,
} as const;
export type PageState = (typeof PageState)[keyof typeof PageState];

/** Half-open range of page indices in the agent's global page index space. */
export interface PageRange {
  /** Index of the first page. */
  first: number;
  /** Number of pages, at least 1. */
  count: number;
}

/** Page-aligned range of virtual addresses, in bytes. */
export interface ByteRange {
  start: bigint;
  length: bigint;
}
