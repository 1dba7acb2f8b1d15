import { ErrorReply, NO_REPLY, NULL_ARRAY, SimpleString, StatusBytes, type Reply } from "./reply.js";
import { copyShortAscii } from "../../../util/ascii.js";
import { bufferView } from "../../../util/buffer-view.js";

/**
 * RESP2 reply encoding into a shared slab.
 *
 * Every ReplyWriter appends into one module-wide slab (a large Buffer) at
 * increasing offsets, like Node's own Buffer pool: bytes once written are
 * never overwritten, so a chunk handed to `socket.write()` stays valid while
 * the kernel drains it, and no per-reply Buffer is allocated. A writer keeps
 * one open segment of the slab; if another writer wrote in between, or the
 * slab is full, the segment is closed into the chunk list and a new one
 * starts. Buffers larger than BIG_BUFFER are not copied: they become chunks
 * of their own (the writer keeps a reference; the handler must not mutate
 * them afterwards).
 */

const SLAB_SIZE = 64 * 1024;
/** Buffers above this size are passed to the socket as they are. */
export const BIG_BUFFER = 16 * 1024;

let slab = Buffer.allocUnsafe(SLAB_SIZE);
let slabPos = 0;

const CRLF = 0x0a0d; // little-endian "\r\n" for writeUInt16LE
const NEEDS_SANITIZING = /[\r\n]/;
const CR_OR_LF = /[\r\n]/g;
/** status lines up to this length take writeShortAsciiLine's path */
const SHORT_LINE = 64;

function digits(n: number): number {
  let d = 1;
  while (n >= 10) {
    n = Math.floor(n / 10);
    d++;
  }
  return d;
}

/** Writes a non-negative safe integer in decimal at `at`; returns the new offset. */
function writeUint(buf: Buffer, at: number, n: number): number {
  const len = digits(n);
  let i = at + len - 1;
  do {
    const q = Math.floor(n / 10);
    buf[i--] = 48 + (n - q * 10);
    n = q;
  } while (n > 0);
  return at + len;
}

export class ReplyWriter {
  private chunks: Buffer[] = [];
  /** the slab holding the open segment, or null when no segment is open */
  private seg: Buffer | null = null;
  private segStart = 0;
  private segEnd = 0;
  private total = 0;

  /** Bytes written and not yet taken. */
  get length(): number {
    return this.total;
  }

  /** Appends the encoding of one reply. */
  write(reply: Reply): void {
    if (typeof reply === "string") return this.writeString(reply);
    if (typeof reply === "number") return this.writeNumber(reply);
    if (reply === null) return this.writeAscii("$-1\r\n");
    if (Buffer.isBuffer(reply)) return this.writeBuffer(reply);
    if (Array.isArray(reply)) {
      this.writeHeader(42 /* * */, reply.length);
      for (let i = 0; i < reply.length; i++) this.write(reply[i]!);
      return;
    }
    if (reply instanceof SimpleString) return this.writeLine(43 /* + */, reply.value);
    if (reply instanceof ErrorReply) return this.writeLine(45 /* - */, reply.message);
    if (reply === NULL_ARRAY) return this.writeAscii("*-1\r\n");
    if (typeof reply === "bigint") return this.writeAscii(`:${reply}\r\n`);
    if (reply instanceof StatusBytes) return this.writeStatusBytes(reply.bytes);
    if (reply === NO_REPLY) return;
    // Not a Reply (a handler bug): keep the framing valid with an error element.
    this.writeLine(45, `ERR internal error: unsupported reply type ${typeof reply}`);
  }

  /** Returns the encoded chunks, in order, and resets the writer. */
  take(): Buffer[] {
    this.closeSegment();
    const chunks = this.chunks;
    this.chunks = [];
    this.total = 0;
    return chunks;
  }

  // ------------------------------------------------------------- internals

  /**
   * Makes room for `n` contiguous bytes at the end of the open segment and
   * returns the slab offset to write at. The caller must then call `commit`.
   */
  private reserve(n: number): number {
    if (this.seg !== slab || this.segEnd !== slabPos || slab.length - slabPos < n) {
      this.closeSegment();
      if (slab.length - slabPos < n) {
        slab = Buffer.allocUnsafe(Math.max(SLAB_SIZE, n));
        slabPos = 0;
      }
      this.seg = slab;
      this.segStart = slabPos;
      this.segEnd = slabPos;
    }
    return slabPos;
  }

