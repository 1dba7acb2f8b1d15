/**
 * Streaming RESP2 request parser: multibulk arrays (`*N\r\n$len\r\n…`) and
 * inline lines (telnet), fed with whatever chunks the socket delivers.
 *
 * - Bytes are never re-scanned: the search for a line end resumes where the
 *   previous one stopped, and a complete element is consumed at once.
 * - Arguments are spans of the parser's input buffer (`Arguments`,
 *   transport/arguments.ts): never copies, and no Buffer object per
 *   argument (~100 bytes of heap each), also while a request is incomplete,
 *   so that a client trickling a `*1048576` request of tiny arguments does
 *   not make the server hold ~100 MiB with 6 MiB sent. The bytes of a
 *   request stay in the input buffer until it is complete. Bytes once
 *   handed out are never overwritten: when the buffer must grow, a new one
 *   is allocated. Code that keeps an argument beyond the command (e.g. a
 *   job body) stores a copy (`args.copy(i)`), so that a small argument does
 *   not pin a whole input chunk in memory.
 * - A bulk of BIG_BULK bytes or more is read into a Buffer of its own
 *   (allocated when announced, growing by doubling up to the announced size,
 *   so that announcing 512 MiB costs nothing until the bytes arrive).
 * - Error texts are Redis's. After an error the parser is dead: `next()`
 *   returns the same ProtocolError again and `feed()` ignores input.
 */

import { Arguments } from "./arguments.js";
import { parseLongLong, splitArgs, splitBlanks } from "./words.js";

export interface ParserLimits {
  /** longest inline request line, and longest `*N` / `$N` header line */
  maxInlineBytes: number;
  /** largest N in `*N` */
  maxMultibulkLength: number;
  /** largest bulk argument */
  maxBulkBytes: number;
  /**
   * Commands whose inline form takes the rest of the line verbatim
   * (takeanumber ADD): when Redis quoting rejects such a line, it is split
   * on blanks instead of failing, and the handler reads `inlineLine`.
   */
  verbatimInline?: (name: Buffer) => boolean;
}

export const DEFAULT_PARSER_LIMITS: Readonly<ParserLimits> = Object.freeze({
  maxInlineBytes: 64 * 1024,
  maxMultibulkLength: 1024 * 1024,
  maxBulkBytes: 512 * 1024 * 1024,
});

export interface Request {
  args: Arguments;
  /** inline requests only: the raw line without its trailing CR/LF */
  inlineLine?: Buffer;
}

export class ProtocolError {
  constructor(readonly message: string) {}
}

/** Bulks of this size or more get a Buffer of their own (Redis's PROTO_MBULK_BIG_ARG). */
export const BIG_BULK = 32 * 1024;
const BIG_INITIAL_CAPACITY = 4 * 1024 * 1024;
const MIN_BUFFER = 16 * 1024;
/** span slots kept between requests (a wider request's are dropped when it completes) */
const SPANS_CAPACITY = 64;
/** a span's offset meaning "a big bulk": its length slot is the index in `bigs` */
const BIG_SPAN = 0xffffffff;

const CR = 13;
const LF = 10;
const STAR = 42;
const DOLLAR = 36;

interface BigBulk {
  buf: Buffer;
  len: number;
  filled: number;
}

export class RequestParser {
  /** input; unread bytes are buf[pos, end) */
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  private end = 0;
  /** bytes after pos already searched for a line end */
  private scanned = 0;
  /** bytes still to discard (the CRLF after a big bulk) */
  private skip = 0;
  /**
   * Inside a multibulk request: its arguments so far as (offset from
   * reqStart, length) pairs, or (BIG_SPAN, index in `bigs`) for a big bulk,
   * in spans[0, spanEnd); and how many are missing.
   */
  private spans = new Uint32Array(SPANS_CAPACITY);
  private spanEnd = 0;
  private bigs: Buffer[] = [];
  private bigBytes = 0;
  /** where the current multibulk request's arguments start in buf */
  private reqStart = 0;
  private inMultibulk = false;
  private remaining = 0;
  /** length of the announced small bulk, -1 while expecting a `$` header */
  private bulkLen = -1;
  private big: BigBulk | null = null;
  private error: ProtocolError | null = null;

  /** `limits` is read on every use, so changing its fields applies at once. */
  constructor(private readonly limits: ParserLimits = { ...DEFAULT_PARSER_LIMITS }) {}

  /** True once a protocol error was found. */
  get dead(): boolean {
    return this.error !== null;
  }

  /** Bytes received and not yet returned as requests (including a big bulk being read). */
  bufferedBytes(): number {
    return this.end - this.pos + (this.big ? this.big.filled : 0);
  }

