import { randomBytes } from "node:crypto";
import { checkConfig, defaultConfig, type ServerConfig } from "./config.js";
import { Engine, systemClock, type Clock } from "./engine/index.js";
import { Journal, type JournalFs } from "./journal/index.js";
import { createLogger, type Logger } from "./log.js";
import { HttpDoor } from "./protocols/http/index.js";
import type { RespContext, ServerHandle } from "./protocols/resp/context.js";
import type { CommandTable } from "./protocols/resp/command.js";
import { RespServer, type RespClient } from "./protocols/resp/server.js";
import { respCommandTable } from "./protocols/resp/table.js";
import { TaskqServer } from "./protocols/taskq/server.js";
import { Ticker } from "./ticker.js";

export type { ServerConfig } from "./config.js";

/**
 * A running docket: one engine and its front doors. This is the only place
 * that wires components together; each door stays a thin translator.
 */
export class DocketServer implements ServerHandle {
  readonly startedAt = Date.now();
  readonly runId = randomBytes(20).toString("hex");
  readonly engine: Engine;
  readonly logger: Logger;
  private readonly ticker: Ticker;
  private readonly table: CommandTable<RespContext>;
  private readonly resp: RespServer<RespContext>;
  /** the HTTP/JSON door; undefined with --no-http */
  readonly http: HttpDoor | undefined;
  private readonly taskq: TaskqServer | undefined;
  private closing: Promise<void> | undefined;
  private readonly shutdownListeners: Array<() => void> = [];
  /** the embedded store's persistence; set by start() */
  journal: Journal | undefined;

  constructor(
    readonly config: ServerConfig,
    logger?: Logger,
    /** tests pass a ManualClock to drive leases, delays and TTLs */
    clock: Clock = systemClock,
    /** tests pass a file system that can fail (disk full) */
    private readonly journalFs?: JournalFs,
  ) {
    checkConfig(config);
    this.logger = logger ?? createLogger();
    let ticker: Ticker | undefined;
    this.engine = new Engine({
      clock,
      host: config.bind,
      port: config.port,
      maxJobSize: config.maxJobSize,
      onWake: () => ticker?.arm(),
      onChange: (change) => this.journal?.append(change),
    });
    this.ticker = ticker = new Ticker(this.engine, clock);
    this.table = respCommandTable();
    this.resp = new RespServer<RespContext>({
      host: config.bind,
      port: config.port,
      table: this.table,
      makeContext: (client) => ({ client, broker: this.engine, server: this }),
      limits: {
        maxInlineBytes: config.maxInlineBytes,
        maxMultibulkLength: config.maxMultibulkLength,
        maxBulkBytes: config.maxJobSize + 1024 * 1024,
        maxClients: config.maxClients,
        maxOutputBytes: config.clientOutputLimit,
        verbatimInline: (name) => this.table.lookup(name)?.verbatimInline === true,
      },
      requirePassword: () => this.config.requirePass,
      logger: this.logger,
    });
    if (config.http) {
      const http = new HttpDoor({
        broker: this.engine,
        host: config.httpBind,
        port: config.httpPort,
        maxJobSize: config.maxJobSize,
        maxJobSizeNow: () => this.config.maxJobSize,
        password: () => this.config.requirePass,
        respClients: () => {
          let n = 0;
          for (const _client of this.resp.clients()) n++;
          return n;
        },
        respCommandCalls: () => this.table.callCounts(),
        logger: this.logger,
      });
      this.http = http;
      this.engine.onDeliver = (queue, createdAt, now) => http.metrics.observeDelivery(queue, createdAt, now);
    }
    if (config.taskqPort !== null) {
      this.taskq = new TaskqServer({
        host: config.bind,
        port: config.taskqPort,
        broker: this.engine,
        limits: { maxLineBytes: config.maxInlineBytes, maxBodyBytes: config.maxJobSize },
        logger: this.logger,
      });
    }
  }

  async start(): Promise<this> {
    const journal = await Journal.open(this.engine, {
      dir: this.config.dataDir,
      fsync: this.config.fsync,
      repair: this.config.repair,
      compactMinBytes: this.config.compactMinBytes,
      onFsync: (seconds) => this.http?.metrics.observeFsync(seconds),
      logger: this.logger,
      fs: this.journalFs,
    });
    this.journal = journal;
    this.engine.durability = () => journal.whenDurable();
    let port: number;
    try {
      ({ port } = await this.resp.listen());
    } catch (error) {
      await journal.close();
      throw error;
    }
    this.config.port = port;
    this.engine.port = port;
    if (this.http) {
      try {
        this.config.httpPort = await this.http.listen();
      } catch (error) {
        await this.resp.close();
        throw error;
      }
    }
    if (this.taskq) this.config.taskqPort = await this.taskq.listen();
    this.ticker.arm();
    this.logger.info(
      {
        port,
        bind: this.config.bind,
        httpPort: this.http ? this.config.httpPort : null,
        taskqPort: this.config.taskqPort,
        nodeId: this.engine.nodeId,
      },
      "docket is ready",
    );
    return this;
  }

  get port(): number {
    return this.config.port;
  }

  /** the HTTP port once listening; undefined with --no-http */
  get httpPort(): number | undefined {
    return this.http?.port;
  }

  clients(): Iterable<RespClient> {
    return this.resp.clients();
  }

  commands(): CommandTable<RespContext> {
    return this.table;
  }

  counters(): Record<string, number> {
    return {
      total_connections_received: this.resp.stats.connectionsReceived,
      total_commands_processed: this.resp.stats.commandsProcessed,
    };
  }

  async infoSections(): Promise<Record<string, Record<string, string | number>>> {
    return this.journal ? { persistence: this.journal.info() } : {};
  }

  writeRefusal(): string | undefined {
    return this.journal?.writeRefusal();
  }

  configChanged(): void {
    this.engine.maxJobSize = this.config.maxJobSize;
    this.taskq?.setMaxBodyBytes(this.config.maxJobSize);
    this.resp.setLimits({
      maxClients: this.config.maxClients,
      maxOutputBytes: this.config.clientOutputLimit,
    });
  }

  /** Called by SHUTDOWN; the CLI exits once the server has closed. */
  shutdown(): void {
    void this.close().then(() => {
      for (const listener of this.shutdownListeners) listener();
    });
  }

  onShutdown(listener: () => void): void {
    this.shutdownListeners.push(listener);
  }

  close(): Promise<void> {
    this.closing ??= (async () => {
      this.ticker.stop();
      await Promise.all([this.resp.close(), this.http?.close(), this.taskq?.close()]);
      await this.journal?.close();
      this.logger.info("docket stopped");
    })();
    return this.closing;
  }
}

export async function startServer(
  overrides: Partial<ServerConfig> = {},
  logger?: Logger,
  clock?: Clock,
  journalFs?: JournalFs,
): Promise<DocketServer> {
  return new DocketServer({ ...defaultConfig(), ...overrides }, logger, clock, journalFs).start();
}
