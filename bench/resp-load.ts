import { connect, type Socket } from "node:net";
import { parseReply, type Reply } from "./resp-reply.js";

/**
 * A load generator for benchmarks: raw sockets and the lean reply parser of
 * resp-reply.ts, so that the client costs as little CPU as possible next to
 * the server it measures.
 */

export type Value = Reply;

/** Cuts complete replies out of the bytes received so far. */
class ReplyStream {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;

  push(chunk: Buffer): void {
    this.buf = this.pos < this.buf.length ? Buffer.concat([this.buf.subarray(this.pos), chunk]) : chunk;
    this.pos = 0;
  }

  /** The next complete reply, or undefined. */
  next(): Value | undefined {
    const parsed = parseReply(this.buf, this.pos);
    if (parsed === undefined) return undefined;
    this.pos = parsed.end;
    return parsed.value;
  }
}

export function encodeCommand(args: string[]): Buffer {
  let out = `*${args.length}\r\n`;
  for (const arg of args) out += `$${Buffer.byteLength(arg)}\r\n${arg}\r\n`;
  return Buffer.from(out);
}

/** One connection that sends a command and waits for its reply (no pipelining unless asked). */
export class LoadConnection {
  private readonly parser = new ReplyStream();
  private waiting: Array<(value: Value) => void> = [];
  private corked = false;

  private constructor(private readonly socket: Socket) {
    socket.setNoDelay(true);
    socket.on("data", (chunk: Buffer) => {
      this.parser.push(chunk);
      let value: Value | undefined;
      while ((value = this.parser.next()) !== undefined) this.waiting.shift()!(value);
    });
    socket.on("error", () => {});
  }

  static open(port: number): Promise<LoadConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" }, () => resolve(new LoadConnection(socket)));
      socket.once("error", reject);
    });
  }

  call(...args: string[]): Promise<Value> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      // several calls made in one tick (loops with many requests in flight) leave in one write
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        process.nextTick(() => {
          this.corked = false;
          this.socket.uncork();
        });
      }
      this.socket.write(encodeCommand(args));
    });
  }

  close(): void {
    this.socket.destroy();
  }
}

/** Told when a closed loop's timed window begins, and how many steps completed in it when it ends. */
export interface LoopWindow {
  begin(): void;
  end(done: number): void;
}

/**
 * Runs `step` in a closed loop on every connection for `ms` after a warm-up,
 * and returns completed steps per second.
 */
export async function closedLoop(
  connections: LoadConnection[],
  step: (conn: LoadConnection, i: number) => Promise<void>,
  ms: number,
  warmupMs = 1000,
  window?: LoopWindow,
): Promise<number> {
  let counting = false;
  let done = 0;
  let stop = false;
  const loops = connections.map(async (conn, i) => {
    while (!stop) {
      await step(conn, i);
      if (counting) done++;
    }
  });
  await new Promise((resolve) => setTimeout(resolve, warmupMs));
  counting = true;
  window?.begin();
  const started = performance.now();
  await new Promise((resolve) => setTimeout(resolve, ms));
  const rate = (done / (performance.now() - started)) * 1000;
  window?.end(done);
  stop = true;
  await Promise.all(loops);
  return rate;
}

/**
 * Runs `n` steps, `depth` loops on each connection (so up to `depth` requests
 * in flight on it), and returns steps per second. `k` is the step's number.
 */
export async function countedLoop(
  connections: LoadConnection[],
  depth: number,
  n: number,
  step: (conn: LoadConnection, k: number) => Promise<void>,
): Promise<number> {
  let issued = 0;
  const started = performance.now();
  const loop = async (conn: LoadConnection): Promise<void> => {
    while (issued < n) await step(conn, issued++);
  };
  await Promise.all(connections.flatMap((conn) => Array.from({ length: depth }, () => loop(conn))));
  return (n / (performance.now() - started)) * 1000;
}
