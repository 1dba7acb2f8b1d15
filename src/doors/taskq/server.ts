import type { Socket } from "node:net";
import type { TlsOptions } from "node:tls";
import type { Broker } from "../../core/contract.js";
import type { Logger } from "../../log.js";
import { Listener } from "../../util/listen.js";
import { AuthFailures } from "../../util/password.js";
import { runTaskq, type TaskqSession } from "./commands.js";
import { TaskqFatal, TaskqParser, type TaskqLimits, type TaskqRequest } from "./parser.js";
import { OOM_MESSAGE, type MemoryBudget } from "../../util/memory.js";

export interface TaskqServerOptions {
  host: string;
  /** the plain port; null: TLS only */
  port: number | null;
  /** a second listener serving the same protocol over TLS (--taskq-tls-port) */
  tls?: { port: number; options: TlsOptions };
  broker: Broker;
  limits: TaskqLimits;
  /** the server-wide memory bound: `enq` is refused above it; each client's buffers count */
  budget?: MemoryBudget;
  logger: Logger;
  /** read per request: CONFIG SET requirepass applies at once */
  password(): string | undefined;
  /** read per connection / per write, as RESP's (CONFIG SET maxclients, client-output-limit) */
  maxClients(): number;
  maxOutputBytes(): number;
  /** why writes are refused right now (the journal cannot write), or undefined */
  writeRefusal?: () => string | undefined;
}

/** after the last reply, how long the peer gets to close before we destroy the socket */
const CLOSE_GRACE_MS = 2000;

/**
 * The TaskQ text protocol's TCP door: parses requests, runs them in order
 * and writes the replies in request order (requests may be pipelined).
 * Plain and TLS connections count together against max-clients; a client
 * whose unsent replies pass the output limit is disconnected (as RESP's).
 */
export class TaskqServer {
  private readonly plain: Listener | undefined;
  private readonly secure: Listener | undefined;
  private readonly sockets = new Set<Socket>();
  private readonly logger: Logger;

  constructor(private readonly options: TaskqServerOptions) {
    this.logger = options.logger.child({ door: "taskq" });
    const accept = (socket: Socket) => this.accept(socket);
    if (options.port !== null) this.plain = new Listener({}, undefined, accept);
    if (options.tls) this.secure = new Listener({}, options.tls.options, accept);
  }

  /** CONFIG SET max-job-size: applies to new and open connections */
  setMaxBodyBytes(bytes: number): void {
    this.options.limits.maxBodyBytes = bytes;
  }

  /** Listens on the plain port and on the TLS port, those configured; resolves with the ports (null: off). */
  async listen(): Promise<{ port: number | null; tlsPort: number | null }> {
    const { host, port, tls } = this.options;
    const onError = (error: Error) => this.logger.error({ err: error }, "TaskQ listener error");
    return {
      port: this.plain && port !== null ? await this.plain.listen(port, host, onError) : null,
      tlsPort: this.secure && tls ? await this.secure.listen(tls.port, host, onError) : null,
    };
  }

  private accept(socket: Socket): void {
    socket.on("error", () => {});
    if (this.sockets.size >= this.options.maxClients()) {
      socket.end("- error max number of clients reached\n");
      socket.resume(); // reads (and drops) input, so the peer's close is seen
      setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      return;
    }
    this.sockets.add(socket);
    socket.on("close", () => this.sockets.delete(socket));
    socket.setNoDelay(true);
    const parser = new TaskqParser(this.options.limits);
    let closing = false;
    const session: TaskqSession = {
      authenticated: false,
      authFailures: new AuthFailures(),
      password: this.options.password,
      closeAfterReply: () => (closing = true),
      writeRefusal: this.options.writeRefusal,
    };
    const budget = this.options.budget;
    const account = budget?.open(() => socket.destroy());
    socket.on("close", () => {
      if (account) budget!.close(account);
    });
    const report = () => {
      if (account) budget!.report(account, parser.bufferedBytes() + socket.writableLength);
    };
    /** the replies not yet written, in request order, as a chain */
    let behind: Promise<void> | undefined;
    /** no more requests: the connection ends once the replies are written */
    let ended = false;
    const write = (bytes: Buffer) => {
      if (socket.destroyed) return;
      socket.write(bytes, report);
      const unsent = socket.writableLength;
      const limit = this.options.maxOutputBytes();
      if (unsent > limit) {
        this.logger.warn(
          { addr: socket.remoteAddress, bytes: unsent, limit },
          "client output limit exceeded, disconnecting",
        );
        socket.destroy();
      }
    };
    const send = (reply: Buffer | Promise<Buffer>) => {
      if (behind === undefined && !(reply instanceof Promise)) return write(reply);
      const chain: Promise<void> = (behind ?? Promise.resolve())
        .then(() => reply)
        .then(write, (error: unknown) => {
          this.logger.error({ err: error }, "taskq request failed");
          socket.destroy();
        })
        .then(() => {
          if (behind === chain) behind = undefined;
        });
      behind = chain;
    };
    const finish = () => {
      ended = true;
      const end = () => {
        socket.end();
        setTimeout(() => socket.destroy(), CLOSE_GRACE_MS).unref();
      };
      if (behind) void behind.then(end);
      else end();
    };
    socket.on("data", (chunk: Buffer) => {
      if (ended) return;
      parser.feed(chunk);
      socket.cork();
      try {
        while (!socket.destroyed) {
          const item = parser.next();
          if (item === null) break;
          if (item instanceof TaskqFatal) {
            send(Buffer.from(`${item.rid} error ${item.message}\n`));
            finish();
            break;
          }
          send(this.refusal(item, session) ?? runTaskq(this.options.broker, item, session));
          if (closing) {
            finish();
            break;
          }
        }
      } finally {
        socket.uncork();
        report();
      }
    });
  }

  /** `RID error OOM …` for an authenticated enq above --maxmemory (as RESP's denyoom). */
  private refusal(req: TaskqRequest, session: TaskqSession): Buffer | undefined {
    if (req.command !== "enq" || req.error !== undefined || !this.options.budget?.full()) return undefined;
    if (!session.authenticated && this.options.password()) return undefined; // NOAUTH comes first
    return Buffer.from(`${req.rid} error OOM ${OOM_MESSAGE}\n`);
  }

  close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    return Promise.all([this.plain?.close(), this.secure?.close()]).then(() => {});
  }
}
