import type { Socket } from "node:net";
import type { TlsOptions } from "node:tls";
import type { Broker } from "../../core/contract.js";
import type { Logger } from "../../log.js";
import { mustAuthenticate } from "../net/auth.js";
import { ConnectionBuffers } from "../net/buffers.js";
import { TcpDoor, endGracefully, type DoorConnection } from "../net/door.js";
import { InOrderReplies } from "../net/in-order.js";
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

/**
 * The TaskQ text protocol's TCP door: parses requests, runs them in order
 * and writes the replies in request order (requests may be pipelined). The
 * listeners, max-clients, output limit and memory accounting are the shared
 * TCP layer's (doors/net), as RESP's.
 */
export class TaskqServer {
  private readonly door: TcpDoor<DoorConnection>;
  private readonly logger: Logger;

  constructor(private readonly options: TaskqServerOptions) {
    this.logger = options.logger.child({ door: "taskq" });
    this.door = new TcpDoor({
      host: options.host,
      port: options.port,
      tls: options.tls,
      allowHalfOpen: false,
      maxClients: options.maxClients,
      tooManyClients: "- error max number of clients reached\n",
      serve: (socket) => this.serve(socket),
      logger: this.logger,
      listenerError: "TaskQ listener error",
    });
  }

  /** CONFIG SET max-job-size: applies to new and open connections */
  setMaxBodyBytes(bytes: number): void {
    this.options.limits.maxBodyBytes = bytes;
  }

  /** Listens on the plain port and on the TLS port, those configured; resolves with the ports (null: off). */
  listen(): Promise<{ port: number | null; tlsPort: number | null }> {
    return this.door.listen();
  }

  private serve(socket: Socket): DoorConnection {
    socket.on("error", () => {});
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
    const buffers = new ConnectionBuffers({
      socket,
      budget: this.options.budget,
      logger: this.logger,
      describe: () => ({ addr: socket.remoteAddress }),
      heldInput: () => parser.bufferedBytes(),
      unflushedOutput: () => 0,
      maxOutputBytes: this.options.maxOutputBytes,
    });
    socket.on("close", () => buffers.close());
    /** a reply, or null: its request failed and the connection is dropped there */
    const replies = new InOrderReplies<Buffer | null>((bytes) => {
      if (socket.destroyed) return;
      if (bytes === null) return socket.destroy();
      socket.write(bytes, () => buffers.report());
      buffers.overOutputLimit();
    });
    /** no more requests: the connection ends once the replies are written */
    let ended = false;
    const send = (reply: Buffer | Promise<Buffer>) => {
      if (!(reply instanceof Promise)) return replies.emit(reply);
      const slot = replies.reserve();
      const settle = (value: Buffer | null) => {
        replies.settle(slot, value);
        if (ended && replies.idle && !socket.destroyed) endGracefully(socket);
      };
      reply.then(settle, (error: unknown) => {
        this.logger.error({ err: error }, "taskq request failed");
        settle(null);
      });
    };
    const finish = () => {
      ended = true;
      if (replies.idle) endGracefully(socket);
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
        buffers.report();
      }
    });
    // TaskQ has no reply in flight worth waiting for at shutdown: close at once
    const destroy = () => void socket.destroy();
    return { shutdown: destroy, destroy };
  }

  /** `RID error OOM …` for an authenticated enq above --maxmemory (as RESP's denyoom). */
  private refusal(req: TaskqRequest, session: TaskqSession): Buffer | undefined {
    if (req.command !== "enq" || req.error !== undefined || !this.options.budget?.full()) return undefined;
    if (mustAuthenticate(session, this.options.password())) return undefined; // NOAUTH comes first
    return Buffer.from(`${req.rid} error OOM ${OOM_MESSAGE}\n`);
  }

  close(): Promise<void> {
    return this.door.close();
  }
}
