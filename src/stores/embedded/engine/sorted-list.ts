/**
 * A list kept sorted by a unique key, stored as a list of small sorted
 * chunks (as Python's sortedcontainers does). The common queue pattern,
 * append at the tail and pop at the head, is O(1) amortized; a put-back
 * into the middle costs a binary search plus a splice of one chunk.
 *
 * The key is a number by default; a queue's ready list orders its jobs by
 * a composite key (priority, round, rank) with its own `compare`, the job
 * itself standing for its key.
 */
const CHUNK = 512;

function numeric(a: number, b: number): number {
  return a - b;
}

export class SortedList<T, K = number> {
  private chunks: T[][] = [];
  /**
   * each chunk's last key: the search for a chunk reads this array rather
   * than an item's key (for the sequence list, a job table column: a cache
   * miss per step with 10^5 jobs, most of an ACKJOB's removal)
   */
  private lastKeys: K[] = [];
  private count = 0;
  private readonly compare: (a: K, b: K) => number;

  constructor(
    private readonly keyOf: (item: T) => K,
    compare?: (a: K, b: K) => number,
  ) {
    this.compare = compare ?? (numeric as unknown as (a: K, b: K) => number);
  }

  get size(): number {
    return this.count;
  }

  insert(item: T): void {
    const key = this.keyOf(item);
    const chunks = this.chunks;
    this.count++;
    const last = chunks.length - 1;
    // Fast path: a new maximum goes at the very end.
    if (last < 0 || this.compare(key, this.lastKeys[last]!) > 0) {
      if (last >= 0 && chunks[last]!.length < CHUNK) {
        chunks[last]!.push(item);
        this.lastKeys[last] = key;
      } else {
        chunks.push([item]);
        this.lastKeys.push(key);
      }
      return;
    }
    const ci = this.chunkFor(key);
    const chunk = chunks[ci]!;
    const i = this.indexIn(chunk, key);
    chunk.splice(i, 0, item);
    if (i === chunk.length - 1) this.lastKeys[ci] = key;
    if (chunk.length > CHUNK * 2) {
      const upper = chunk.splice(CHUNK);
      chunks.splice(ci + 1, 0, upper);
      this.lastKeys.splice(ci, 0, this.keyOf(chunk[chunk.length - 1]!));
    }
  }

  /** Removes the item with this key; returns it, or undefined. */
  remove(key: K): T | undefined {
    if (this.count === 0) return undefined;
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci]!;
    const i = this.indexIn(chunk, key);
    if (i >= chunk.length || this.compare(this.keyOf(chunk[i]!), key) !== 0) return undefined;
    const [item] = chunk.splice(i, 1);
    if (i === chunk.length && i > 0) this.lastKeys[ci] = this.keyOf(chunk[i - 1]!);
    this.afterRemove(ci);
    return item;
  }

  find(key: K): T | undefined {
    if (this.count === 0) return undefined;
    const chunk = this.chunks[this.chunkFor(key)]!;
    const item = chunk[this.indexIn(chunk, key)];
    return item !== undefined && this.compare(this.keyOf(item), key) === 0 ? item : undefined;
  }

  /**
   * 0-based place of the item with this key, or -1: a binary search plus a
   * sum over the chunks before it (size / 512 additions, no item is walked).
   */
  indexOf(key: K): number {
    if (this.count === 0) return -1;
    const ci = this.chunkFor(key);
    const chunk = this.chunks[ci]!;
    const i = this.indexIn(chunk, key);
    if (i >= chunk.length || this.compare(this.keyOf(chunk[i]!), key) !== 0) return -1;
    let before = 0;
    for (let c = 0; c < ci; c++) before += this.chunks[c]!.length;
    return before + i;
  }

  first(): T | undefined {
    return this.chunks[0]?.[0];
  }

  last(): T | undefined {
    const chunk = this.chunks[this.chunks.length - 1];
    return chunk?.[chunk.length - 1];
  }

  shift(): T | undefined {
    const chunk = this.chunks[0];
    if (!chunk) return undefined;
    const item = chunk.shift();
    this.afterRemove(0);
    return item;
  }

  clear(): void {
    this.chunks = [];
    this.lastKeys = [];
    this.count = 0;
  }

  /** Items in key order, starting at the first key >= fromKey. */
  *from(fromKey: K): IterableIterator<T> {
    if (this.count === 0) return;
    let ci = this.chunkFor(fromKey);
    let i = this.indexIn(this.chunks[ci]!, fromKey);
    for (; ci < this.chunks.length; ci++, i = 0) {
      const chunk = this.chunks[ci]!;
      for (; i < chunk.length; i++) yield chunk[i]!;
    }
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (const chunk of this.chunks) yield* chunk;
  }

  *reversed(): IterableIterator<T> {
    for (let ci = this.chunks.length - 1; ci >= 0; ci--) {
      const chunk = this.chunks[ci]!;
      for (let i = chunk.length - 1; i >= 0; i--) yield chunk[i]!;
    }
  }

  private afterRemove(ci: number): void {
    this.count--;
    if (this.chunks[ci]!.length === 0) {
      this.chunks.splice(ci, 1);
      this.lastKeys.splice(ci, 1);
    }
  }

  /** Index of the chunk whose range should hold `key`. */
  private chunkFor(key: K): number {
    const chunks = this.chunks;
    let lo = 0;
    let hi = chunks.length - 1;
    const lastKeys = this.lastKeys;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(lastKeys[mid]!, key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** First index in `chunk` whose key is >= `key`. */
  private indexIn(chunk: T[], key: K): number {
    let lo = 0;
    let hi = chunk.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.compare(this.keyOf(chunk[mid]!), key) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
