import { DEFAULT_PRIORITY } from "../../../core/scheduling.js";
import { IdColumn } from "./id-column.js";
import { InternedNames } from "./interned-names.js";
import { Job, keptBody, type DialectFields } from "./job.js";

const FIRST_CAPACITY = 1024;
/** bodies are kept in pages of this many slots: growing never copies them */
const BODY_PAGE_BITS = 16;
const BODY_PAGE_MASK = (1 << BODY_PAGE_BITS) - 1;

/** what a slot holds */
export const FREE = 0;
/** a live job: found by its id */
export const LIVE = 1;
/** a job that left the live set but is still kept (a dead letter): not found by id */
export const HELD = 2;

/**
 * Every job's fields, one column per field (struct of arrays): a job is a
 * slot number. A million queued jobs are then a few dozen typed arrays,
 * outside V8's heap and never walked by the garbage collector, instead of a
 * million objects, id strings and `Map` entries (docs/performance.md,
 * "Engine data layout"). `Job` (job.ts) is the view the engine's code works
 * with; the indexes (ready lists, timer heap, sequence list) hold slots.
 *
 * Ids are kept compact (id-column.ts) and found through an open-addressing
 * hash table of slots (linear probing, at most half full, backward-shift
 * deletion: no tombstones), hashed by their random bytes.
 *
 * A slot given up in a command is reused only from the next command on
 * (`recycle`), so a view taken in one command never sees another job's
 * fields in the same command.
 */
export class JobTable {
  capacity = 0;
  kind = new Uint8Array(0);
  seq = new Float64Array(0);
  rank = new Float64Array(0);
  createdAt = new Float64Array(0);
  /** 0: not set */
  awakeAt = new Float64Array(0);
  /** 0: not set */
  requeueAt = new Float64Array(0);
  /** Infinity: no timer-heap entry */
  scheduledAt = new Float64Array(0);
  ttl = new Uint32Array(0);
  retry = new Uint32Array(0);
  delay = new Uint32Array(0);
  repl = new Uint16Array(0);
  flags = new Uint8Array(0);
  nacks = new Uint32Array(0);
  additionalDeliveries = new Uint32Array(0);
  priority = new Uint32Array(0);
  round = new Uint32Array(0);
  private readonly ids = new IdColumn();
  /** the queue's name, by its number in `names` */
  queueNumber = new Uint32Array(0);
  readonly names = new InternedNames();
  /** small bodies as latin1 strings, large ones as Buffers (job.ts SMALL_BODY_BYTES), in pages */
  private readonly bodyPages: (string | Buffer | undefined)[][] = [];
  /** the rare fields of dialect, failing and scheduled jobs: plain Disque jobs have none */
  readonly extras = new Map<number, DialectFields>();

  /** slot + 1 per bucket, 0: empty */
  private index = new Int32Array(2 * FIRST_CAPACITY);
  private mask = 2 * FIRST_CAPACITY - 1;
  private liveCount = 0;
  private used = 0;
  private readonly freeSlots: number[] = [];
  private pendingFree: number[] = [];

  constructor() {
    this.grow(FIRST_CAPACITY);
  }

  /** live jobs (found by id) */
  get size(): number {
    return this.liveCount;
  }

  /** A new job, not yet live (`link` makes it so): a view of its fresh slot. */
  create(
    id: string,
    seq: number,
    queue: string,
    body: string | Buffer,
    createdAt: number,
    ttl: number,
    retry: number,
    delay: number,
    repl: number,
  ): Job {
    const slot = this.allocate(id, seq, queue, keptBody(body), createdAt, ttl, retry, delay, repl);
    return new Job(this, slot, id);
  }

  /** The live job with this id, or undefined. */
  get(id: string): Job | undefined {
    const slot = this.find(id);
    return slot < 0 ? undefined : new Job(this, slot, id);
  }

  has(id: string): boolean {
    return this.find(id) >= 0;
  }

  view(slot: number): Job {
    return new Job(this, slot);
  }

  /** Every live job, in slot order; one unlinked during the walk is not visited after. */
  *values(): IterableIterator<Job> {
    for (let slot = 0; slot < this.used; slot++) if (this.kind[slot] === LIVE) yield new Job(this, slot);
  }