  /** What this parser holds for unfinished requests (arguments so far included): for the memory bound. */
  heldBytes(): number {
    const from = this.inMultibulk ? this.reqStart : this.pos;
    return this.end - from + this.bigBytes + this.spans.byteLength + (this.big ? this.big.filled : 0);
  }

  /** Adds input. The parser takes ownership of `chunk`: the caller must not modify it. */
  feed(chunk: Buffer): void {
    if (this.error !== null || chunk.length === 0) return;
    const big = this.big;
    if (big !== null) {
      const n = Math.min(chunk.length, big.len - big.filled);
      this.fillBig(big, chunk, 0, n);
      if (n === chunk.length) return;
      chunk = chunk.subarray(n);
    }
    // bytes from `keep` on are still needed: unread input, and a pending request's arguments
    const keep = this.inMultibulk ? this.reqStart : this.pos;
    const unread = this.end - keep;
    if (unread === 0) {
      // Common case: nothing pending, adopt the chunk without copying.
      this.buf = chunk;
      this.pos = this.reqStart = 0;
      this.end = chunk.length;
      return;
    }
    if (this.end + chunk.length <= this.buf.length) {
      chunk.copy(this.buf, this.end);
      this.end += chunk.length;
      return;
    }
    const size = unread + chunk.length;
    const next = Buffer.allocUnsafe(Math.max(MIN_BUFFER, size * 2));
    this.buf.copy(next, 0, keep, this.end);
    chunk.copy(next, unread);
    this.buf = next;
    this.pos -= keep;
    this.reqStart = this.inMultibulk ? this.reqStart - keep : 0;
    this.end = size;
  }

  /** The next complete request, a ProtocolError, or null when more input is needed. */
  next(): Request | ProtocolError | null {
    if (this.error !== null) return this.error;
    for (;;) {
      if (this.big !== null) return null;
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.end - this.pos);
        this.pos += n;
        this.skip -= n;
        if (this.skip > 0) return null;
      }
      if (this.inMultibulk) {
        if (this.remaining === 0) {
          this.inMultibulk = false;
          return { args: this.takeArgs() };
        }
        if (this.bulkLen >= 0) {
          if (this.end - this.pos < this.bulkLen + 2) return null;
          this.addSpan(this.pos - this.reqStart, this.bulkLen);
          this.pos += this.bulkLen + 2;
          this.bulkLen = -1;
          this.remaining--;
          continue;
        }
        if (this.pos >= this.end) return null;
        const first = this.buf[this.pos]!;
        if (first !== DOLLAR) {
          return this.fail(`Protocol error: expected '$', got '${String.fromCharCode(first)}'`);
        }
        const cr = this.findLineEnd(CR, 1);
        if (cr < 0) {
          if (this.end - this.pos > this.limits.maxInlineBytes) {
            return this.fail("Protocol error: too big bulk count string");
          }
          return null;
        }
        if (cr - this.pos > this.limits.maxInlineBytes)
          return this.fail("Protocol error: too big bulk count string");
        const len = parseLongLong(this.buf, this.pos + 1, cr);
        this.consumeLine(cr + 2);
        if (Number.isNaN(len) || len < 0 || len > this.limits.maxBulkBytes) {
          return this.fail("Protocol error: invalid bulk length");
        }
        if (len >= BIG_BULK) this.startBig(len);
        else this.bulkLen = len;
        continue;
      }

      // the start of a request
      if (this.pos >= this.end) return null;
      if (this.buf[this.pos] === STAR) {
        const cr = this.findLineEnd(CR, 1);
        if (cr < 0) {
          if (this.end - this.pos > this.limits.maxInlineBytes) {
            return this.fail("Protocol error: too big mbulk count string");
          }
          return null;
        }
        if (cr - this.pos > this.limits.maxInlineBytes)
          return this.fail("Protocol error: too big mbulk count string");
        const n = parseLongLong(this.buf, this.pos + 1, cr);
        this.consumeLine(cr + 2);
        if (Number.isNaN(n) || n > this.limits.maxMultibulkLength) {
          return this.fail("Protocol error: invalid multibulk length");
        }
        if (n <= 0) continue; // `*0` and `*-1` are skipped, as Redis does
        this.inMultibulk = true;
        this.reqStart = this.pos;
        this.remaining = n;
        continue;
      }

