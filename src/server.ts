import { randomBytes } from "node:crypto";
import type { Broker } from "./core/contract.js";
import { defaultConfig, effectiveFsync, failureDefaults, type ServerConfig } from "./config.js";
import { checkSettings } from "./settings.js";
import { systemClock, type Clock, type Engine } from "./stores/embedded/engine/index.js";
import type { Journal, JournalFs } from "./stores/embedded/journal/index.js";
import { createLogger, type Logger } from "./log.js";
import { HttpDoor } from "./doors/http/index.js";
import type { MemoryInfo, RespContext, ServerHandle, TransportStats } from "./doors/resp/context.js";
import type { CommandTable } from "./doors/resp/command.js";
import { RespServer, type RespClient } from "./doors/resp/transport/server.js";
import type { SlowLog } from "./doors/resp/transport/slowlog.js";
import { respCommandTable } from "./doors/resp/table.js";
import { TaskqServer } from "./doors/taskq/server.js";
import { EmbeddedStore, makeStore } from "./stores/make-store.js";
import type { Store, WriteGate } from "./stores/store.js";
import { loadTls } from "./util/tls.js";
import { MemoryBudget } from "./util/memory.js";
import { RateSampler } from "./util/rates.js";

export type { ServerConfig } from "./config.js";

/**
 * A running docket: one store (the embedded engine + journal, or Redis with
 * --redis) and its front doors. This is the only place that wires components
 * together; each door stays a thin translator and sees only the Broker.
 */
export class DocketServer implements ServerHandle {
  readonly startedAt = Date.now();
  readonly runId = randomBytes(20).toString("hex");
  /** the store: embedded (engine + journal) or Redis; the server never asks which */
  readonly jobs: Store;
  /** the store's Broker, which every door talks to */
  readonly broker: Broker;
  readonly logger: Logger;
  /** --maxmemory: job data (embedded store only) plus every door's client buffers */
  readonly memory: MemoryBudget;
  private readonly table: CommandTable<RespContext>;
  private readonly resp: RespServer<RespContext>;
  /** the HTTP/JSON door; undefined with --no-http */
  readonly http: HttpDoor | undefined;
  private readonly taskq: TaskqServer | undefined;
  private closing: Promise<void> | undefined;
  private readonly shutdownListeners: Array<() => void> = [];
  private readonly leaveListeners = new Set<() => void>();
  /** INFO's instantaneous_* rates, of the RESP door's totals */
  private readonly rates: RateSampler<"commands" | "input" | "output">;

  /** startServer makes one: its settings checked, its store made (makeStore) */
  constructor(
    readonly config: ServerConfig,
    store: Store,
    logger: Logger,
    /** tests pass a ManualClock to drive leases, delays and TTLs */
    clock: Clock,
  ) {
    this.jobs = store;
    this.logger = logger;
    this.broker = this.jobs.broker;
    // One certificate for every door; read now, so a bad path stops the start.
    const tls =
      config.tlsCert !== undefined && config.tlsKey !== undefined
        ? loadTls({ cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa })
        : undefined;
    // With --redis the jobs live in Redis: only client buffers count here.
    this.memory = new MemoryBudget(config.maxMemory, () => this.jobs.dataBytes());
    this.table = respCommandTable();
    this.resp = new RespServer<RespContext>({
      host: config.bind,
      port: config.port,
      tls: tls && config.tlsPort !== null ? { port: config.tlsPort, options: tls } : undefined,
      table: this.table,
      makeContext: (client) => ({ client, broker: this.broker, server: this }),
      limits: {
        maxInlineBytes: config.maxInlineBytes,
        maxMultibulkLength: config.maxMultibulkLength,
        maxBulkBytes: config.maxJobSize + 1024 * 1024,
        maxClients: config.maxClients,
        maxOutputBytes: config.clientOutputLimit,
        verbatimInline: (name) => this.table.lookup(name)?.verbatimInline === true,
      },
      requirePassword: () => this.config.requirePass,
      budget: this.memory,
      logger: this.logger,
    });
    this.applySlowlogSettings();
    const respStats = this.resp.stats;
    this.rates = new RateSampler(() => ({
      commands: respStats.commandsProcessed,
      input: respStats.netInputBytes,
      output: respStats.netOutputBytes,
    }));
    if (config.http) {
      const http = new HttpDoor({
        broker: this.broker,
        clock,
        host: config.httpBind,
        port: config.httpPort,
        maxJobSize: config.maxJobSize,
        maxJobSizeNow: () => this.config.maxJobSize,
        password: () => this.config.requirePass,
        tls,
        respClients: () => {
          let n = 0;
          for (const _client of this.resp.clients()) n++;
          return n;
        },
        respCommandCalls: () => this.table.callCounts(),
        budget: this.memory,
        logger: this.logger,
        gate: this.jobs.gate,
      });
      this.http = http;
      this.jobs.observeDeliveries((queue, createdAt, now) =>
        http.metrics.observeDelivery(queue, createdAt, now),
      );
    }
    if (config.taskqPort !== null || (tls && config.taskqTlsPort !== null)) {
      this.taskq = new TaskqServer({
        host: config.bind,
        port: config.taskqPort,
        broker: this.broker,
        limits: { maxLineBytes: config.maxInlineBytes, maxBodyBytes: config.maxJobSize },
        budget: this.memory,
        logger: this.logger,
        tls: tls && config.taskqTlsPort !== null ? { port: config.taskqTlsPort, options: tls } : undefined,
        password: () => this.config.requirePass,
        maxClients: () => this.config.maxClients,
        maxOutputBytes: () => this.config.clientOutputLimit,
        writeRefusal: () => this.writeRefusal(),
      });
    }
  }

