import type { Client } from "./connection.js";
import type { Keys } from "./keys.js";
import type { QueueTotals } from "./replies.js";

/**
 * The deployment-wide registry of queues (QSCAN, stats, the timer sweep) and
 * the totals of queues that are gone. Plain single-key commands: the
 * registry is one key in one slot, kept in step with the queues' own keys
 * on a best-effort basis (a queue re-created while it was being dropped is
 * registered again).
 */
export class QueueRegistry {
  constructor(
    private readonly client: Client,
    private readonly keys: Keys,
  ) {}

  /** A queue a script just created gets the next serial (its QSCAN cursor), unless it has one. */
  async register(queue: string): Promise<void> {
    const serial = await this.client.incr(this.keys.qserial);
    await this.client.zadd(this.keys.queues, "NX", serial, queue);
  }

  /** A queue whose keys were deleted leaves, unless its meta came back meanwhile. */
  async unregister(queue: string): Promise<void> {
    await this.client.zrem(this.keys.queues, queue);
    if ((await this.client.exists(this.keys.queue(queue)[0]!)) === 1) await this.register(queue);
  }

  /** every registered queue with its serial, by serial */
  async all(): Promise<Array<[string, number]>> {
    return pairs(await this.client.zrange(this.keys.queues, "0", "-1", "WITHSCORES"));
  }

  /** up to `limit` registered queues with a serial >= `from`, by serial (QSCAN) */
  async from(from: number, limit: number): Promise<Array<[string, number]>> {
    const flat = await this.client.zrange(
      this.keys.queues,
      from,
      "+inf",
      "BYSCORE",
      "LIMIT",
      0,
      limit,
      "WITHSCORES",
    );
    return pairs(flat);
  }

  /** Adds a dropped queue's totals to the deployment's. */
  async foldTotals(totals: QueueTotals): Promise<void> {
    await Promise.all(
      Object.entries(totals).map(([name, n]) =>
        n > 0 ? this.client.hincrby(this.keys.totals, name, n) : undefined,
      ),
    );
  }

  /** the totals folded in so far */
  async totals(): Promise<Record<string, number>> {
    const raw = await this.client.hgetall(this.keys.totals);
    const out: Record<string, number> = {};
    for (const [name, value] of Object.entries(raw)) out[name] = Number(value);
    return out;
  }
}

/** a WITHSCORES reply as [member, score] pairs */
function pairs(flat: string[]): Array<[string, number]> {
  const out: Array<[string, number]> = [];
  for (let i = 0; i < flat.length; i += 2) out.push([flat[i]!, Number(flat[i + 1])]);
  return out;
}