  private commit(end: number): void {
    this.total += end - slabPos;
    slabPos = end;
    this.segEnd = end;
  }

  private closeSegment(): void {
    if (this.seg !== null) {
      if (this.segEnd > this.segStart) this.chunks.push(bufferView(this.seg, this.segStart, this.segEnd));
      this.seg = null;
    }
  }

  private writeAscii(s: string): void {
    const at = this.reserve(s.length);
    this.commit(at + slab.write(s, at, "latin1"));
  }

  /** `<type><n>\r\n` for a non-negative n */
  private writeHeader(type: number, n: number): void {
    const at = this.reserve(24);
    slab[at] = type;
    const end = writeUint(slab, at + 1, n);
    slab.writeUInt16LE(CRLF, end);
    this.commit(end + 2);
  }

  private writeNumber(n: number): void {
    if (Number.isSafeInteger(n) && n >= 0) return this.writeHeader(58 /* : */, n);
    if (Number.isInteger(n)) {
      // negative, or beyond 2^53: let BigInt print every digit exactly
      return this.writeAscii(`:${BigInt(n)}\r\n`);
    }
    return this.writeString(String(n));
  }

  private writeLine(type: number, text: string): void {
    if (text.length <= SHORT_LINE && this.writeShortAsciiLine(type, text)) return;
    if (NEEDS_SANITIZING.test(text)) text = text.replace(CR_OR_LF, " ");
    const len = Buffer.byteLength(text, "utf8");
    const at = this.reserve(len + 3);
    slab[at] = type;
    const end = at + 1 + slab.write(text, at + 1, len, "utf8");
    slab.writeUInt16LE(CRLF, end);
    this.commit(end + 2);
  }

  /**
   * The common status line (an id, OK, PONG): short, ASCII, no CR or LF.
   * false (nothing written) for any other text.
   */
  private writeShortAsciiLine(type: number, text: string): boolean {
    const at = this.reserve(text.length + 3);
    const end = copyShortAscii(text, slab, at + 1, true);
    if (end < 0) return false;
    slab[at] = type;
    slab.writeUInt16LE(CRLF, end);
    this.commit(end + 2);
    return true;
  }

  private writeStatusBytes(b: Buffer): void {
    const at = this.reserve(b.length + 3);
    slab[at] = 43; /* + */
    const end = at + 1 + b.copy(slab, at + 1);
    for (let i = at + 1; i < end; i++) if (slab[i] === 13 || slab[i] === 10) slab[i] = 32;
    slab.writeUInt16LE(CRLF, end);
    this.commit(end + 2);
  }

  private writeString(s: string): void {
    if (s.length <= SHORT_LINE) {
      // an id or a queue name: the bytes are the characters
      const at = this.reserve(s.length + 24);
      slab[at] = 36; /* $ */
      const start = writeUint(slab, at + 1, s.length) + 2;
      const end = copyShortAscii(s, slab, start, false);
      if (end >= 0) {
        slab.writeUInt16LE(CRLF, start - 2);
        slab.writeUInt16LE(CRLF, end);
        this.commit(end + 2);
        return;
      }
    }
    const len = Buffer.byteLength(s, "utf8");
    const at = this.reserve(len + 24);
    slab[at] = 36; /* $ */
    let end = writeUint(slab, at + 1, len);
    slab.writeUInt16LE(CRLF, end);
    end += 2;
    end += slab.write(s, end, len, "utf8");
    slab.writeUInt16LE(CRLF, end);
    this.commit(end + 2);
  }

  private writeBuffer(b: Buffer): void {
    const len = b.length;
    if (len > BIG_BUFFER) {
      this.writeHeader(36, len);
      this.closeSegment();
      this.chunks.push(b);
      this.total += len;
      this.writeAscii("\r\n");
      return;
    }
    const at = this.reserve(len + 24);
    slab[at] = 36;
    let end = writeUint(slab, at + 1, len);
    slab.writeUInt16LE(CRLF, end);
    end += 2;
    end += b.copy(slab, end);
    slab.writeUInt16LE(CRLF, end);
    this.commit(end + 2);
  }
}

/** The bytes of one reply, in one Buffer (for tests and one-off writes). */
export function encode(reply: Reply): Buffer {
  const writer = new ReplyWriter();
  writer.write(reply);
  const chunks = writer.take();
  return chunks.length === 1 ? Buffer.from(chunks[0]!) : Buffer.concat(chunks);
}
