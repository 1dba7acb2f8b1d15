import type { JobResult } from "../../../core/contract.js";
import { TimerHeap } from "./timer-heap.js";

/** What one kept result costs beyond its bytes (map entry, heap entry, the object, its id): an estimate. */
export const RESULT_OVERHEAD_BYTES = 200;

/**
 * The results ACKJOB … RESULT left, by job id, each until its expiresAt.
 * Expiry is run by the engine's runDue (a heap of expiry times; a result
 * replaced or removed early leaves a stale entry, skipped when popped).
 */
export class Results {
  private readonly byId = new Map<string, JobResult>();
  private readonly expiries = new TimerHeap<JobResult>();
  /** the results' bytes (their bodies) */
  bodyBytes = 0;

  get size(): number {
    return this.byId.size;
  }

  /** counted against --maxmemory (see memory.ts) */
  get bytes(): number {
    return this.bodyBytes + this.byId.size * RESULT_OVERHEAD_BYTES;
  }

  /** Keeps a result (replacing one kept for the same id); false when it has already expired. */
  keep(result: JobResult, now: number): boolean {
    if (result.expiresAt <= now) return false;
    this.drop(result.id);
    this.byId.set(result.id, result);
    this.bodyBytes += result.body.length;
    this.expiries.push(result.expiresAt, result);
    if (this.expiries.size > 2 * this.byId.size + 1024) {
      this.expiries.retain((entry) => this.byId.get(entry.id) === entry);
    }
    return true;
  }

  get(id: string, now: number): JobResult | null {
    const result = this.byId.get(id);
    return result && result.expiresAt > now ? result : null;
  }

  has(id: string, now: number): boolean {
    return this.get(id, now) !== null;
  }

  /** the earliest expiry, or Infinity */
  nextExpiry(): number {
    return this.expiries.peekTime();
  }

  /** Drops every result whose time has come. */
  expire(now: number): void {
    let entry: JobResult | undefined;
    while ((entry = this.expiries.popDue(now)) !== undefined) {
      if (this.byId.get(entry.id) === entry) this.drop(entry.id);
    }
  }

  private drop(id: string): void {
    const old = this.byId.get(id);
    if (!old) return;
    this.byId.delete(id);
    this.bodyBytes -= old.body.length;
  }

  clear(): void {
    this.byId.clear();
    this.expiries.clear();
    this.bodyBytes = 0;
  }

  values(): IterableIterator<JobResult> {
    return this.byId.values();
  }
}
