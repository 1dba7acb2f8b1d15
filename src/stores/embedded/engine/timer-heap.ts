/** Entries per page: the heap grows a page at a time, never copying what it holds. */
const PAGE_BITS = 12;
const PAGE_SLOTS = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SLOTS - 1;

/**
 * The engine's one scheduler: a binary min-heap of (dueAt, item) pairs.
 * Entries are never removed early; owners check on pop whether an entry is
 * still current (lazy cancellation), which keeps every reschedule O(log n).
 *
 * Every job has an entry (its TTL), so a million jobs make a million-entry
 * heap: it is stored in pages (due times in typed arrays), so that growing
 * it leaves no megabytes-long old copy behind for the collector.
 */
export class TimerHeap<T> {
  private timePages: Float64Array[] = [];
  private itemPages: (T | undefined)[][] = [];
  private count = 0;
  /** the due time of the item `popDue` returned last */
  poppedAt = Infinity;

  get size(): number {
    return this.count;
  }

  /** the earliest due time, or Infinity */
  peekTime(): number {
    return this.count > 0 ? this.timePages[0]![0]! : Infinity;
  }

  /** the earliest item, or undefined */
  peekItem(): T | undefined {
    return this.count > 0 ? this.itemPages[0]![0] : undefined;
  }

  push(dueAt: number, item: T): void {
    if (this.count === this.timePages.length * PAGE_SLOTS) {
      this.timePages.push(new Float64Array(PAGE_SLOTS));
      this.itemPages.push(new Array<T | undefined>(PAGE_SLOTS));
    }
    let i = this.count++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (this.time(parent) <= dueAt) break;
      this.move(parent, i);
      i = parent;
    }
    this.put(i, dueAt, item);
  }

  /** Removes and returns the earliest item if it is due at or before `now`. */
  popDue(now: number): T | undefined {
    if (this.count === 0 || this.time(0) > now) return undefined;
    const top = this.item(0);
    this.poppedAt = this.time(0);
    const last = --this.count;
    const lastTime = this.time(last);
    const lastItem = this.item(last);
    this.put(last, 0, undefined);
    if (last > 0) this.siftDown(0, lastTime, lastItem);
    this.dropEmptyPage();
    return top;
  }

  /** Keeps only the entries `keep` accepts and restores the heap order: O(n). */
  retain(keep: (item: T, dueAt: number) => boolean): void {
    let kept = 0;
    for (let i = 0; i < this.count; i++) {
      const item = this.item(i);
      const at = this.time(i);
      if (keep(item, at)) this.put(kept++, at, item);
    }
    for (let i = kept; i < this.count; i++) this.put(i, 0, undefined);
    this.count = kept;
    for (let i = (kept >> 1) - 1; i >= 0; i--) this.siftDown(i, this.time(i), this.item(i));
    while (this.dropEmptyPage());
  }

  clear(): void {
    this.timePages = [];
    this.itemPages = [];
    this.count = 0;
  }

  private siftDown(start: number, time: number, item: T): void {
    const n = this.count;
    let i = start;
    while (true) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && this.time(right) < this.time(left) ? right : left;
      if (this.time(child) >= time) break;
      this.move(child, i);
      i = child;
    }
    this.put(i, time, item);
  }

  private time(i: number): number {
    return this.timePages[i >>> PAGE_BITS]![i & PAGE_MASK]!;
  }

  private item(i: number): T {
    return this.itemPages[i >>> PAGE_BITS]![i & PAGE_MASK]!;
  }

  private put(i: number, time: number, item: T | undefined): void {
    this.timePages[i >>> PAGE_BITS]![i & PAGE_MASK] = time;
    this.itemPages[i >>> PAGE_BITS]![i & PAGE_MASK] = item;
  }

  private move(from: number, to: number): void {
    this.put(to, this.time(from), this.item(from));
  }

  /** A shrunk heap gives back its last page once a whole spare one is empty (hysteresis: no page churn at a boundary). */
  private dropEmptyPage(): boolean {
    if ((this.timePages.length - 2) * PAGE_SLOTS < this.count || this.timePages.length < 2) return false;
    this.timePages.pop();
    this.itemPages.pop();
    return true;
  }
}
