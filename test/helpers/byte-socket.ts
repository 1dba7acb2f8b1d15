import { connect, type Socket } from "node:net";

/** Opens a TCP connection to 127.0.0.1 (or `host`). */
export function openSocket(port: number, host = "127.0.0.1"): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host }, () => resolve(socket));
    socket.once("error", reject);
  });
}

/**
 * A connection that keeps every byte it receives, for tests that compare
 * replies byte for byte: subclasses say where a reply ends (RESP, TaskQ).
 */
export class ByteSocket {
  private buffer = Buffer.alloc(0);
  private waiting: Array<() => void> = [];
  private ended = false;

  protected constructor(readonly socket: Socket) {
    socket.on("data", (chunk: Buffer) => {
      this.buffer = Buffer.concat([this.buffer, chunk]);
      this.wake();
    });
    socket.on("close", () => {
      this.ended = true;
      this.wake();
    });
    socket.on("error", () => {});
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const fn of waiting) fn();
  }

  /** Resolves on the next byte or close, or after `ms`. */
  private next(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.waiting.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /**
   * Takes the first `end(buffer)` bytes as latin1 text, once `end` says a
   * whole reply is there (a positive length); `what` names it in the time-out.
   */
  protected async take(end: (buffer: Buffer) => number, timeoutMs: number, what: string): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const length = end(this.buffer);
      if (length > 0) {
        const out = this.buffer.subarray(0, length).toString("latin1");
        this.buffer = this.buffer.subarray(length);
        return out;
      }
      if (this.ended) throw new Error(`connection closed; pending bytes: ${JSON.stringify(this.pending())}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no ${what} within ${timeoutMs} ms: ${JSON.stringify(this.pending())}`);
      await this.next(left);
    }
  }

  /** Sends raw bytes. */
  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Resolves once the server has closed the connection. */
  async closed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("connection still open");
      await this.next(50);
    }
  }

  get isClosed(): boolean {
    return this.ended;
  }

  /** Bytes received but not yet taken. */
  pending(): string {
    return this.buffer.toString("latin1");
  }

  close(): void {
    this.socket.destroy();
  }
}
