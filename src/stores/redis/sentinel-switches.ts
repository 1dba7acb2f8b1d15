import { Redis } from "ioredis";
import type { Logger } from "../../log.js";
import { hostPort, type SentinelTopology } from "./topology.js";

const CHANNEL = "+switch-master";

/**
 * Reconnects the master's connections when a sentinel announces that the
 * master moved (`+switch-master <name> <old ip> <old port> <new ip> <new
 * port>`) and a connection is not on the new master yet: without it, a
 * master whose host died without closing its sockets would hold docket
 * until TCP gave up. ioredis' own failover detector reconnects on every
 * announcement, also on the master a connection already found by itself:
 * after a kill -9 the leader announces only once the other replicas follow
 * the promoted one, by when adds flow again, and each sentinel announces in
 * turn, so each was a needless reconnection and errors after the switch.
 * Returns what stops it.
 */
export function followSwitches(
  topology: SentinelTopology,
  connections: () => Redis[],
  logger?: Logger,
): () => void {
  const subscribers = topology.sentinels.map((address) => {
    const sub = new Redis({
      ...hostPort(address),
      retryStrategy: (attempt: number) => Math.min(attempt * 100, 1000),
    });
    sub.on("error", (error: Error) => logger?.debug({ err: error.message }, "sentinel subscription error"));
    void sub.subscribe(CHANNEL).catch(() => undefined);
    sub.on("message", (channel: string, message: string) => {
      if (channel === CHANNEL) switched(message, topology.name, connections());
    });
    return sub;
  });
  return () => {
    for (const sub of subscribers) sub.disconnect();
  };
}

/** Reconnects each connection that is up and not on the master a `+switch-master` message names. */
function switched(message: string, name: string, connections: Redis[]): void {
  const [master, , , host, port] = message.split(" ");
  if (master !== name || host === undefined || port === undefined) return;
  for (const conn of connections) {
    const stream = conn.stream as { remoteAddress?: string; remotePort?: number } | undefined;
    if (conn.status !== "ready" || !stream) continue; // it asks the sentinels when it connects
    const address = stream.remoteAddress?.replace(/^::ffff:/, "");
    if (stream.remotePort === Number(port) && address === host) continue;
    conn.disconnect(true);
  }
}
