import type { Redis } from "ioredis";

/**
 * How many times each replication connection has dropped. A WAIT counts the
 * replicas that have the writes of the connection it runs on, since that
 * connection was made: after a drop, ioredis sends the WAIT again (or sends
 * it first) on a new connection, maybe to a promoted replica, where it counts
 * none of the add's writes and answers at once. REPLICATE n trusts a WAIT
 * only if the connection did not drop since the add was sent (replicate.ts).
 */
const drops = new WeakMap<Redis, number>();

/** Counts the connection's drops from now on. */
export function countDrops(conn: Redis): Redis {
  drops.set(conn, 0);
  conn.on("close", () => drops.set(conn, (drops.get(conn) ?? 0) + 1));
  return conn;
}

/** how many times the connection has dropped since countDrops */
export function dropsOf(conn: Redis): number {
  return drops.get(conn) ?? 0;
}
