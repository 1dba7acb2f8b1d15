import type { TlsOptions } from "node:tls";
import type { CommandTable } from "../command.js";
import { Monitors } from "./monitor.js";
import { SlowLog } from "./slowlog.js";
import { DEFAULT_PARSER_LIMITS, type ParserLimits } from "./parser.js";
import { TcpDoor } from "../../net/door.js";
import type { RespClient } from "./client.js";
import { Connection } from "./connection.js";
import type { MemoryBudget } from "../../../util/memory.js";
import { TurnEndWriter } from "../../net/turn-end.js";

export { RespClient } from "./client.js";

/**
 * The RESP server: sockets, parsing, dispatch through the command table,
 * reply ordering and output batching. See docs/resp.md.
 */

/** A pino-compatible logger (only these methods are used). */
export interface RespLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface ServerLimits extends ParserLimits {
  maxClients: number;
  /** a client whose unsent output exceeds this is disconnected */
  maxOutputBytes: number;
}

export const DEFAULT_SERVER_LIMITS: Readonly<ServerLimits> = Object.freeze({
  ...DEFAULT_PARSER_LIMITS,
  maxClients: 10_000,
  maxOutputBytes: 64 * 1024 * 1024,
});

export interface RespServerOptions<Ctx> {
  host?: string;
  /** 0 picks a free port */
  port: number;
  table: CommandTable<Ctx>;
  makeContext(client: RespClient): Ctx;
  limits?: Partial<ServerLimits>;
  /** a second listener serving the same commands over TLS (Redis 6's --tls-port) */
  tls?: { port: number; options: TlsOptions };
  /** the password clients must AUTH with; undefined or "" when none */
  requirePassword?: () => string | undefined;
  /** the server-wide memory bound: each client's buffers are reported to it */
  budget?: MemoryBudget;
  logger?: RespLogger;
}

export interface RespServerStats {
  /** connections accepted */
  connectionsReceived: number;
  /** connections refused because of maxClients */
  rejectedConnections: number;
  /** commands that reached their handler */
  commandsProcessed: number;
  /** bytes read from clients, and handed to their sockets (INFO total_net_*_bytes) */
  netInputBytes: number;
  netOutputBytes: number;
}

const noopLogger: RespLogger = { info() {}, warn() {}, error() {} };

export class RespServer<Ctx> {
  readonly table: CommandTable<Ctx>;
  readonly limits: ServerLimits;
  readonly logger: RespLogger;
  readonly budget: MemoryBudget | undefined;
  /** the clients that sent MONITOR */
  readonly monitors = new Monitors();
  readonly slowlog = new SlowLog();
  /** where connections' replies wait for the end of the event-loop turn */
  readonly turnEnd = new TurnEndWriter<Connection<Ctx>>();
  readonly stats: RespServerStats = {
    connectionsReceived: 0,
    rejectedConnections: 0,
    commandsProcessed: 0,
    netInputBytes: 0,
    netOutputBytes: 0,
  };
  /** the plain and TLS listeners and the connections (doors/net, shared with TaskQ) */
  private readonly door: TcpDoor<Connection<Ctx>>;

  constructor(readonly options: RespServerOptions<Ctx>) {
    this.table = options.table;
    this.limits = { ...DEFAULT_SERVER_LIMITS, ...options.limits };
    this.logger = options.logger ?? noopLogger;
    this.budget = options.budget;
    this.door = new TcpDoor({
      host: options.host ?? "127.0.0.1",
      port: options.port,
      tls: options.tls,
      allowHalfOpen: true,
      maxClients: () => this.limits.maxClients,
      tooManyClients: "-ERR max number of clients reached\r\n",
      refused: () => this.stats.rejectedConnections++,
      serve: (socket) => {
        this.stats.connectionsReceived++;
        return new Connection(this, socket);
      },
      logger: this.logger,
      listenerError: "RESP server error",
    });
  }

  /** Changes limits; parser limits apply to every connection at once. */
  setLimits(limits: Partial<ServerLimits>): void {
    Object.assign(this.limits, limits);
  }

  /** Listens on the plain port, and on the TLS port when configured. */
  async listen(): Promise<{ port: number; tlsPort?: number }> {
    const { port, tlsPort } = await this.door.listen();
    return tlsPort === null ? { port: port! } : { port: port!, tlsPort };
  }

  /** Stops accepting, writes pending replies, ends every client (destroyed after a grace period). */
  close(): Promise<void> {
    return this.door.close();
  }

  *clients(): Iterable<RespClient> {
    for (const conn of this.door.connections) yield conn.client;
  }
}
