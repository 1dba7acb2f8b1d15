import type { Clock } from "../../core/clock.js";
import { systemClock } from "../../core/clock.js";
import type { RandomSource } from "../../core/ids.js";
import type { Logger } from "../../log.js";
import { RedisBroker } from "./broker.js";
import { connections } from "./connection.js";
import { failingFast } from "./unavailable.js";
import type { SentinelTopology } from "./topology.js";

export { RedisBroker } from "./broker.js";

export interface RedisStoreOptions {
  /** "redis://127.0.0.1:6379"; several => Cluster unless cluster: false */
  urls: string[];
  cluster?: boolean;
  /** find the master through Redis Sentinel instead of `urls` (which may then be empty) */
  sentinel?: SentinelTopology;
  /** all time comes from it (passed into scripts as ARGV); default systemClock */
  clock?: Clock;
  /** key prefix, default "docket"; tests use a unique prefix per test for isolation */
  prefix?: string;
  /** what HELLO reports for this server */
  host?: string;
  port?: number;
  maxJobSize?: number;
  logger?: Logger;
  /** ms a command waits for Redis (default DEFAULT_REDIS_TIMEOUT_MS) */
  timeoutMs?: number;
  /** the jitter draws of backoffs (default crypto's randomBytes); tests make them deterministic */
  random?: RandomSource;
}

/** Connects, loads the scripts, subscribes to wake-ups and registers this server. */
export async function openRedisBroker(opts: RedisStoreOptions): Promise<RedisBroker> {
  const broker = createRedisBroker(opts);
  try {
    await broker.start();
  } catch (error) {
    await broker.close();
    throw error;
  }
  return broker;
}

/** A broker not yet connected: `start()` it (the server wiring does, once its doors exist). */
export function createRedisBroker(opts: RedisStoreOptions): RedisBroker {
  const prefix = opts.prefix ?? "docket";
  // A brace in the prefix would become the keys' hash tag and put every queue in one slot.
  if (prefix === "" || /[{}]/.test(prefix))
    throw new Error("the Redis key prefix must be non-empty, without braces");
  if (opts.sentinel && (opts.cluster || opts.urls.length > 0))
    throw new Error("Redis Sentinel and Redis URLs exclude each other");
  const cluster = opts.cluster ?? opts.urls.length > 1;
  const conns = connections(opts.urls, cluster, opts.logger, opts.timeoutMs, opts.sentinel);
  const broker = new RedisBroker({
    conns,
    clock: opts.clock ?? systemClock,
    prefix,
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 7711,
    maxJobSize: opts.maxJobSize ?? 16 * 1024 * 1024,
    logger: opts.logger,
    random: opts.random,
  });
  return failingFast(broker, () => conns.describe());
}
