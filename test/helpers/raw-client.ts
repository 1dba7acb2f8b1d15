import { parseReply } from "../../bench/resp-reply.js";
import { ByteSocket, openSocket } from "./byte-socket.js";

/**
 * A RESP client that keeps the exact bytes of every reply, so tests can
 * compare replies byte for byte; bench/resp-reply.ts tells where each ends.
 */
export class RawClient extends ByteSocket {
  static async connect(port: number, host = "127.0.0.1"): Promise<RawClient> {
    return new RawClient(await openSocket(port, host));
  }

  /** Sends a command as a multibulk array. */
  send(...args: Array<string | Buffer | number>): void {
    const parts: Buffer[] = [Buffer.from(`*${args.length}\r\n`)];
    for (const arg of args) {
      const bytes = Buffer.isBuffer(arg) ? arg : Buffer.from(String(arg));
      parts.push(Buffer.from(`$${bytes.length}\r\n`), bytes, Buffer.from("\r\n"));
    }
    this.socket.write(Buffer.concat(parts));
  }

  /** The exact bytes of the next complete reply. */
  reply(timeoutMs = 5000): Promise<string> {
    return this.take((buffer) => replyEnd(buffer, 0), timeoutMs, "reply");
  }

  /** Sends a command and returns the exact bytes of its reply. */
  async call(...args: Array<string | Buffer | number>): Promise<string> {
    this.send(...args);
    return this.reply();
  }
}

/** Offset just past the reply starting at `at`, or -1 when incomplete. */
function replyEnd(buf: Buffer, at: number): number {
  return parseReply(buf, at)?.end ?? -1;
}

/** RESP encodings for building expected replies. */
export const bulk = (s: string | Buffer): string =>
  `$${Buffer.byteLength(s)}\r\n${Buffer.isBuffer(s) ? s.toString("latin1") : s}\r\n`;
export const int = (n: number): string => `:${n}\r\n`;
export const simple = (s: string): string => `+${s}\r\n`;
export const error = (s: string): string => `-${s}\r\n`;
export const array = (...items: string[]): string => `*${items.length}\r\n${items.join("")}`;
export const NULL_BULK = "$-1\r\n";
export const NULL_ARRAY = "*-1\r\n";
