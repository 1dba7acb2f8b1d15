import { createServer, type Server, type ServerOpts, type Socket } from "node:net";
import { createServer as createTlsServer, type TlsOptions } from "node:tls";
import { readingSharedBuffer } from "./shared-reads.js";

/** after close(), how long connections get to end before the listener destroys them */
const CLOSE_DEADLINE_MS = 1000;

/**
 * A door's listener: plain TCP, or TLS when `tls` is given (then `onSocket`
 * gets the socket once its handshake is done; a failed handshake never
 * reaches the door). It knows every TCP connection, so that close() can end
 * those its door never saw or let linger (a stalled handshake, a refused client).
 * A plain connection is read through one shared buffer (shared-reads.ts).
 */
export class Listener {
  private readonly server: Server;
  private readonly connections = new Set<Socket>();
  /** plain connections read through the shared buffer, and those read as Node gave them */
  readonly reads = { wrapped: 0, unwrapped: 0 };

  constructor(options: ServerOpts, tls: TlsOptions | undefined, onSocket: (socket: Socket) => void) {
    if (tls) {
      this.server = createTlsServer({ ...options, ...tls }, onSocket);
      this.server.on("connection", (socket: Socket) => this.track(socket));
      return;
    }
    const allowHalfOpen = options.allowHalfOpen === true;
    this.server = createServer({ ...options, pauseOnConnect: true }, (accepted: Socket) => {
      const { socket, wrapped } = readingSharedBuffer(accepted, this.server, allowHalfOpen);
      if (wrapped) this.reads.wrapped++;
      else this.reads.unwrapped++;
      this.track(socket);
      onSocket(socket);
    });
  }

  private track(socket: Socket): void {
    this.connections.add(socket);
    socket.once("close", () => this.connections.delete(socket));
  }

  /** Listens on host:port (0: a free port) and resolves with the port it got; later errors go to onError. */
  listen(port: number, host: string, onError: (error: Error) => void): Promise<number> {
    const server = this.server;
    return new Promise((resolve, reject) => {
      server.once("error", reject);
      server.listen(port, host, () => {
        server.off("error", reject);
        server.on("error", onError);
        const address = server.address();
        resolve(typeof address === "object" && address !== null ? address.port : port);
      });
    });
  }

  /** Stops accepting; resolves once every connection has ended (destroyed after CLOSE_DEADLINE_MS). */
  close(): Promise<void> {
    if (!this.server.listening) return Promise.resolve();
    return new Promise((resolve) => {
      const deadline = setTimeout(() => {
        for (const socket of this.connections) socket.destroy();
      }, CLOSE_DEADLINE_MS);
      this.server.close(() => {
        clearTimeout(deadline);
        resolve();
      });
    });
  }
}
