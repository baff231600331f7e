import { AgentError } from './errors.js';
import { PAGE_SHIFT, PAGE_SIZE_BIG, type ByteRange, type PageRange } from './page-state.js';

/**
 * Maps the managed regions (virtual address ranges) onto one dense page index
 * space [0, pageCount): region 0's pages first, then region 1's, and so on.
 * Every per-page typed array in the agent is indexed this way.
 */
export class RegionLayout {
  readonly regions: readonly ByteRange[];
  /** First global page index of each region. */
  readonly firstPage: readonly number[];
  /** Number of pages of each region. */
  readonly pageCounts: readonly number[];
  readonly pageCount: number;

  constructor(regions: readonly ByteRange[]) {
    const firstPage: number[] = [];
    const pageCounts: number[] = [];
    let total = 0;
    const sorted = [...regions].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
    for (let i = 0; i < sorted.length; i++) {
      const region = sorted[i]!;
      if (region.start % PAGE_SIZE_BIG !== 0n || region.length % PAGE_SIZE_BIG !== 0n || region.length <= 0n) {
        throw new AgentError('managed region must be page-aligned with a positive length', {
          start: `0x${region.start.toString(16)}`,
          length: region.length.toString(),
        });
      }
      const previous = sorted[i - 1];
      if (previous !== undefined && previous.start + previous.length > region.start) {
        throw new AgentError('managed regions overlap', {
          first: `0x${previous.start.toString(16)}`,
          second: `0x${region.start.toString(16)}`,
        });
      }
      firstPage.push(total);
      const pages = Number(region.length >> PAGE_SHIFT);
      pageCounts.push(pages);
      total += pages;
    }
    this.regions = sorted;
    this.firstPage = firstPage;
    this.pageCounts = pageCounts;
    this.pageCount = total;
  }

  /** Index of the region holding global page `page` (binary search). */
  regionOf(page: number): number {
    if (page < 0 || page >= this.pageCount) {
      throw new AgentError('page index outside the managed regions', { page, pageCount: this.pageCount });
    }
    let lo = 0;
    let hi = this.firstPage.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.firstPage[mid]! <= page) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** Virtual address of global page `page`. */
  addressOf(page: number): bigint {
    const region = this.regionOf(page);
    return this.regions[region]!.start + BigInt(page - this.firstPage[region]!) * PAGE_SIZE_BIG;
  }

  /**
   * Converts page-index ranges to byte ranges, splitting any range that spans
   * a region boundary (regions need not be adjacent in the address space).
   */
  toByteRanges(ranges: readonly PageRange[]): ByteRange[] {
    const out: ByteRange[] = [];
    for (const range of ranges) {
      let first = range.first;
      let remaining = range.count;
      if (remaining <= 0 || first < 0 || first + remaining > this.pageCount) {
        throw new AgentError('page range outside the managed regions', { ...range, pageCount: this.pageCount });
      }
      while (remaining > 0) {
        const region = this.regionOf(first);
        const regionEnd = this.firstPage[region]! + this.pageCounts[region]!;
        const count = Math.min(remaining, regionEnd - first);
        const start = this.regions[region]!.start + BigInt(first - this.firstPage[region]!) * PAGE_SIZE_BIG;
        const last = out[out.length - 1];
        if (last !== undefined && last.start + last.length === start) {
          last.length += BigInt(count) * PAGE_SIZE_BIG;
        } else {
          out.push({ start, length: BigInt(count) * PAGE_SIZE_BIG });
        }
        first += count;
        remaining -= count;
      }
    }
    return out;
  }
}