  /** the embedded store's engine (tests drive its timers); throws with --redis */
  get engine(): Engine {
    if (!(this.jobs instanceof EmbeddedStore))
      throw new Error("this server runs on the Redis store: it has no embedded engine");
    return this.jobs.engine;
  }

  /** the embedded store's journal (tests compact it); undefined with --redis or before start() */
  get journal(): Journal | undefined {
    return this.jobs instanceof EmbeddedStore ? this.jobs.journal : undefined;
  }

  /** "embedded" or "redis" */
  get store(): "embedded" | "redis" {
    return this.jobs.kind;
  }

  async start(): Promise<this> {
    try {
      await this.jobs.start();
    } catch (error) {
      await this.jobs.close();
      throw error;
    }
    let port: number;
    let tlsPort: number | undefined;
    try {
      ({ port, tlsPort } = await this.resp.listen());
    } catch (error) {
      await this.jobs.close();
      throw error;
    }
    this.config.port = port;
    this.config.tlsPort = tlsPort ?? null;
    await this.jobs.listening(port);
    if (this.http) {
      try {
        this.config.httpPort = await this.http.listen();
      } catch (error) {
        await this.resp.close();
        throw error;
      }
    }
    if (this.taskq) {
      const taskq = await this.taskq.listen();
      this.config.taskqPort = taskq.port;
      this.config.taskqTlsPort = taskq.tlsPort;
    }
    this.jobs.startTimers();
    this.logger.info(
      {
        port,
        bind: this.config.bind,
        httpPort: this.http ? this.config.httpPort : null,
        taskqPort: this.config.taskqPort,
        tlsPort: this.config.tlsPort,
        taskqTlsPort: this.config.taskqTlsPort,
        https: this.http?.https ?? false,
        nodeId: this.broker.nodeId,
        store: this.store,
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

  transport(): TransportStats {
    const stats = this.resp.stats;
    const rates = this.rates.perSecond();
    return {
      ...stats,
      commandsPerSecond: rates.commands,
      inputBytesPerSecond: rates.input,
      outputBytesPerSecond: rates.output,
    };
  }

  async infoSections(): Promise<Record<string, Record<string, string | number>>> {
    return { server: { store: this.store }, ...(await this.jobs.info()) };
  }

  /** the store's one write gate, which every door goes through */
  get gate(): WriteGate {
    return this.jobs.gate;
  }

  writeRefusal(): string | undefined {
    return this.jobs.writeRefusal();
  }

  private applySlowlogSettings(): void {
    this.resp.slowlog.slowerThanMicros = this.config.slowlogLogSlowerThan;
    this.resp.slowlog.setMaxLen(this.config.slowlogMaxLen);
  }

  get slowlog(): SlowLog {
    return this.resp.slowlog;
  }

  compactJournal(): "started" | "in-progress" | undefined {
    return this.jobs.compact();
  }

  memoryFull(): boolean {
    return this.memory.full();
  }

  memoryInfo(): MemoryInfo {
    const memory = this.memory;
    return {
      used: memory.used(),
      clients: memory.clientBytes(),
      max: memory.maxBytes,
      peak: memory.peakBytes,
      evictedClients: memory.evictedClients,
    };
  }

  noteDuplicate(): void {
    this.http?.metrics.countDuplicate();
  }

  configChanged(): void {
    this.memory.maxBytes = this.config.maxMemory;
    this.applySlowlogSettings();
    this.jobs.configure({
      maxJobSize: this.config.maxJobSize,
      fsync: effectiveFsync(this.config),
      failures: failureDefaults(this.config),
    });
    this.taskq?.setMaxBodyBytes(this.config.maxJobSize);
    this.resp.setLimits({
      maxClients: this.config.maxClients,
      maxOutputBytes: this.config.clientOutputLimit,
    });
  }

  get leaving(): boolean {
    return this.broker.leaving;
  }

  setLeaving(leaving: boolean): void {
    this.broker.leaving = leaving;
    if (leaving) for (const listener of [...this.leaveListeners]) listener();
    // The other servers of a Redis deployment see the new priority now, not at the next heartbeat.
    void this.jobs
      .announce()
      .catch((error: Error) => this.logger.warn({ err: error.message }, "redis heartbeat failed"));
  }

  onLeaving(listener: () => void): () => void {
    this.leaveListeners.add(listener);
    return () => this.leaveListeners.delete(listener);
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
      this.rates.stop();
      await Promise.all([this.resp.close(), this.http?.close(), this.taskq?.close()]);
      await this.jobs.close();
      this.logger.info("docket stopped");
    })();
    return this.closing;
  }
}

export async function startServer(
  overrides: Partial<ServerConfig> = {},
  logger?: Logger,
  /** tests pass a ManualClock to drive leases, delays and TTLs */
  clock: Clock = systemClock,
  /** tests pass a file system that can fail (disk full) */
  journalFs?: JournalFs,
): Promise<DocketServer> {
  const config = { ...defaultConfig(), ...overrides };
  checkSettings(config);
  const log = logger ?? createLogger();
  let server: DocketServer | undefined = undefined;
  const store = await makeStore(config, {
    clock,
    logger: log,
    journalFs,
    onFsync: (seconds) => server?.http?.metrics.observeFsync(seconds),
  });
  server = new DocketServer(config, store, log, clock);
  return server.start();
}
