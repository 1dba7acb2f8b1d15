import type { Socket } from "node:net";
import { InOrderReplies } from "../../src/doors/net/in-order.js";
import { RequestParser } from "../../src/doors/resp/transport/parser.js";

/**
 * One client connection of the prototype's listener: docket's request
 * parser, and its replies in request order (docket's InOrderReplies), each
 * reply a view into the reply message of the shard that answered it.
 */
export class ShardClient {
  readonly parser = new RequestParser();
  readonly replies = new InOrderReplies<Buffer>((bytes) => this.queue(bytes));
  /** a protocol error was answered: no more requests */
  closing = false;
  private out: Buffer[] = [];

  constructor(readonly socket: Socket) {
    socket.setNoDelay(true);
  }

  /** Hands the replies due so far to the socket, in one write (or one corked run of writes). */
  flush(): void {
    const out = this.out;
    if (out.length === 0) return;
    this.out = [];
    if (this.socket.destroyed) return;
    if (out.length === 1) this.socket.write(out[0]!);
    else {
      this.socket.cork();
      for (const chunk of out) this.socket.write(chunk);
      this.socket.uncork();
    }
    if (this.closing) this.socket.end();
  }

  /** A reply due: joined to the previous one when it follows it in the same message (pipelined requests). */
  private queue(bytes: Buffer): void {
    const out = this.out;
    const last = out[out.length - 1];
    if (
      last !== undefined &&
      last.buffer === bytes.buffer &&
      last.byteOffset + last.length === bytes.byteOffset
    ) {
      out[out.length - 1] = Buffer.from(last.buffer, last.byteOffset, last.length + bytes.length);
    } else out.push(bytes);
  }
}