  private allocate(
    id: string,
    seq: number,
    queue: string,
    body: string | Buffer,
    createdAt: number,
    ttl: number,
    retry: number,
    delay: number,
    repl: number,
  ): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.used === this.capacity) this.grow(this.capacity * 2);
      slot = this.used++;
    }
    this.kind[slot] = HELD;
    this.seq[slot] = seq;
    this.rank[slot] = seq;
    this.createdAt[slot] = createdAt;
    this.awakeAt[slot] = 0;
    this.requeueAt[slot] = 0;
    this.scheduledAt[slot] = Infinity;
    this.ttl[slot] = ttl;
    this.retry[slot] = retry;
    this.delay[slot] = delay;
    this.repl[slot] = repl;
    this.flags[slot] = 0;
    this.nacks[slot] = 0;
    this.additionalDeliveries[slot] = 0;
    this.priority[slot] = DEFAULT_PRIORITY;
    this.round[slot] = 0;
    this.ids.parse(id);
    this.ids.store(slot);
    this.queueNumber[slot] = this.names.hold(queue);
    this.bodyPages[slot >>> BODY_PAGE_BITS]![slot & BODY_PAGE_MASK] = body;
    return slot;
  }

  /** The slot's job becomes live: found by its id. */
  link(slot: number): void {
    if (this.kind[slot] === LIVE) return;
    this.kind[slot] = LIVE;
    this.liveCount++;
    if (this.liveCount * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    let bucket = this.ids.hash(slot) & this.mask;
    while (this.index[bucket] !== 0) bucket = (bucket + 1) & this.mask;
    this.index[bucket] = slot + 1;
  }

  /** The slot's job leaves the live set (it may still be held); true when it was live. */
  unlink(slot: number): boolean {
    if (this.kind[slot] !== LIVE) return false;
    this.kind[slot] = HELD;
    this.liveCount--;
    const index = this.index;
    const mask = this.mask;
    let hole = this.ids.hash(slot) & mask;
    while (index[hole] !== slot + 1) hole = (hole + 1) & mask;
    // backward shift: every entry after the hole that may move closer to its home does
    for (let next = (hole + 1) & mask; index[next] !== 0; next = (next + 1) & mask) {
      const home = this.ids.hash(index[next]! - 1) & mask;
      if (((next - home) & mask) >= ((next - hole) & mask)) {
        index[hole] = index[next]!;
        hole = next;
      }
    }
    index[hole] = 0;
    return true;
  }

  /**
   * The slot is given up (unlinked first if live). Its fields stay readable
   * until the next `recycle`: the command that let the job go may still
   * read it (a redrive reads the dead letter it takes).
   */
  release(slot: number): void {
    if (this.kind[slot] === FREE) return;
    this.unlink(slot);
    this.kind[slot] = FREE;
    this.pendingFree.push(slot);
  }

  /** Slots given up before now may be reused, and their bodies go: called when a command starts. */
  recycle(): void {
    if (this.pendingFree.length === 0) return;
    for (const slot of this.pendingFree) {
      this.bodyPages[slot >>> BODY_PAGE_BITS]![slot & BODY_PAGE_MASK] = undefined;
      this.names.let(this.queueNumber[slot]!);
      if (this.extras.size > 0) this.extras.delete(slot);
      this.ids.clear(slot);
      this.freeSlots.push(slot);
    }
    this.pendingFree = [];
  }

  /** The live job with this id, or -1. */
  find(id: string): number {
    const hash = this.ids.parse(id);
    const index = this.index;
    const mask = this.mask;
    for (let bucket = hash & mask; ; bucket = (bucket + 1) & mask) {
      const entry = index[bucket]!;
      if (entry === 0) return -1;
      const slot = entry - 1;
      if (this.ids.matches(slot)) return slot;
    }
  }

  queueOf(slot: number): string {
    return this.names.name(this.queueNumber[slot]!);
  }

  bodyOf(slot: number): string | Buffer {
    return this.bodyPages[slot >>> BODY_PAGE_BITS]![slot & BODY_PAGE_MASK]!;
  }

  idOf(slot: number): string {
    return this.ids.read(slot);
  }

  /** Every job goes, live and held (DEBUG FLUSHALL). */
  clear(): void {
    for (let slot = 0; slot < this.used; slot++) this.release(slot);
  }

  private rehash(buckets: number): void {
    const index = new Int32Array(buckets);
    const mask = buckets - 1;
    for (let slot = 0; slot < this.used; slot++) {
      if (this.kind[slot] !== LIVE) continue;
      let bucket = this.ids.hash(slot) & mask;
      while (index[bucket] !== 0) bucket = (bucket + 1) & mask;
      index[bucket] = slot + 1;
    }
    this.index = index;
    this.mask = mask;
  }

  private grow(capacity: number): void {
    this.kind = grown(this.kind, new Uint8Array(capacity));
    this.seq = grown(this.seq, new Float64Array(capacity));
    this.rank = grown(this.rank, new Float64Array(capacity));
    this.createdAt = grown(this.createdAt, new Float64Array(capacity));
    this.awakeAt = grown(this.awakeAt, new Float64Array(capacity));
    this.requeueAt = grown(this.requeueAt, new Float64Array(capacity));
    this.scheduledAt = grown(this.scheduledAt, new Float64Array(capacity));
    this.ttl = grown(this.ttl, new Uint32Array(capacity));
    this.retry = grown(this.retry, new Uint32Array(capacity));
    this.delay = grown(this.delay, new Uint32Array(capacity));
    this.repl = grown(this.repl, new Uint16Array(capacity));
    this.flags = grown(this.flags, new Uint8Array(capacity));
    this.nacks = grown(this.nacks, new Uint32Array(capacity));
    this.additionalDeliveries = grown(this.additionalDeliveries, new Uint32Array(capacity));
    this.priority = grown(this.priority, new Uint32Array(capacity));
    this.round = grown(this.round, new Uint32Array(capacity));
    this.queueNumber = grown(this.queueNumber, new Uint32Array(capacity));
    this.ids.grow(capacity);
    while (this.bodyPages.length << BODY_PAGE_BITS < capacity) this.bodyPages.push([]);
    this.capacity = capacity;
  }
}

function grown<T extends Uint8Array | Uint16Array | Uint32Array | Int32Array | Float64Array>(
  old: T,
  fresh: T,
): T {
  fresh.set(old as never);
  return fresh;
}
