import { randomBytes } from "node:crypto";
import type { Broker } from "./core/contract.js";
import { checkConfig, defaultConfig, effectiveFsync, type ServerConfig } from "./config.js";
import { Engine, systemClock, type Clock } from "./stores/embedded/engine/index.js";
import { Journal, type JournalFs } from "./stores/embedded/journal/index.js";
import { createLogger, type Logger } from "./log.js";
import { HttpDoor } from "./doors/http/index.js";
import type { MemoryInfo, RespContext, ServerHandle, TransportStats } from "./doors/resp/context.js";
import type { CommandTable } from "./doors/resp/command.js";
import { RespServer, type RespClient } from "./doors/resp/transport/server.js";
import type { SlowLog } from "./doors/resp/transport/slowlog.js";
import { respCommandTable } from "./doors/resp/table.js";
import { TaskqServer } from "./doors/taskq/server.js";
import { createRedisBroker, type RedisBroker } from "./stores/redis/index.js";
import { RedisTicker, Ticker } from "./stores/ticker.js";
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
  /** the store every door talks to */
  readonly broker: Broker;
  readonly logger: Logger;
  /** the embedded store's engine; undefined with --redis */
  private readonly embedded: Engine | undefined;
  /** the Redis store; undefined without --redis */
  readonly redis: RedisBroker | undefined;
  private readonly ticker: Ticker | RedisTicker;
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
    if (config.redis.length > 0 || config.redisSentinel.length > 0) {
      const redis = createRedisBroker({
        urls: config.redis,
        cluster: config.redisCluster || config.redis.length > 1,
        ...(config.redisSentinel.length > 0
          ? { sentinel: { sentinels: config.redisSentinel, name: config.redisMasterName! } }
          : {}),
        clock,
        prefix: config.redisPrefix,
        timeoutMs: config.redisTimeout,
        host: config.bind,
        port: config.port,
        maxJobSize: config.maxJobSize,
        logger: this.logger,
      });
      this.redis = redis;
      this.broker = redis;
      this.ticker = new RedisTicker(redis, clock, (error) =>
        this.logger.warn({ err: error.message }, "redis timers failed"),
      );
    } else {
      let ticker: Ticker | undefined;
      const engine = new Engine({
        clock,
        host: config.bind,
        port: config.port,
        maxJobSize: config.maxJobSize,
        onWake: () => ticker?.arm(),
        onChange: (change) => this.journal?.append(change),
      });
      this.embedded = engine;
      this.broker = engine;
      this.ticker = ticker = new Ticker(engine, clock);
    }
    // One certificate for every door; read now, so a bad path stops the start.
    const tls =
      config.tlsCert !== undefined && config.tlsKey !== undefined
        ? loadTls({ cert: config.tlsCert, key: config.tlsKey, ca: config.tlsCa })
        : undefined;
    // With --redis the jobs live in Redis: only client buffers count here.
    this.memory = new MemoryBudget(config.maxMemory, () => this.embedded?.dataBytes() ?? 0);
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
        writeRefusal: () => this.writeRefusal(),
      });
      this.http = http;
      // The add-to-fetch latency histogram is fed by the embedded engine only.
      if (this.embedded) {
        this.embedded.onDeliver = (queue, createdAt, now) =>
          http.metrics.observeDelivery(queue, createdAt, now);
      }
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
    if (!this.embedded) throw new Error("this server runs on the Redis store: it has no embedded engine");
    return this.embedded;
  }

  /** "embedded" or "redis" */
  get store(): "embedded" | "redis" {
    return this.redis ? "redis" : "embedded";
  }

  private async openStore(): Promise<void> {
    if (this.redis) {
      await this.redis.start();
      return;
    }
    const engine = this.engine;
    const journal = await Journal.open(engine, {
      dir: this.config.dataDir,
      fsync: effectiveFsync(this.config),
      repair: this.config.repair,
      compactMinBytes: this.config.compactMinBytes,
      onFsync: (seconds) => this.http?.metrics.observeFsync(seconds),
      logger: this.logger,
      fs: this.journalFs,
    });
    this.journal = journal;
    engine.durability = () => journal.whenDurable();
  }

  private async closeStore(): Promise<void> {
    await this.journal?.close();
    await this.redis?.close();
  }

  async start(): Promise<this> {
    try {
      await this.openStore();
    } catch (error) {
      await this.closeStore();
      throw error;
    }
    let port: number;
    let tlsPort: number | undefined;
    try {
      ({ port, tlsPort } = await this.resp.listen());
    } catch (error) {
      await this.closeStore();
      throw error;
    }
    this.config.port = port;
    this.config.tlsPort = tlsPort ?? null;
    if (this.embedded) this.embedded.port = port;
    if (this.redis) {
      this.redis.port = port;
      await this.redis.heartbeat();
    }
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
    if (this.ticker instanceof Ticker) this.ticker.arm();
    else this.ticker.start();
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
    const sections: Record<string, Record<string, string | number>> = { server: { store: this.store } };
    if (this.journal) sections.persistence = this.journal.info();
    if (this.redis) {
      const up = await this.redis.storeAnswers();
      sections.redis = {
        redis_mode: this.redis.mode,
        redis_prefix: this.config.redisPrefix,
        // "down": no answer within --redis-timeout; commands answer -TRYAGAIN meanwhile
        redis_status: up ? "up" : "down",
        ...(up && { redis_docket_servers: (await this.redis.nodes()).length }),
      };
    }
    return sections;
  }

  writeRefusal(): string | undefined {
    return this.journal?.writeRefusal();
  }

  private applySlowlogSettings(): void {
    this.resp.slowlog.slowerThanMicros = this.config.slowlogLogSlowerThan;
    this.resp.slowlog.setMaxLen(this.config.slowlogMaxLen);
  }

  get slowlog(): SlowLog {
    return this.resp.slowlog;
  }

  compactJournal(): "started" | "in-progress" | undefined {
    if (!this.journal) return undefined;
    if (this.journal.compactionRunning) return "in-progress";
    void this.journal.compact();
    return "started";
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

  configChanged(): void {
    this.memory.maxBytes = this.config.maxMemory;
    this.applySlowlogSettings();
    this.journal?.setFsync(effectiveFsync(this.config));
    if (this.embedded) this.embedded.maxJobSize = this.config.maxJobSize;
    if (this.redis) this.redis.maxJobSize = this.config.maxJobSize;
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
    void this.redis
      ?.heartbeat()
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
      this.ticker.stop();
      this.rates.stop();
      await Promise.all([this.resp.close(), this.http?.close(), this.taskq?.close()]);
      await this.closeStore();
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
