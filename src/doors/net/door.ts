import type { Socket } from "node:net";
import type { TlsOptions } from "node:tls";
import { Listener } from "./listen.js";

/** after a reply that closes the connection, how long the peer gets to close before we destroy the socket */
export const CLOSE_GRACE_MS = 2000;
/** after close(), how long connections get to write what is ready before they are destroyed */
const SHUTDOWN_DEADLINE_MS = 500;

/** Ends the socket (its pending writes go first), and destroys it if the peer does not close in time. */
export function endGracefully(socket: Socket): void {
  socket.end();
  setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
}

/** A connection as the door sees it. */
export interface DoorConnection {
  /** server shutdown: write what is ready, then end */
  shutdown(): void;
  /** close now, dropping unsent output */
  destroy(): void;
}

export interface TcpDoorOptions<C extends DoorConnection> {
  host: string;
  /** the plain port (0 picks a free one); null: TLS only */
  port: number | null;
  /** a second listener serving the same protocol over TLS */
  tls?: { port: number; options: TlsOptions } | undefined;
  /** keep writing after the peer half-closes (replies still due are sent) */
  allowHalfOpen: boolean;
  /** read per connection: CONFIG SET maxclients applies at once */
  maxClients(): number;
  /** what a client past maxClients reads before its connection ends, in the door's wire format */
  tooManyClients: string;
  /** counts refusals (INFO rejected_connections) */
  refused?(): void;
  /** sets up a connection; the door forgets it when its socket closes */
  serve(socket: Socket): C;
  logger: { error(obj: object, msg?: string): void };
  /** the log line for a listener error */
  listenerError: string;
}

/**
 * The listeners of one TCP door (plain and TLS), its connections, and what
 * every door does alike: plain and TLS clients count together against
 * maxClients, a refused client reads why before its connection ends, and
 * close() lets each connection write what is ready before it ends.
 */
export class TcpDoor<C extends DoorConnection> {
  readonly connections = new Set<C>();
  private readonly plain: Listener | undefined;
  private readonly secure: Listener | undefined;

  constructor(private readonly options: TcpDoorOptions<C>) {
    const accept = (socket: Socket) => this.accept(socket);
    const listenerOptions = options.allowHalfOpen ? { allowHalfOpen: true, noDelay: true } : {};
    if (options.port !== null) this.plain = new Listener(listenerOptions, undefined, accept);
    if (options.tls) this.secure = new Listener(listenerOptions, options.tls.options, accept);
  }

  /** Listens on the plain port and on the TLS port, those configured; resolves with the ports (null: off). */
  async listen(): Promise<{ port: number | null; tlsPort: number | null }> {
    const { host, port, tls, logger, listenerError } = this.options;
    const onError = (error: Error) => logger.error({ err: error }, listenerError);
    return {
      port: this.plain && port !== null ? await this.plain.listen(port, host, onError) : null,
      tlsPort: this.secure && tls ? await this.secure.listen(tls.port, host, onError) : null,
    };
  }

  /** Stops accepting, lets each connection write what is ready and end (destroyed after a short deadline). */
  async close(): Promise<void> {
    const closed = Promise.all([this.plain?.close(), this.secure?.close()]);
    for (const conn of this.connections) conn.shutdown();
    const deadline = setTimeout(() => {
      for (const conn of this.connections) conn.destroy();
    }, SHUTDOWN_DEADLINE_MS);
    await closed;
    clearTimeout(deadline);
  }

  private accept(socket: Socket): void {
    if (this.connections.size >= this.options.maxClients()) {
      this.options.refused?.();
      socket.on("error", () => {});
      socket.end(this.options.tooManyClients);
      socket.resume(); // reads (and drops) input, so the peer's close is seen
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    let conn: C | undefined;
    // registered first, so the connection is forgotten before its own close hooks run
    socket.once("close", () => {
      if (conn) this.connections.delete(conn);
    });
    try {
      conn = this.options.serve(socket);
    } catch (error) {
      this.options.logger.error({ err: error }, "could not set up a connection");
      socket.destroy();
      return;
    }
    this.connections.add(conn);
  }
}
