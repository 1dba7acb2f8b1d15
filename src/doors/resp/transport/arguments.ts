import { bufferView } from "../../../util/buffer-view.js";
import { copiedBytes } from "../../../util/copy-bytes.js";

/**
 * A request's arguments, as spans of the connection's input: no object per
 * argument. A Buffer view costs ~80 ns and ~100 bytes of heap in the server
 * (docs/performance.md, round 9), and a job command's handler mostly wants
 * a string, a number or a copy of the bytes, which are read from the span
 * directly; `at(i)` makes the view for code that wants a Buffer.
 *
 * The bytes stay valid after the command: the parser never writes over
 * input it has handed out (transport/parser.ts). Keep a copy (`copy(i)`),
 * not a view, of anything kept beyond the command, so that a small value
 * does not pin a whole input chunk.
 */
export class Arguments {
  private constructor(
    private readonly input: Buffer,
    /** each argument as [start, end) in `input`; a start of -1 - k is `bigs[k]`, a big bulk (or an inline word) */
    private readonly spans: number[],
    private readonly bigs: Buffer[] | undefined,
  ) {}

  /** Arguments that are whole Buffers of their own (inline requests, tests). */
  static of(buffers: readonly Buffer[]): Arguments {
    const spans: number[] = [];
    for (let k = 0; k < buffers.length; k++) spans.push(-1 - k, buffers[k]!.length);
    return new Arguments(EMPTY, spans, buffers.slice());
  }

  /** From the parser: spans into `input`, big bulks marked as in `of`. */
  static spans(input: Buffer, spans: number[], bigs: Buffer[] | undefined): Arguments {
    return new Arguments(input, spans, bigs);
  }

  get length(): number {
    return this.spans.length >> 1;
  }

  /** Argument `i`'s bytes as a Buffer view; undefined past the last one, as an array's `at`. */
  at(i: number): Buffer | undefined {
    if (!(i >= 0 && i < this.spans.length >> 1)) return undefined;
    const start = this.spans[2 * i]!;
    return start < 0 ? this.bigs![-1 - start]! : bufferView(this.input, start, this.spans[2 * i + 1]!);
  }

  /** Arguments from..to (exclusive) as Buffer views, for code that works on a list. */
  views(from = 0, to = this.length): Buffer[] {
    const out: Buffer[] = [];
    for (let i = from; i < to; i++) out.push(this.at(i)!);
    return out;
  }

  byteLength(i: number): number {
    const start = this.start(i);
    return start < 0 ? this.bigs![-1 - start]!.length : this.spans[2 * i + 1]! - start;
  }

  latin1(i: number): string {
    return this.decode(i, "latin1");
  }

  utf8(i: number): string {
    return this.decode(i, "utf8");
  }

  /**
   * Argument `i`'s bytes in memory of their own, to keep beyond the command:
   * a big bulk as it is (its own Buffer already), anything else copied.
   */
  copy(i: number): Buffer {
    const start = this.start(i);
    if (start < 0) {
      const own = this.bigs![-1 - start]!;
      // an inline request's word is a view of its line: copied like a span
      return own.byteOffset === 0 && own.byteLength === own.buffer.byteLength ? own : Buffer.from(own);
    }
    // not Buffer#copy, which makes a view of the source range to copy from
    return copiedBytes(this.input, start, this.spans[2 * i + 1]!);
  }

  /**
   * Where argument `i`'s bytes are, for a reader that works on bytes
   * (numbers, option words): `bytes[from, to)`.
   */
  bytesOf(i: number): Buffer {
    const start = this.start(i);
    return start < 0 ? this.bigs![-1 - start]! : this.input;
  }

  fromOf(i: number): number {
    const start = this.start(i);
    return start < 0 ? 0 : start;
  }

  toOf(i: number): number {
    const start = this.start(i);
    return start < 0 ? this.bigs![-1 - start]!.length : this.spans[2 * i + 1]!;
  }

  private decode(i: number, encoding: "latin1" | "utf8"): string {
    const start = this.start(i);
    if (start < 0) return this.bigs![-1 - start]!.toString(encoding);
    return this.input.toString(encoding, start, this.spans[2 * i + 1]!);
  }

  private start(i: number): number {
    if (!(i >= 0 && i < this.spans.length >> 1)) throw new RangeError(`no argument ${i}`);
    return this.spans[2 * i]!;
  }
}

const EMPTY = Buffer.alloc(0);
