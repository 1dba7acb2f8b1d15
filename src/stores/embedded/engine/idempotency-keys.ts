import { TimerHeap } from "./timer-heap.js";

/**
 * What one key costs beyond its key's bytes, against --maxmemory: its entry,
 * its map slot and name, its expiry in the heap, its job id. Measured: about
 * 258 bytes of V8 heap per key of 7 characters whose job is gone.
 */
export const KEY_OVERHEAD_BYTES = 250;

function keyBytes(entry: IdempotencyKey): number {
  return KEY_OVERHEAD_BYTES + entry.key.length;
}

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
  /** what the live keys are counted for against --maxmemory (a running total) */
  bytes = 0;

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
    const at = name(entry.queue, entry.key);
    const replaced = this.byName.get(at);
    if (replaced !== undefined) this.bytes -= keyBytes(replaced);
    this.byName.set(at, entry);
    this.bytes += keyBytes(entry);
    this.expiries.push(entry.expiresAt, entry);
  }

  expire(now: number): void {
    let entry: IdempotencyKey | undefined;
    while ((entry = this.expiries.popDue(now)) !== undefined) {
      const at = name(entry.queue, entry.key);
      if (this.byName.get(at) === entry) {
        this.byName.delete(at);
        this.bytes -= keyBytes(entry);
      }
    }
  }

  values(): IterableIterator<IdempotencyKey> {
    return this.byName.values();
  }

  clear(): void {
    this.byName.clear();
    this.expiries.clear();
    this.bytes = 0;
  }
}

function name(queue: string, key: string): string {
  return `${queue}\u0000${key}`;
}
