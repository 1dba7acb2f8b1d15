import { copyBytes } from "../../../util/copy-bytes.js";
import { copyShortAscii } from "../../../util/ascii.js";
import { crc32, crc32Range } from "./checksum.js";
import { FRAME_HEADER, fieldName } from "./format.js";

const SLAB_BYTES = 256 * 1024;
/** strings up to this long are tried as ASCII, copied byte by byte (util/ascii.ts) */
const SHORT_STRING = 64;
/** bodies this large are handed to writev as they are, not copied */
const EXTERNAL_BYTES = 64 * 1024;

/**
 * Encodes frames back to back into shared slabs: no Buffer per record.
 * `take()` hands over everything encoded since the last take, as chunks
 * ready for writev; the slab memory behind them is never written again.
 */
export class RecordEncoder {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private pos = 0;
  /** slab bytes before this were already moved to `chunks` */
  private takenFrom = 0;
  private chunks: Buffer[] = [];
  /** bytes encoded and not taken yet */
  pendingBytes = 0;

  // the open frame
  private frameSlab: Buffer = this.slab;
  private frameAt = 0;
  private crcFrom = 0;
  private crc = 0;
  private bodyDone = 0;

  /**
   * Encodes one whole record at file `offset` (`fields(this, value)`
   * encodes its fields) and returns its size. All or nothing: if `fields`
   * throws (a value the format cannot hold), the encoder is put back
   * exactly as it was before the record, so no byte of it is ever written,
   * and the error goes on. The hot records (a job, a deletion) pass a
   * function made once and their value, so that no closure is made per
   * record; the others may pass a closure and no value.
   */
  record<T>(type: number, offset: number, fields: (enc: RecordEncoder, value: T) => void, value?: T): number {
    const slab = this.slab;
    const pos = this.pos;
    const takenFrom = this.takenFrom;
    const chunks = this.chunks.length;
    try {
      this.begin(type, offset);
      fields(this, value as T);
      return this.end();
    } catch (error) {
      // The slab's bytes before `pos` are untouched: only what this record added goes.
      this.slab = slab;
      this.pos = pos;
      this.takenFrom = takenFrom;
      this.chunks.length = chunks;
      throw error;
    }
  }

  /** Opens a frame that will sit at `offset` in its file. */
  private begin(type: number, offset: number): void {
    this.ensure(FRAME_HEADER + 1);
    this.frameSlab = this.slab;
    this.frameAt = this.pos;
    this.crc = offset >>> 0;
    this.bodyDone = 0;
    this.pos += FRAME_HEADER;
    this.crcFrom = this.pos;
    this.slab[this.pos++] = type;
  }

  /** Closes the frame: writes its length and checksum; returns its size in bytes. */
  private end(): number {
    this.crc = crc32Range(this.slab, this.crcFrom, this.pos, this.crc);
    const bodyLength = this.bodyDone + this.pos - this.crcFrom;
    this.frameSlab.writeUInt32LE(bodyLength, this.frameAt);
    this.frameSlab.writeUInt32LE(this.crc, this.frameAt + 4);
    const size = FRAME_HEADER + bodyLength;
    this.pendingBytes += size;
    return size;
  }

  f64(tag: number, value: number): void {
    this.ensure(9);
    this.slab[this.pos] = tag;
    this.slab.writeDoubleLE(value, this.pos + 1);
    this.pos += 9;
  }

  u32(tag: number, value: number): void {
    // writeUInt32LE would throw on 2^32 or -1 but silently store NaN as 0.
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(
        `the journal cannot record ${fieldName(tag)} ${value}: it must be 0 to 4294967295`,
      );
    }
    this.ensure(5);
    this.slab[this.pos] = tag;
    this.slab.writeUInt32LE(value, this.pos + 1);
    this.pos += 5;
  }

  bytes(tag: number, value: Buffer): void {
    this.range(tag, value, 0, value.length);
  }

  /**
   * `bytes[from, to)` as a length-prefixed value (a body kept in a page's
   * arena, body-arena.ts, or a whole Buffer): copied into the slab, or,
   * when large, handed to writev as it is.
   */
  range(tag: number, bytes: Uint8Array, from: number, to: number): void {
    const length = to - from;
    const external = length >= EXTERNAL_BYTES;
    this.ensure(5 + (external ? 0 : length));
    this.slab[this.pos] = tag;
    this.slab.writeUInt32LE(length, this.pos + 1);
    this.pos += 5;
    if (!external) {
      copyBytes(bytes, from, to, this.slab, this.pos);
      this.pos += length;
      return;
    }
    this.cutSlab();
    // a whole Buffer goes itself (no view made); a part of one as a view of the same bytes
    const whole = Buffer.isBuffer(bytes) && from === 0 && to === bytes.length;
    const value = whole ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset + from, length);
    this.chunks.push(value);
    this.crc = crc32(value, this.crc);
    this.bodyDone += length;
  }

  string(tag: number, value: string, encoding: "utf8" | "latin1"): void {
    const max = encoding === "latin1" ? value.length : value.length * 3;
    this.ensure(5 + max);
    this.slab[this.pos] = tag;
    // an id or a queue name: ASCII, its bytes the same in either encoding
    const end = value.length <= SHORT_STRING ? copyShortAscii(value, this.slab, this.pos + 5, false) : -1;
    const written = end >= 0 ? end - this.pos - 5 : this.slab.write(value, this.pos + 5, encoding);
    this.slab.writeUInt32LE(written, this.pos + 1);
    this.pos += 5 + written;
  }

  /** Everything encoded since the last take (call between frames). */
  take(): Buffer[] {
    if (this.pos > this.takenFrom) this.chunks.push(this.slab.subarray(this.takenFrom, this.pos));
    this.takenFrom = this.pos;
    const out = this.chunks;
    this.chunks = [];
    this.pendingBytes = 0;
    return out;
  }

  /** Moves the open frame's bytes so far out of the slab, keeping its checksum running. */
  private cutSlab(): void {
    this.crc = crc32Range(this.slab, this.crcFrom, this.pos, this.crc);
    this.bodyDone += this.pos - this.crcFrom;
    if (this.pos > this.takenFrom) this.chunks.push(this.slab.subarray(this.takenFrom, this.pos));
    this.takenFrom = this.pos;
    this.crcFrom = this.pos;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.slab.length) return;
    this.cutSlab();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
    this.pos = 0;
    this.takenFrom = 0;
    this.crcFrom = 0;
  }
}
