import type { Clock } from "../core/clock.js";
import type { Broker } from "../core/contract.js";
import { effectiveFsync, failureDefaults, type ServerConfig } from "../config.js";
import type { Logger } from "../log.js";
import { Engine } from "./embedded/engine/index.js";
import { Journal, type JournalFs } from "./embedded/journal/index.js";
import { createRedisBroker, type RedisBroker } from "./redis/index.js";
import { WriteGate, type InfoSections, type Store, type StoreSettings } from "./store.js";
import { RedisTicker, Ticker } from "./ticker.js";

export interface StoreDeps {
  clock: Clock;
  logger: Logger;
  /** tests pass a file system that can fail (disk full) */
  journalFs?: JournalFs;
  /** each journal fsync's duration (the metrics histogram) */
  onFsync?: (seconds: number) => void;
}

/** The store the settings name: Redis with --redis/--redis-sentinel, else the embedded one. */
export function makeStore(config: ServerConfig, deps: StoreDeps): Store {
  return config.redis.length > 0 || config.redisSentinel.length > 0
    ? new RedisStore(config, deps)
    : new EmbeddedStore(config, deps);
}

function gateOf(store: { broker: Broker; writeRefusal(): string | undefined }): WriteGate {
  return new WriteGate({
    whenDurable: () => store.broker.whenDurable(),
    release: (ids) => store.broker.release(ids),
    writeRefusal: () => store.writeRefusal(),
  });
}

/** The in-process engine, its journal (opened by start) and its timer. */
export class EmbeddedStore implements Store {
  readonly kind = "embedded";
  readonly engine: Engine;
  readonly broker: Engine;
  readonly gate: WriteGate;
  /** set by start() */
  journal: Journal | undefined;
  private readonly ticker: Ticker;

  constructor(
    private readonly config: ServerConfig,
    private readonly deps: StoreDeps,
  ) {
    let ticker: Ticker | undefined;
    this.engine = this.broker = new Engine({
      clock: deps.clock,
      host: config.bind,
      port: config.port,
      maxJobSize: config.maxJobSize,
      onWake: () => ticker?.arm(),
      onChange: (change) => this.journal?.append(change),
    });
    this.engine.configureFailures(failureDefaults(config));
    this.ticker = ticker = new Ticker(this.engine, deps.clock);
    this.gate = gateOf(this);
  }

  async start(): Promise<void> {
    const journal = await Journal.open(this.engine, {
      dir: this.config.dataDir,
      fsync: effectiveFsync(this.config),
      repair: this.config.repair,
      compactMinBytes: this.config.compactMinBytes,
      onFsync: this.deps.onFsync,
      logger: this.deps.logger,
      fs: this.deps.journalFs,
    });
    this.journal = journal;
    this.engine.durability = () => journal.whenDurable();
  }

  async listening(port: number): Promise<void> {
    this.engine.port = port;
  }

  startTimers(): void {
    this.ticker.arm();
  }

  async close(): Promise<void> {
    this.ticker.stop();
    await this.journal?.close();
  }

  async info(): Promise<InfoSections> {
    return this.journal ? { persistence: this.journal.info() } : {};
  }

  writeRefusal(): string | undefined {
    return this.journal?.writeRefusal();
  }

  dataBytes(): number {
    return this.engine.dataBytes();
  }

  configure(settings: StoreSettings): void {
    this.engine.maxJobSize = settings.maxJobSize;
    this.engine.configureFailures(settings.failures);
    this.journal?.setFsync(settings.fsync);
  }

  async announce(): Promise<void> {
    // one process: nobody else to tell
  }

  compact(): "started" | "in-progress" | undefined {
    if (!this.journal) return undefined;
    if (this.journal.compactionRunning) return "in-progress";
    void this.journal.compact();
    return "started";
  }

  observeDeliveries(observe: (queue: string, createdAt: number, now: number) => void): void {
    this.engine.onDeliver = observe;
  }
}

/** Jobs in Redis (--redis, --redis-sentinel): the broker, its timers and its heartbeat. */
export class RedisStore implements Store {
  readonly kind = "redis";
  readonly broker: RedisBroker;
  readonly gate: WriteGate;
  private readonly ticker: RedisTicker;

  constructor(
    private readonly config: ServerConfig,
    deps: StoreDeps,
  ) {
    this.broker = createRedisBroker({
      urls: config.redis,
      cluster: config.redisCluster || config.redis.length > 1,
      ...(config.redisSentinel.length > 0
        ? { sentinel: { sentinels: config.redisSentinel, name: config.redisMasterName! } }
        : {}),
      clock: deps.clock,
      prefix: config.redisPrefix,
      timeoutMs: config.redisTimeout,
      host: config.bind,
      port: config.port,
      maxJobSize: config.maxJobSize,
      logger: deps.logger,
    });
    this.broker.configureFailures(failureDefaults(config));
    this.ticker = new RedisTicker(this.broker, deps.clock, (error) =>
      deps.logger.warn({ err: error.message }, "redis timers failed"),
    );
    this.gate = gateOf(this);
  }

  start(): Promise<void> {
    return this.broker.start();
  }

  async listening(port: number): Promise<void> {
    this.broker.port = port;
    await this.broker.heartbeat();
  }

  startTimers(): void {
    this.ticker.start();
  }

  async close(): Promise<void> {
    this.ticker.stop();
    await this.broker.close();
  }

  async info(): Promise<InfoSections> {
    const up = await this.broker.storeAnswers();
    return {
      redis: {
        redis_mode: this.broker.mode,
        redis_prefix: this.config.redisPrefix,
        // "down": no answer within --redis-timeout; commands answer -TRYAGAIN meanwhile
        redis_status: up ? "up" : "down",
        ...(up && { redis_docket_servers: (await this.broker.nodes()).length }),
      },
    };
  }

  writeRefusal(): string | undefined {
    return undefined; // Redis keeps its own persistence: an unreachable Redis answers TRYAGAIN per command
  }

  dataBytes(): number {
    return 0;
  }

  configure(settings: StoreSettings): void {
    this.broker.maxJobSize = settings.maxJobSize;
    this.broker.configureFailures(settings.failures);
  }

  announce(): Promise<void> {
    return this.broker.heartbeat();
  }

  compact(): undefined {
    return undefined;
  }

  observeDeliveries(): void {
    // the add-to-fetch latency histogram is fed by the embedded engine only
  }
}
