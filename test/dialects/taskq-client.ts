import type { Socket } from "node:net";
import { ByteSocket, openSocket } from "../helpers/byte-socket.js";

/** A raw TaskQ text-protocol client that keeps the exact bytes it receives. */
export class TaskqClient extends ByteSocket {
  static async connect(port: number): Promise<TaskqClient> {
    return new TaskqClient(await openSocket(port));
  }

  /** A client over a socket the test opened itself (a TLS socket, say). */
  static over(socket: Socket): TaskqClient {
    return new TaskqClient(socket);
  }

  /** Waits for `bytes` more bytes and returns them as latin1 text. */
  read(bytes: number, timeoutMs = 5000): Promise<string> {
    return this.take((buffer) => (buffer.length >= bytes ? bytes : 0), timeoutMs, `${bytes} bytes`);
  }

  /** The next reply line, without its newline. */
  async line(timeoutMs = 5000): Promise<string> {
    const text = await this.take((buffer) => buffer.indexOf(10) + 1, timeoutMs, "line");
    return text.slice(0, -1);
  }

  /** Reads exactly as many bytes as `expected` has, to compare them. */
  expect(expected: string): Promise<string> {
    return this.read(Buffer.byteLength(expected, "latin1"));
  }
}
