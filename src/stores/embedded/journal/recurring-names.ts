/**
 * The strings of names that recur in record after record (queue names: a
 * million jobs in a handful of queues), decoded once. Recovery would
 * otherwise make a fresh string per job record only to throw it away once
 * the engine finds the queue's own string; a recurring one also keeps its
 * hash, so the engine's lookups by it do not hash it again.
 *
 * A direct-mapped cache keyed by a hash of the bytes, each hit confirmed
 * byte by byte: a collision or a name never seen before costs one decode,
 * as without the cache.
 */

const SLOTS = 256;
/** longer names are decoded each time: they are rare, and comparing them would cost more */
const MAX_BYTES = 128;

interface Slot {
  bytes: Buffer;
  text: string;
}

export class RecurringNames {
  private readonly slots: Array<Slot | undefined> = new Array<Slot | undefined>(SLOTS).fill(undefined);

  /** The UTF-8 string in `buf[from, to)`. */
  text(buf: Buffer, from: number, to: number): string {
    const length = to - from;
    if (length > MAX_BYTES) return buf.toString("utf8", from, to);
    let hash = length;
    for (let i = from; i < to; i++) hash = (Math.imul(hash, 31) + buf[i]!) | 0;
    const index = (hash ^ (hash >>> 8)) & (SLOTS - 1);
    const slot = this.slots[index];
    if (slot !== undefined && sameBytes(slot.bytes, buf, from, to)) return slot.text;
    const text = buf.toString("utf8", from, to);
    // a copy: `buf` is a read buffer that is reused
    this.slots[index] = { bytes: Buffer.from(buf.subarray(from, to)), text };
    return text;
  }
}

function sameBytes(bytes: Buffer, buf: Buffer, from: number, to: number): boolean {
  if (bytes.length !== to - from) return false;
  for (let i = 0; i < bytes.length; i++) if (bytes[i] !== buf[from + i]) return false;
  return true;
}