      // inline
      const lf = this.findLineEnd(LF, 0);
      if (lf < 0) {
        // without its LF the line is at least (unread - 1) bytes (a CR may end it)
        if (this.end - this.pos > this.limits.maxInlineBytes + 1) {
          return this.fail("Protocol error: too big inline request");
        }
        return null;
      }
      const lineEnd = lf > this.pos && this.buf[lf - 1] === CR ? lf - 1 : lf;
      const line = this.buf.subarray(this.pos, lineEnd);
      this.consumeLine(lf + 1);
      if (line.length > this.limits.maxInlineBytes)
        return this.fail("Protocol error: too big inline request");
      let args = splitArgs(line);
      if (args === null) {
        const words = splitBlanks(line);
        if (words.length === 0 || this.limits.verbatimInline?.(words[0]!) !== true) {
          return this.fail("Protocol error: unbalanced quotes in request");
        }
        args = words;
      }
      if (args.length === 0) continue; // empty line
      return { args: Arguments.of(args), inlineLine: line };
    }
  }

  // ------------------------------------------------------------- internals

  private fail(message: string): ProtocolError {
    this.error = new ProtocolError(`ERR ${message}`);
    this.spans = new Uint32Array(0);
    this.spanEnd = 0;
    this.bigs = [];
    this.bigBytes = 0;
    this.inMultibulk = false;
    this.big = null;
    this.buf = Buffer.alloc(0);
    this.pos = this.end = this.reqStart = 0;
    return this.error;
  }

  /**
   * Index of the first `byte` in buf[pos + minOffset, end), such that for CR
   * the byte after it has arrived too (Redis reads `\r` then skips two bytes);
   * -1 when not there yet. Resumes the search where the last one stopped.
   */
  private findLineEnd(byte: number, minOffset: number): number {
    const from = this.pos + Math.max(this.scanned, minOffset);
    const at = indexOfByte(this.buf, byte, from, this.end);
    if (at < 0) {
      this.scanned = this.end - this.pos;
      return -1;
    }
    if (byte === CR && at + 1 >= this.end) {
      this.scanned = at - this.pos; // find this CR again once its LF is here
      return -1;
    }
    return at;
  }

  /** The complete request's arguments, as spans of buf (or big bulks' own Buffers): no view made. */
  private takeArgs(): Arguments {
    const spans = this.spans;
    const base = this.reqStart;
    // sized at once: pushing would grow it past its length (~80 bytes more a request)
    const out = new Array<number>(this.spanEnd);
    for (let i = 0; i < this.spanEnd; i += 2) {
      const at = spans[i]!;
      const len = spans[i + 1]!;
      out[i] = at === BIG_SPAN ? -1 - len : base + at;
      out[i + 1] = at === BIG_SPAN ? this.bigs[len]!.length : base + at + len;
    }
    const args = Arguments.spans(this.buf, out, this.bigs.length > 0 ? this.bigs : undefined);
    this.spanEnd = 0;
    if (spans.length > SPANS_CAPACITY) this.spans = new Uint32Array(SPANS_CAPACITY);
    if (this.bigs.length > 0) {
      this.bigs = [];
      this.bigBytes = 0;
    }
    return args;
  }

  private addSpan(at: number, len: number): void {
    if (this.spanEnd === this.spans.length) {
      const grown = new Uint32Array(this.spans.length * 2);
      grown.set(this.spans);
      this.spans = grown;
    }
    this.spans[this.spanEnd++] = at;
    this.spans[this.spanEnd++] = len;
  }

  private consumeLine(next: number): void {
    this.pos = next;
    this.scanned = 0;
  }

  private startBig(len: number): void {
    const avail = Math.min(this.end - this.pos, len);
    const capacity = Math.min(len, Math.max(BIG_INITIAL_CAPACITY, avail));
    const big: BigBulk = { buf: Buffer.allocUnsafe(capacity), len, filled: 0 };
    this.big = big;
    this.fillBig(big, this.buf, this.pos, avail);
    this.pos += avail;
  }

  private fillBig(big: BigBulk, src: Buffer, from: number, n: number): void {
    const need = big.filled + n;
    if (need > big.buf.length) {
      const grown = Buffer.allocUnsafe(Math.min(big.len, Math.max(need, big.buf.length * 2)));
      big.buf.copy(grown, 0, 0, big.filled);
      big.buf = grown;
    }
    src.copy(big.buf, big.filled, from, from + n);
    big.filled = need;
    if (big.filled === big.len) {
      this.addSpan(BIG_SPAN, this.bigs.length);
      this.bigs.push(big.buf);
      this.bigBytes += big.len;
      this.big = null;
      this.remaining--;
      this.skip = 2;
    }
  }
}

/** Headers (`*4`, `$20`) are a few bytes: a loop beats the view that Buffer#indexOf over [from, end) needs. */
const SHORT_SCAN = 32;

/** Index of `byte` in buf[from, end), or -1. */
function indexOfByte(buf: Buffer, byte: number, from: number, end: number): number {
  const shortEnd = Math.min(end, from + SHORT_SCAN);
  for (let i = from; i < shortEnd; i++) if (buf[i] === byte) return i;
  if (shortEnd === end) return -1;
  const rel = buf.subarray(shortEnd, end).indexOf(byte);
  return rel < 0 ? -1 : shortEnd + rel;
}
