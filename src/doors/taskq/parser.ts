/**
 * The TaskQ text protocol's request parser: one request per line,
 * `RID command args…`; `RID enq QUEUE LEN BODY` carries a length-prefixed
 * body (LEN bytes right after the space that follows LEN, newlines allowed;
 * LEN 0: the rest of the line). Incremental: feed bytes, pull requests.
 */

export interface TaskqRequest {
  rid: string;
  /** lower-case command word; "" when the line had only a request id */
  command: string;
  args: string[];
  /** enq only */
  body?: Buffer;
  /** set when the request is bad: the reply is `RID error <error>` */
  error?: string;
}

export interface TaskqLimits {
  /** longest request line (without a length-prefixed body), bytes */
  maxLineBytes: number;
  /** largest body, bytes: a bigger LEN is skipped and answered with an error */
  maxBodyBytes: number;
}

const LF = 10;
const CR = 13;
const SP = 32;

/** A fatal framing error: the connection ends after this reply. */
export class TaskqFatal {
  constructor(
    readonly rid: string,
    readonly message: string,
  ) {}
}

export class TaskqParser {
  private buf: Buffer = Buffer.alloc(0);
  /** body bytes still to read for `pending` */
  private need = 0;
  private pending: TaskqRequest | undefined;
  /** oversize body bytes still to discard */
  private skip = 0;

  constructor(private readonly limits: TaskqLimits) {}

  /** Bytes received and not yet returned as requests (for the memory bound). */
  bufferedBytes(): number {
    return this.buf.length;
  }

  feed(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
  }

  /** The next complete request, a fatal error, or null when more bytes are needed. */
  next(): TaskqRequest | TaskqFatal | null {
    for (;;) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, this.buf.length);
        this.skip -= n;
        this.buf = this.buf.subarray(n);
        if (this.skip > 0) return null;
        continue;
      }
      if (this.pending) {
        if (this.buf.length < this.need) return null;
        const request = this.pending;
        request.body = Buffer.from(this.buf.subarray(0, this.need));
        this.buf = this.buf.subarray(this.need);
        this.pending = undefined;
        return request;
      }
      if (this.buf.length === 0) return null;
      const item = this.line();
      if (item === "empty") continue;
      return item;
    }
  }

  private line(): TaskqRequest | TaskqFatal | "empty" | null {
    const buf = this.buf;
    const lf = buf.indexOf(LF);
    const lineEnd = lf < 0 ? buf.length : lf > 0 && buf[lf - 1] === CR ? lf - 1 : lf;
    // The first four words, with where each ends.
    const words: string[] = [];
    const ends: number[] = [];
    let i = 0;
    while (words.length < 4) {
      while (i < lineEnd && buf[i] === SP) i++;
      if (i >= lineEnd) break;
      const start = i;
      while (i < lineEnd && buf[i] !== SP) i++;
      words.push(buf.toString("utf8", start, i));
      ends.push(i);
    }
    const isEnq = words.length >= 2 && words[1]!.toLowerCase() === "enq";
    if (isEnq && words.length === 4) {
      const text = words[3]!;
      const len = /^[0-9]{1,15}$/.test(text) ? Number(text) : NaN;
      const after = ends[3]!;
      if (len > 0) {
        // The body starts after the one space that follows LEN (or after the line's end).
        let bodyStart: number;
        if (after < lineEnd) bodyStart = after + 1;
        else if (lf >= 0) bodyStart = lf + 1;
        else return this.waitOrFail(words[0]!);
        const request: TaskqRequest = { rid: words[0]!, command: "enq", args: [words[2]!] };
        this.buf = buf.subarray(bodyStart);
        if (len > this.limits.maxBodyBytes) {
          this.skip = len;
          request.error = `body too big: ${len} bytes, the limit is ${this.limits.maxBodyBytes}`;
          return request;
        }
        this.pending = request;
        this.need = len;
        return this.next();
      }
    }
    if (lf < 0) return this.waitOrFail(words[0] ?? "-");
    const line = buf.subarray(0, lineEnd);
    this.buf = buf.subarray(lf + 1);
    if (line.length > this.limits.maxLineBytes) {
      return { rid: words[0] ?? "-", command: "", args: [], error: "request line too long" };
    }
    if (words.length === 0) return "empty";
    if (isEnq && words.length === 4) {
      // LEN 0 (the rest of the line is the body) or a bad LEN.
      const text = words[3]!;
      if (!/^[0-9]{1,15}$/.test(text)) {
        return { rid: words[0]!, command: "enq", args: [], error: `invalid body length '${text}'` };
      }
      const after = ends[3]!;
      const body = Buffer.from(line.subarray(Math.min(after + 1, line.length)));
      return { rid: words[0]!, command: "enq", args: [words[2]!], body };
    }
    if (words.length >= 2 && words[1]!.toLowerCase() === "auth") {
      // The password is the rest of the line: it may hold spaces.
      const password = line.toString("utf8", Math.min(ends[1]! + 1, line.length));
      return { rid: words[0]!, command: "auth", args: password === "" ? [] : [password] };
    }
    const all = line
      .toString("utf8")
      .split(" ")
      .filter((w) => w.length > 0);
    return { rid: all[0]!, command: (all[1] ?? "").toLowerCase(), args: all.slice(2) };
  }

  private waitOrFail(rid: string): TaskqFatal | null {
    if (this.buf.length > this.limits.maxLineBytes) return new TaskqFatal(rid, "request line too long");
    return null;
  }
}
