import type { RedisOptions } from "ioredis";

/**
 * Where the Redis store's master is found when Sentinels name it: ioredis
 * asks the sentinels for the master of `name`, checks its ROLE, and on a lost
 * connection asks again, so docket follows a failover by itself. A
 * connection not on the master a sentinel announces (+switch-master) is
 * reconnected at once, instead of waiting for the old master's socket to die
 * (sentinel-switches.ts, rather than ioredis' failover detector).
 */
export interface SentinelTopology {
  /** "host:port" of each sentinel */
  sentinels: string[];
  /** the master's name in the sentinels' `sentinel monitor` lines */
  name: string;
}

/** ioredis options that reach the master through the sentinels. */
export function sentinelOptions(topology: SentinelTopology): RedisOptions {
  if (topology.sentinels.length === 0) throw new Error("no Redis Sentinel given");
  return {
    sentinels: topology.sentinels.map(hostPort),
    name: topology.name,
    role: "master",
  };
}

export function describeSentinels(topology: SentinelTopology): string {
  return `master "${topology.name}" via Sentinel ${topology.sentinels.join(", ")}`;
}

/** a sentinel's "host:port" (port 26379 when left out) */
export function hostPort(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(":");
  if (colon <= 0) return { host: address, port: 26379 };
  return { host: address.slice(0, colon), port: Number(address.slice(colon + 1)) };
}
