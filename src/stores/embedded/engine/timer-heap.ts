/**
 * The engine's one scheduler: a binary min-heap of (dueAt, item) pairs.
 * Entries are never removed early; owners check on pop whether an entry is
 * still current (lazy cancellation), which keeps every reschedule O(log n).
 */
export class TimerHeap<T> {
  private dueTimes: number[] = [];
  private items: T[] = [];
  /** the due time of the item `popDue` returned last */
  poppedAt = Infinity;

  get size(): number {
    return this.items.length;
  }

  /** the earliest due time, or Infinity */
  peekTime(): number {
    return this.dueTimes.length > 0 ? this.dueTimes[0]! : Infinity;
  }

  /** the earliest item, or undefined */
  peekItem(): T | undefined {
    return this.items[0];
  }

  push(dueAt: number, item: T): void {
    const times = this.dueTimes;
    const items = this.items;
    let i = times.length;
    times.push(dueAt);
    items.push(item);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (times[parent]! <= dueAt) break;
      times[i] = times[parent]!;
      items[i] = items[parent]!;
      i = parent;
    }
    times[i] = dueAt;
    items[i] = item;
  }

  /** Removes and returns the earliest item if it is due at or before `now`. */
  popDue(now: number): T | undefined {
    if (this.dueTimes.length === 0 || this.dueTimes[0]! > now) return undefined;
    const top = this.items[0]!;
    this.poppedAt = this.dueTimes[0]!;
    const lastTime = this.dueTimes.pop()!;
    const lastItem = this.items.pop()!;
    const n = this.dueTimes.length;
    if (n > 0) {
      const times = this.dueTimes;
      const items = this.items;
      let i = 0;
      while (true) {
        const left = 2 * i + 1;
        if (left >= n) break;
        const right = left + 1;
        const child = right < n && times[right]! < times[left]! ? right : left;
        if (times[child]! >= lastTime) break;
        times[i] = times[child]!;
        items[i] = items[child]!;
        i = child;
      }
      times[i] = lastTime;
      items[i] = lastItem;
    }
    return top;
  }

  /** Keeps only the entries `keep` accepts and restores the heap order: O(n). */
  retain(keep: (item: T, dueAt: number) => boolean): void {
    const times: number[] = [];
    const items: T[] = [];
    for (let i = 0; i < this.items.length; i++) {
      if (keep(this.items[i]!, this.dueTimes[i]!)) {
        times.push(this.dueTimes[i]!);
        items.push(this.items[i]!);
      }
    }
    this.dueTimes = times;
    this.items = items;
    for (let i = (times.length >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  private siftDown(start: number): void {
    const times = this.dueTimes;
    const items = this.items;
    const n = times.length;
    const time = times[start]!;
    const item = items[start]!;
    let i = start;
    while (true) {
      const left = 2 * i + 1;
      if (left >= n) break;
      const right = left + 1;
      const child = right < n && times[right]! < times[left]! ? right : left;
      if (times[child]! >= time) break;
      times[i] = times[child]!;
      items[i] = items[child]!;
      i = child;
    }
    times[i] = time;
    items[i] = item;
  }

  clear(): void {
    this.dueTimes = [];
    this.items = [];
  }
}
