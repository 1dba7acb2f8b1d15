import { Cluster, Redis } from "ioredis";
import { DEFAULT_REDIS_TIMEOUT_MS } from "../../core/limits.js";
import type { Logger } from "../../log.js";
import { countDrops } from "./connection-drops.js";
import { followSwitches } from "./sentinel-switches.js";
import { describeSentinels, sentinelOptions, type SentinelTopology } from "./topology.js";

/** Either a standalone Redis or a Redis Cluster: both run scripts and commands alike. */
export type Client = Redis | Cluster;

export interface Connections {
  /** commands and scripts (auto-pipelined) */
  client: Client;
  /** SUBSCRIBE only: wake-ups and WAITJOB outcomes */
  subscriber: Client;
  cluster: boolean;
  /** every master (SCRIPT LOAD, SCAN for FLUSHALL) */
  masters(): Redis[];
  /** a connection of its own to the master owning `slot`, for writes followed by WAIT */
  replicationConnection(slot: number): Redis;
  /** connects the command connection (the others connect on first use) */
  open(): Promise<void>;
  /** the URLs, for messages (without passwords) */
  describe(): string;
  close(): Promise<void>;
}

function parseUrl(url: string): { host: string; port: number; password?: string; db?: number } {
  const parsed = new URL(url.includes("://") ? url : `redis://${url}`);
  const out: { host: string; port: number; password?: string; db?: number } = {
    host: parsed.hostname || "127.0.0.1",
    port: parsed.port ? Number(parsed.port) : 6379,
  };
  if (parsed.password) out.password = decodeURIComponent(parsed.password);
  const db = parsed.pathname.replace(/^\//, "");
  if (db) out.db = Number(db);
  return out;
}

/**
 * What every connection to Redis is given (the one place for connection
 * options: Sentinel's and Cluster's go beside these). Fail fast: a command
 * waits at most `timeoutMs` for its reply, queued while disconnected or not;
 * the offline queue is flushed with an error at every failed reconnection
 * (maxRetriesPerRequest 1), so it never holds more than about one
 * reconnection's worth of commands; reconnection is retried at most every
 * 200 ms so docket notices a restarted Redis soon after it is back.
 */
export function clientOptions(timeoutMs: number) {
  return {
    enableAutoPipelining: true,
    enableOfflineQueue: true,
    maxRetriesPerRequest: 1,
    commandTimeout: timeoutMs,
    connectTimeout: Math.max(timeoutMs, 1000),
    retryStrategy: (attempt: number) => Math.min(attempt * 50, 200),
  };
}

/** Makes the connections; nothing connects before `open()`. With `sentinel`, `urls` is ignored. */
export function connections(
  urls: string[],
  cluster: boolean,
  logger?: Logger,
  timeoutMs: number = DEFAULT_REDIS_TIMEOUT_MS,
  sentinel?: SentinelTopology,
): Connections {
  if (urls.length === 0 && !sentinel) throw new Error("no Redis URL given");
  const onError = (error: Error) => logger?.warn({ err: error.message }, "redis connection error");
  const common = clientOptions(timeoutMs);
  if (!cluster) {
    const target = sentinel ? undefined : parseUrl(urls[0]!);
    const where = target ?? sentinelOptions(sentinel!);
    const client = new Redis({ ...where, ...common, lazyConnect: true });
    client.on("error", onError);
    const subscriber = client.duplicate();
    subscriber.on("error", onError);
    let repl: Redis | undefined;
    let stopFollowing: (() => void) | undefined;
    return {
      client,
      subscriber,
      cluster: false,
      masters: () => [client],
      replicationConnection: () => {
        if (!repl) {
          // WAIT blocks for as long as the producer asked (0 = forever): no command timeout here.
          repl = countDrops(client.duplicate({ enableAutoPipelining: false, commandTimeout: undefined }));
          repl.on("error", onError);
        }
        return repl;
      },
      open: async () => {
        await client.connect();
        if (sentinel) {
          stopFollowing = followSwitches(
            sentinel,
            () => [client, subscriber, ...(repl ? [repl] : [])],
            logger,
          );
        }
      },
      describe: () => (target ? `${target.host}:${target.port}` : describeSentinels(sentinel!)),
      close: async () => {
        stopFollowing?.();
        const all = [client, subscriber, ...(repl ? [repl] : [])];
        await Promise.allSettled(all.map((conn) => conn.quit()));
        // quit() does not end a connection that is reconnecting (to sentinels or a master
        // that are gone); disconnect() does.
        for (const conn of all) conn.disconnect();
      },
    };
  }
  const nodes = urls.map(parseUrl);
  const password = nodes.find((n) => n.password)?.password;
  const options = {
    ...common,
    lazyConnect: true,
    scaleReads: "master" as const,
    redisOptions: { ...common, ...(password ? { password } : {}) },
  };
  const client = new Cluster(
    nodes.map(({ host, port }) => ({ host, port })),
    options,
  );
  client.on("error", onError);
  const subscriber = client.duplicate();
  subscriber.on("error", onError);
  const byNode = new Map<string, Redis>();
  return {
    client,
    subscriber,
    cluster: true,
    masters: () => client.nodes("master"),
    replicationConnection: (slot) => {
      const key = client.slots[slot]?.[0];
      if (!key) throw new Error(`no Redis Cluster node owns slot ${slot}`);
      let conn = byNode.get(key);
      if (!conn) {
        const [host, port] = [
          key.slice(0, key.lastIndexOf(":")),
          Number(key.slice(key.lastIndexOf(":") + 1)),
        ];
        // No reconnecting to a node that went away: after a failover its slots belong to a
        // promoted replica, so waiting for it would hang every add of those slots. The failed
        // command errors, the slot map is refreshed, and the next add asks the new owner.
        const own: Redis = new Redis({
          host,
          port,
          ...(password ? { password } : {}),
          ...common,
          // WAIT blocks for as long as the producer asked: no command timeout here
          commandTimeout: undefined,
          retryStrategy: () => null,
        });
        countDrops(own);
        own.on("error", onError);
        own.once("end", () => {
          if (byNode.get(key) === own) byNode.delete(key);
          client.refreshSlotsCache();
        });
        conn = own;
        byNode.set(key, conn);
      }
      return conn;
    },
    open: () => client.connect(),
    describe: () => `Cluster ${nodes.map((n) => `${n.host}:${n.port}`).join(", ")}`,
    close: async () => {
      await Promise.allSettled([
        client.quit(),
        subscriber.quit(),
        ...[...byNode.values()].map((conn) => conn.quit()),
      ]);
    },
  };
}
