import type { Clock } from "../engine/clock.js";
import { systemClock } from "../engine/clock.js";
import type { Logger } from "../log.js";
import { RedisBroker } from "./broker.js";
import { connect } from "./connection.js";

export { RedisBroker } from "./broker.js";

export interface RedisStoreOptions {
  /** "redis://127.0.0.1:6379"; several => Cluster unless cluster: false */
  urls: string[];
  cluster?: boolean;
  /** all time comes from it (passed into scripts as ARGV); default systemClock */
  clock?: Clock;
  /** key prefix, default "docket"; tests use a unique prefix per test for isolation */
  prefix?: string;
  /** what HELLO reports for this server */
  host?: string;
  port?: number;
  maxJobSize?: number;
  logger?: Logger;
}

/** Connects, loads the scripts, subscribes to wake-ups and registers this server. */
export async function openRedisBroker(opts: RedisStoreOptions): Promise<RedisBroker> {
  const cluster = opts.cluster ?? opts.urls.length > 1;
  const conns = await connect(opts.urls, cluster, opts.logger);
  const broker = new RedisBroker({
    conns,
    clock: opts.clock ?? systemClock,
    prefix: opts.prefix ?? "docket",
    host: opts.host ?? "127.0.0.1",
    port: opts.port ?? 7711,
    maxJobSize: opts.maxJobSize ?? 16 * 1024 * 1024,
    logger: opts.logger,
  });
  try {
    await broker.start();
  } catch (error) {
    await conns.close();
    throw error;
  }
  return broker;
}
