/**
 * The strings of names that recur in record after record (queue names: a
 * million jobs in a handful of queues), decoded once. Recovery would
 * otherwise make a fresh string per job record only to throw it away once
 * the engine finds the queue's own string; a recurring one also keeps its
 * hash, so the engine's lookups by it do not hash it again.
 *
 * A two-way cache keyed by a hash of the bytes, each hit confirmed byte
 * by byte: a name never seen before, or a third name in one pair of slots,
 * costs one decode, as without the cache. (Direct-mapped over 256 slots,
 * 11 of the bench's 100 round-robin queue names collided, and each
 * colliding pair missed on every record: 22 % of a million.)
 */

const SLOT_BITS = 10;
const SLOTS = 1 << SLOT_BITS;
/** longer names are decoded each time: they are rare, and comparing them would cost more */
const MAX_BYTES = 128;

interface Slot {
  bytes: Buffer;
  text: string;
}

export class RecurringNames {
  private readonly slots: Array<Slot | undefined> = new Array<Slot | undefined>(SLOTS).fill(undefined);
  /** names decoded (not found in the cache): what the cache is measured by */
  misses = 0;

  /** The UTF-8 string in `buf[from, to)`. */
  text(buf: Buffer, from: number, to: number): string {
    const length = to - from;
    if (length > MAX_BYTES) return buf.toString("utf8", from, to);
    let hash = length;
    for (let i = from; i < to; i++) hash = (Math.imul(hash, 31) + buf[i]!) | 0;
    // Fibonacci hashing: the top bits of the product, so names differing in their last byte spread
    const index = Math.imul(hash, 0x9e3779b1) >>> (32 - SLOT_BITS);
    const slot = this.slots[index];
    if (slot !== undefined && sameBytes(slot.bytes, buf, from, to)) return slot.text;
    const other = this.slots[index ^ 1];
    if (other !== undefined && sameBytes(other.bytes, buf, from, to)) return other.text;
    this.misses++;
    const text = buf.toString("utf8", from, to);
    // a copy: `buf` is a read buffer that is reused
    const kept = { bytes: Buffer.from(buf.subarray(from, to)), text };
    if (slot !== undefined && other === undefined) this.slots[index ^ 1] = kept;
    else this.slots[index] = kept;
    return text;
  }
}

function sameBytes(bytes: Buffer, buf: Buffer, from: number, to: number): boolean {
  if (bytes.length !== to - from) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== buf[from + i]) return false;
  return true;
}
