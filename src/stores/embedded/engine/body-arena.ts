import { copiedBytes, copyBytes } from "../../../util/copy-bytes.js";

/**
 * Bodies up to this size are kept in their page's arena (below); larger
 * ones stay Buffers of their own, outside V8's heap.
 */
export const SMALL_BODY_BYTES = 1024;

/** the smallest arena a page allocates: it doubles from here as bodies come */
const MIN_ARENA_BYTES = 8 * 1024;
const NO_BYTES = Buffer.alloc(0);
const NO_ARENA = new Uint8Array(0);

/**
 * A body as bytes in someone else's buffer, `bytes[from, to)`: the journal
 * decoder points one at a record's body in its read buffer (no copy, no
 * string), and a page hands one out for the journal encoder to copy from.
 * Valid only until its owner reuses it; whoever keeps the body copies it.
 */
export class BodyRange {
  bytes: Uint8Array = NO_BYTES;
  from = 0;
  to = 0;
  /** `bytes` is the body's own Buffer (a large body), not a view of a shared one */
  owned = false;

  get length(): number {
    return this.to - this.from;
  }

  point(bytes: Uint8Array, from: number, to: number): void {
    this.bytes = bytes;
    this.from = from;
    this.to = to;
    this.owned = false;
  }

  /** The range is this body, kept whole (a string is latin1: one byte per character). */
  own(body: Buffer | string): void {
    const buffer = typeof body === "string" ? Buffer.from(body, "latin1") : body;
    this.point(buffer, 0, buffer.length);
    this.owned = true;
  }

  /** The body as a Buffer: its own when owned, else a copy (the bytes under a view change). */
  toBuffer(): Buffer {
    if (this.owned) return this.bytes as Buffer;
    return copiedBytes(this.bytes, this.from, this.to);
  }
}

/**
 * One page's bodies (job-page.ts): small ones packed end to end in one
 * byte array, the arena, found by their offset and length columns; large ones
 * in a Map by position. A million 20-byte bodies are then a few hundred
 * buffers rather than a million strings, which the collector copied twice
 * each while recovery made them (docs/performance.md, "Bodies").
 *
 * Arena bytes are written once: a body goes after the last one, and a
 * body given up leaves a gap. When a body does not fit, or the live bodies
 * fill less than a quarter of the arena, they move to a new arena of twice
 * their bytes (a power of two, 8 KiB at least). A page's work so stays
 * bounded by its own bodies (at most 4 MiB), amortized O(1) per byte, and
 * its arena within four times the bytes it holds (an empty page has
 * none). As no byte is ever rewritten, a range handed out stays what it
 * was.
 */
export class PageBodies {
  /** a plain Uint8Array, not a Buffer: its views are cheaper to make (copyBytes) */
  private arena: Uint8Array = NO_ARENA;
  /** bytes of the arena written so far */
  private used = 0;
  /** bytes of bodies given up, still in the arena */
  private gaps = 0;
  private large: Map<number, Buffer> | undefined = undefined;

  constructor(
    /** each position's offset in the arena */
    private readonly offsets: Uint32Array,
    /** each position's body length; 0 for an empty body or none */
    private readonly lengths: Uint32Array,
  ) {}

  /** Keeps `body` at `at` (a position with no body). A string is latin1: one byte per character. */
  put(at: number, body: Buffer | string | BodyRange): void {
    // a string is a replayed record's (decodeRecord's latin1): rare, so it may cost a Buffer
    const bytes = typeof body === "string" ? Buffer.from(body, "latin1") : body;
    const length = bytes.length;
    if (length > SMALL_BODY_BYTES) {
      (this.large ??= new Map()).set(at, bytes instanceof BodyRange ? bytes.toBuffer() : bytes);
      this.lengths[at] = length;
      return;
    }
    if (length === 0) return;
    // moved first: the position has no body yet, so the move does not carry one for it
    if (this.used + length > this.arena.length) this.move(length);
    const offset = this.used;
    this.offsets[at] = offset;
    this.lengths[at] = length;
    this.used += length;
    if (bytes instanceof BodyRange) copyBytes(bytes.bytes, bytes.from, bytes.to, this.arena, offset);
    else copyBytes(bytes, 0, length, this.arena, offset);
  }

  /** The position's body goes (its slot is reused from now on). */
  drop(at: number): void {
    const length = this.lengths[at]!;
    if (length === 0) return;
    this.lengths[at] = 0;
    if (length > SMALL_BODY_BYTES) {
      this.large!.delete(at);
      return;
    }
    this.gaps += length;
    const live = this.used - this.gaps;
    if (live === 0) this.reset();
    else if (live * 4 < this.arena.length && this.arena.length > MIN_ARENA_BYTES) this.move(0);
  }

  length(at: number): number {
    return this.lengths[at]!;
  }

  /** The body: a fresh copy when small, the body's own Buffer when large (as a job always gave it). */
  read(at: number): Buffer {
    const length = this.lengths[at]!;
    if (length > SMALL_BODY_BYTES) return this.large!.get(at)!;
    return copiedBytes(this.arena, this.offsets[at]!, this.offsets[at]! + length);
  }

  /** Points `range` at the body, without copying it (the journal encoder copies it at once). */
  rangeOf(at: number, range: BodyRange): BodyRange {
    const length = this.lengths[at]!;
    if (length > SMALL_BODY_BYTES) range.own(this.large!.get(at)!);
    else if (length === 0) range.point(NO_BYTES, 0, 0);
    else range.point(this.arena, this.offsets[at]!, this.offsets[at]! + length);
    return range;
  }

  /** bytes the arena holds, gaps included: what the page's bodies cost */
  get arenaBytes(): number {
    return this.arena.length;
  }

  /** No small body left: the arena goes. */
  private reset(): void {
    this.arena = NO_ARENA;
    this.used = 0;
    this.gaps = 0;
  }

  /** The live bodies move to a new arena with room for `extra` more bytes and as many again. */
  private move(extra: number): void {
    const live = this.used - this.gaps;
    let size = MIN_ARENA_BYTES;
    while (size < 2 * (live + extra)) size *= 2;
    const old = this.arena;
    // not zeroed: every byte is written before it is read
    const slow = Buffer.allocUnsafeSlow(size);
    const arena = new Uint8Array(slow.buffer, slow.byteOffset, size);
    let used = 0;
    const { offsets, lengths } = this;
    if (live > 0) {
      for (let at = 0; at < lengths.length; at++) {
        const length = lengths[at]!;
        if (length === 0 || length > SMALL_BODY_BYTES) continue;
        const from = offsets[at]!;
        copyBytes(old, from, from + length, arena, used);
        offsets[at] = used;
        used += length;
      }
    }
    this.arena = arena;
    this.used = used;
    this.gaps = 0;
  }
}
