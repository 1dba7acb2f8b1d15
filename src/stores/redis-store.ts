import { failureDefaults, type ServerConfig } from "../config.js";
import { gateOf, type StoreDeps } from "./make-store.js";
import { createRedisBroker, type RedisBroker } from "./redis/index.js";
import type { InfoSections, Store, StoreSettings, WriteGate } from "./store.js";
import { RedisTicker } from "./ticker.js";

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
