import { TimerHeap } from "./timer-heap.js";

/** One idempotency key: the job its first add made, until it expires (core/scheduling.ts). */
export interface IdempotencyKey {
  queue: string;
  key: string;
  id: string;
  seq: number;
  /** absolute ms on the engine's clock */
  expiresAt: number;
}

/**
 * The live idempotency keys, per queue. A key outlives its job (an add after
 * the ack still answers the first job, "acked") and is forgotten KEYTTL after
 * its add: a lookup checks the time itself, and `expire` drops the entries
 * that are due from a heap of expiry times, so memory follows the live keys.
 */
export class IdempotencyKeys {
  private readonly byName = new Map<string, IdempotencyKey>();
  private readonly expiries = new TimerHeap<IdempotencyKey>();

  get size(): number {
    return this.byName.size;
  }

  /** the live key, or undefined */
  get(queue: string, key: string, now: number): IdempotencyKey | undefined {
    const entry = this.byName.get(name(queue, key));
    return entry !== undefined && entry.expiresAt > now ? entry : undefined;
  }

  /** Records a key (a later one of the same name replaces it: replay is "last record wins"). */
  set(entry: IdempotencyKey, now: number): void {
    if (entry.expiresAt <= now) return;
    this.byName.set(name(entry.queue, entry.key), entry);
    this.expiries.push(entry.expiresAt, entry);
  }

  expire(now: number): void {
    let entry: IdempotencyKey | undefined;
    while ((entry = this.expiries.popDue(now)) !== undefined) {
      const at = name(entry.queue, entry.key);
      if (this.byName.get(at) === entry) this.byName.delete(at);
    }
  }

  values(): IterableIterator<IdempotencyKey> {
    return this.byName.values();
  }

  clear(): void {
    this.byName.clear();
    this.expiries.clear();
  }
}

function name(queue: string, key: string): string {
  return `${queue}\u0000${key}`;
}
