import type { ScheduleInfo } from "../../../core/schedules.js";
import { TimerHeap } from "./timer-heap.js";

/**
 * The embedded store's schedules: by name, in name order (SCHEDULE LIST
 * pages through a sorted array: at most MAX_SCHEDULES, so an insert's O(n)
 * move is small), and by next due time (a heap with lazy cancellation, as
 * the job timers: an entry is current while its schedule is the one kept
 * under its name; each kept schedule object is in the heap once).
 */
export class ScheduleTable {
  private readonly byName = new Map<string, ScheduleInfo>();
  private readonly names: string[] = [];
  private readonly due = new TimerHeap<ScheduleInfo>();

  get size(): number {
    return this.byName.size;
  }

  get(name: string): ScheduleInfo | undefined {
    return this.byName.get(name);
  }

  /** Adds or replaces a schedule (by name). */
  set(info: ScheduleInfo): void {
    const old = this.byName.get(info.name);
    if (old === info) return;
    if (old === undefined) this.names.splice(this.indexAfter(info.name, true), 0, info.name);
    this.byName.set(info.name, info);
    this.due.push(info.nextRunAt, info);
    // stale entries (replaced schedules) are dropped once they outnumber the live ones
    if (this.due.size > 2 * this.byName.size + 64) {
      this.due.retain((entry) => this.byName.get(entry.name) === entry);
    }
  }

  /** A schedule just taken by popDue is due again at `at` (its run failed for a passing reason). */
  postpone(info: ScheduleInfo, at: number): void {
    if (this.byName.get(info.name) === info) this.due.push(at, info);
  }

  delete(name: string): boolean {
    if (!this.byName.delete(name)) return false;
    this.names.splice(this.indexAfter(name, true), 1);
    return true;
  }

  clear(): void {
    this.byName.clear();
    this.names.length = 0;
    this.due.clear();
  }

  /** The earliest next due time, or Infinity. */
  nextDueAt(): number {
    this.dropStale();
    return this.due.peekTime();
  }

  /** The schedule whose due time has come (earliest first), taken off the due heap; undefined when none. */
  popDue(now: number): ScheduleInfo | undefined {
    this.dropStale();
    return this.due.popDue(now);
  }

  /** At most `count` schedules in name order, strictly after `after` ("": from the first). */
  page(after: string, count: number): ScheduleInfo[] {
    const from = after === "" ? 0 : this.indexAfter(after, false);
    return this.names.slice(from, from + count).map((name) => this.byName.get(name)!);
  }

  /** Every schedule: for snapshots. */
  values(): IterableIterator<ScheduleInfo> {
    return this.byName.values();
  }

  /** The first index whose name is > `name` (or >= with `inclusive`). */
  private indexAfter(name: string, inclusive: boolean): number {
    let lo = 0;
    let hi = this.names.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      const at = this.names[mid]!;
      if (at < name || (!inclusive && at === name)) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private dropStale(): void {
    for (;;) {
      const top = this.due.peekItem();
      if (top === undefined) return;
      if (this.byName.get(top.name) === top) return;
      this.due.popDue(Infinity);
    }
  }
}
