import { NODE_PRIORITY_OK, type NodeInfo } from "../../core/contract.js";
import type { Clock } from "../../core/clock.js";
import type { Client } from "./connection.js";
import type { Keys } from "./keys.js";

/** A docket server that missed heartbeats this long drops out of HELLO. */
export const NODE_TIMEOUT_MS = 5_000;
export const HEARTBEAT_MS = 1_000;

/**
 * The registry of docket servers sharing the deployment: each server puts
 * its id in a sorted set scored by the time its heartbeat runs out, and its
 * address in a hash. Live servers are those whose deadline is ahead.
 */
export class NodeRegistry {
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly client: Client,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly self: () => NodeInfo,
  ) {}

  async beat(): Promise<void> {
    const me = this.self();
    const now = this.clock.now();
    await Promise.all([
      this.client.hset(
        this.keys.node(me.id),
        "host",
        me.host,
        "port",
        String(me.port),
        "priority",
        String(me.priority),
      ),
      this.client.pexpire(this.keys.node(me.id), NODE_TIMEOUT_MS * 12),
      this.client.zadd(this.keys.nodes, now + NODE_TIMEOUT_MS, me.id),
      this.client.zremrangebyscore(this.keys.nodes, "-inf", now - NODE_TIMEOUT_MS * 12),
    ]);
  }

  start(onError: (error: Error) => void): void {
    this.timer = setInterval(() => void this.beat().catch(onError), HEARTBEAT_MS);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    await Promise.all([
      this.client.zrem(this.keys.nodes, this.self().id),
      this.client.del(this.keys.node(this.self().id)),
    ]);
  }

  /** this server first, then every other live one */
  async live(): Promise<NodeInfo[]> {
    const me = this.self();
    const ids = await this.client.zrangebyscore(this.keys.nodes, this.clock.now(), "+inf");
    const others = ids.filter((id) => id !== me.id).sort();
    const addresses = await Promise.all(
      others.map((id) => this.client.hmget(this.keys.node(id), "host", "port", "priority")),
    );
    const out: NodeInfo[] = [me];
    others.forEach((id, i) => {
      const [host, port, priority] = addresses[i]!;
      // a server older than the priority field is healthy
      if (host && port)
        out.push({ id, host, port: Number(port), priority: Number(priority ?? NODE_PRIORITY_OK) });
    });
    return out;
  }
}
