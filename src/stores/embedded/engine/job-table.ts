import { DEFAULT_PRIORITY } from "../../../core/scheduling.js";
import type { IdGenerator } from "../../../core/ids.js";
import { IdColumn, IdText } from "./id-column.js";
import { InternedNames } from "./interned-names.js";
import { Job, type DialectFields } from "./job.js";
import { BodyRange } from "./body-arena.js";
import { JobPage, PAGE_BITS, PAGE_MASK, PAGE_SLOTS } from "./job-page.js";

/** what a slot holds */
export const FREE = 0;
/** a live job: found by its id */
export const LIVE = 1;
/** a job that left the live set but is still kept (a dead letter): not found by id */
export const HELD = 2;

/** a released-slot list longer than this is dropped after its recycle, not kept for the next */
const KEPT_PENDING_SLOTS = 4096;

/**
 * Every job's fields, one column per field (struct of arrays, in pages of
 * 4,096 slots: job-page.ts): a job is a slot number. A million queued jobs are then a few dozen typed arrays,
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
  readonly pages: JobPage[] = [];
  private readonly ids = new IdColumn();
  readonly names = new InternedNames();
  /** the rare fields of dialect, failing and scheduled jobs: plain Disque jobs have none */
  readonly extras = new Map<number, DialectFields>();

  /** slot + 1 per bucket, 0: empty */
  private index = new Int32Array(2 * PAGE_SLOTS);
  private mask = 2 * PAGE_SLOTS - 1;
  private liveCount = 0;
  private used = 0;
  private readonly freeSlots: number[] = [];
  /** slots given up since the last recycle: pendingFree[0, pendingCount), the array kept (every ack gives one up) */
  private pendingFree: number[] = [];
  private pendingCount = 0;
  /** handed out by `Job.bodyRange` for the journal encoder, which copies from it at once */
  readonly bodyScratch = new BodyRange();

  /** live jobs (found by id) */
  get size(): number {
    return this.liveCount;
  }

  /** A new job, not yet live (`link` makes it so): a view of its fresh slot. */
  create(
    /** undefined only when `source` is the id's text */
    id: string | undefined,
    seq: number,
    queue: string,
    /** a string is latin1 (one byte per character); a range is copied (the journal's read buffer) */
    body: string | Buffer | BodyRange,
    createdAt: number,
    ttl: number,
    retry: number,
    delay: number,
    repl: number,
    /**
     * the generator that just minted `id` (its random bytes are kept
     * without decoding the id), or the id's text in a journal record (no
     * string is made for it)
     */
    source?: IdGenerator | IdText,
  ): Job {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.used === this.pages.length * PAGE_SLOTS) this.addPage();
      slot = this.used++;
    }
    const page = this.pages[slot >>> PAGE_BITS]!;
    const at = slot & PAGE_MASK;
    page.kind[at] = HELD;
    page.seq[at] = seq;
    page.rank[at] = seq;
    page.createdAt[at] = createdAt;
    page.awakeAt[at] = 0;
    page.requeueAt[at] = 0;
    page.scheduledAt[at] = Infinity;
    page.ttl[at] = ttl;
    page.retry[at] = retry;
    page.delay[at] = delay;
    page.repl[at] = repl;
    page.flags[at] = 0;
    page.nacks[at] = 0;
    page.additionalDeliveries[at] = 0;
    page.priority[at] = DEFAULT_PRIORITY;
    page.round[at] = 0;
    page.queueNumber[at] = this.names.hold(queue);
    page.bodies.put(at, body);
    if (source instanceof IdText) this.ids.parseText(source);
    else if (source) this.ids.parseMinted(id!, source);
    else this.ids.parse(id!, true);
    this.ids.store(slot);
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
    for (let slot = 0; slot < this.used; slot++) if (this.kindOf(slot) === LIVE) yield new Job(this, slot);
  }

  /** The slot's job becomes live: found by its id. */
  link(slot: number): void {
    if (this.kindOf(slot) === LIVE) return;
    // grown first, while this slot is not live yet: the rehash must not place it too
    if ((this.liveCount + 1) * 2 > this.mask + 1) this.rehash((this.mask + 1) * 2);
    this.setKind(slot, LIVE);
    this.liveCount++;
    let bucket = this.ids.hash(slot) & this.mask;
    while (this.index[bucket] !== 0) bucket = (bucket + 1) & this.mask;
    this.index[bucket] = slot + 1;
  }

  /** The slot's job leaves the live set (it may still be held); true when it was live. */
  unlink(slot: number): boolean {
    if (this.kindOf(slot) !== LIVE) return false;
    this.setKind(slot, HELD);
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
    if (this.kindOf(slot) === FREE) return;
    this.unlink(slot);
    this.setKind(slot, FREE);
    this.pendingFree[this.pendingCount++] = slot;
  }

  /** Slots given up before now may be reused, and their bodies go: called when a command starts. */
  recycle(): void {
    if (this.pendingCount === 0) return;
    for (let k = 0; k < this.pendingCount; k++) {
      const slot = this.pendingFree[k]!;
      const page = this.pages[slot >>> PAGE_BITS]!;
      page.bodies.drop(slot & PAGE_MASK);
      this.names.let(page.queueNumber[slot & PAGE_MASK]!);
      if (this.extras.size > 0) this.extras.delete(slot);
      this.ids.clear(slot);
      this.freeSlots.push(slot);
    }
    this.pendingCount = 0;
    // a mass release (DEBUG FLUSHALL, a big purge) does not keep its list's memory
    if (this.pendingFree.length > KEPT_PENDING_SLOTS) this.pendingFree = [];
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

  kindOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.kind[slot & PAGE_MASK]!;
  }

  private setKind(slot: number, kind: number): void {
    this.pages[slot >>> PAGE_BITS]!.kind[slot & PAGE_MASK] = kind;
  }

  seqOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.seq[slot & PAGE_MASK]!;
  }

  scheduledAtOf(slot: number): number {
    return this.pages[slot >>> PAGE_BITS]!.scheduledAt[slot & PAGE_MASK]!;
  }

  /** pages allocated × their slots */
  get capacity(): number {
    return this.pages.length * PAGE_SLOTS;
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
      if (this.kindOf(slot) !== LIVE) continue;
      let bucket = this.ids.hash(slot) & mask;
      while (index[bucket] !== 0) bucket = (bucket + 1) & mask;
      index[bucket] = slot + 1;
    }
    this.index = index;
    this.mask = mask;
  }

  private addPage(): void {
    this.pages.push(new JobPage());
    this.ids.grow(this.capacity);
  }
}
