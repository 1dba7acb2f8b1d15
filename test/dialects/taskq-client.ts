import { connect, type Socket } from "node:net";

/** A raw TaskQ text-protocol client that keeps the exact bytes it receives. */
export class TaskqClient {
  private buffer = Buffer.alloc(0);
  private waiting: Array<() => void> = [];
  private ended = false;

  private constructor(readonly socket: Socket) {
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

  static connect(port: number): Promise<TaskqClient> {
    return new Promise((resolve, reject) => {
      const socket = connect({ port, host: "127.0.0.1" }, () => resolve(new TaskqClient(socket)));
      socket.once("error", reject);
    });
  }

  private wake(): void {
    const waiting = this.waiting;
    this.waiting = [];
    for (const fn of waiting) fn();
  }

  write(bytes: string | Buffer): void {
    this.socket.write(bytes);
  }

  /** Waits for `bytes` more bytes and returns them as latin1 text. */
  async read(bytes: number, timeoutMs = 5000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.buffer.length < bytes) {
      if (this.ended) throw new Error(`connection closed; got ${JSON.stringify(this.buffer.toString())}`);
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`no ${bytes} bytes within ${timeoutMs} ms: ${JSON.stringify(this.pending())}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const out = this.buffer.subarray(0, bytes).toString("latin1");
    this.buffer = this.buffer.subarray(bytes);
    return out;
  }

  /** Reads exactly as many bytes as `expected` has, to compare them. */
  expect(expected: string): Promise<string> {
    return this.read(Buffer.byteLength(expected, "latin1"));
  }

  async closed(timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.ended) {
      if (Date.now() > deadline) throw new Error("connection still open");
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 50);
        this.waiting.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  pending(): string {
    return this.buffer.toString("latin1");
  }

  close(): void {
    this.socket.destroy();
  }
}
