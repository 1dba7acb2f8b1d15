import net from "node:net";
import { parseReply, type Reply } from "./resp-reply.js";

export type { Reply } from "./resp-reply.js";
export type ReplyCb = (err: Error | null, reply: Reply) => void;

function connectSocket(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: "127.0.0.1", noDelay: true });
    socket.once("connect", () => {
      socket.off("error", reject);
      resolve(socket);
    });
    socket.once("error", reject);
  });
}

/**
 * What the two clients share: commands are written at once (corked until the
 * next tick) and replies, cut out of the input by `parseReply`, are matched to
 * callbacks in order. No Promise per call.
 */
abstract class PipelinedConn<R> {
  private readonly callbacks: Array<(err: Error | null, reply: R) => void> = [];
  private head = 0;
  private rest: Buffer | null = null;
  private corked = false;
  private closed = false;

  protected constructor(
    private readonly socket: net.Socket,
    /** what a failed call's callback gets beside its error */
    private readonly failedReply: R,
  ) {
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => this.failAll(err));
    socket.on("close", () => this.failAll(new Error("connection closed")));
  }

  /** The reply starting at `pos` and where it ends, or undefined when it is not all here yet. */
  protected abstract parseReply(buf: Buffer, pos: number): { value: R; end: number } | undefined;

  protected write(data: string, cb: (err: Error | null, reply: R) => void): void {
    this.callbacks.push(cb);
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(data, "latin1");
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    const buf = this.rest ? Buffer.concat([this.rest, chunk]) : chunk;
    let pos = 0;
    while (pos < buf.length) {
      const r = this.parseReply(buf, pos);
      if (r === undefined) break;
      pos = r.end;
      const cb = this.callbacks[this.head++];
      if (this.head > 4096) {
        this.callbacks.splice(0, this.head);
        this.head = 0;
      }
      cb?.(null, r.value);
    }
    this.rest = pos < buf.length ? buf.subarray(pos) : null;
  }

  private failAll(err: Error): void {
    const pending = this.callbacks.splice(this.head);
    this.callbacks.length = 0;
    this.head = 0;
    if (this.closed) return;
    for (const cb of pending) cb(err, this.failedReply);
  }
}

/** A minimal pipelining RESP client. */
export class RespConn extends PipelinedConn<Reply> {
  static async connect(port: number): Promise<RespConn> {
    return new RespConn(await connectSocket(port), null);
  }

  protected parseReply(buf: Buffer, pos: number): { value: Reply; end: number } | undefined {
    return parseReply(buf, pos);
  }

  send(args: string[], cb: ReplyCb): void {
    let out = `*${args.length}\r\n`;
    for (const a of args) out += `$${Buffer.byteLength(a, "latin1")}\r\n${a}\r\n`;
    this.write(out, cb);
  }

  call(...args: string[]): Promise<Reply> {
    return new Promise((resolve, reject) =>
      this.send(args, (err, reply) =>
        err ? reject(err) : reply instanceof Error ? reject(reply) : resolve(reply),
      ),
    );
  }
}

/** A beanstalkd reply: the first line, and the body for RESERVED. */
export interface BeanReply {
  line: string;
  body?: string;
}
export type BeanCb = (err: Error | null, reply: BeanReply) => void;

/** A minimal pipelining beanstalkd text-protocol client (put, reserve-with-timeout, delete). */
export class BeanConn extends PipelinedConn<BeanReply> {
  static async connect(port: number): Promise<BeanConn> {
    return new BeanConn(await connectSocket(port), { line: "" });
  }

  protected parseReply(buf: Buffer, pos: number): { value: BeanReply; end: number } | undefined {
    const lineEnd = buf.indexOf("\r\n", pos, "latin1");
    if (lineEnd < 0) return undefined;
    const line = buf.toString("latin1", pos, lineEnd);
    const end = lineEnd + 2;
    if (!line.startsWith("RESERVED ")) return { value: { line }, end };
    const bytes = Number(line.slice(line.lastIndexOf(" ") + 1));
    if (buf.length < end + bytes + 2) return undefined;
    return { value: { line, body: buf.toString("latin1", end, end + bytes) }, end: end + bytes + 2 };
  }

  send(command: string, cb: BeanCb): void {
    this.write(command, cb);
  }
}
