import type { Clock } from "../../core/clock.js";
import type { Client } from "./connection.js";
import type { Keys } from "./keys.js";
import type { QueueRegistry } from "./queues.js";
import { decodeDue, decodeGc } from "./replies.js";
import type { Reply } from "./script.js";
import type { QueueScriptName } from "./scripts.js";
import type { LocalWaiters } from "./waiters.js";

/** An empty queue unused this long is dropped (as the embedded engine does). */
export const QUEUE_IDLE_GC_MS = 300_000;
const GC_INTERVAL_MS = 10_000;
/** the timer index is rebuilt from every queue's timers this often (covers lost updates) */
const SWEEP_INTERVAL_MS = 2_000;
const DUE_BATCH = 1000;

export interface TimerHost {
  client: Client;
  keys: Keys;
  clock: Clock;
  waiters: LocalWaiters;
  queues: QueueRegistry;
  run(name: QueueScriptName, queue: string, args: Array<string | Buffer | number>): Promise<Reply>;
  /** the server's dead-letter cap (a lease that ran out may dead-letter a job) */
  deadLetterCap(): number;
  /** an idle queue was hidden or deleted: no longer known (idle-queues.ts) */
  collected(queue: string): void;
}

/**
 * The deployment's timers. Each queue keeps its jobs' next wake times in its
 * own sorted set; `<prefix>:timers` indexes queues by a time no later than
 * their earliest timer. `runDue()` (any server, any time) runs the `due`
 * script on every queue whose index time has come, which moves the due jobs
 * atomically and tells the queue's next time. The index is written by plain
 * commands after the scripts, so it is swept from the queues' own sets now
 * and then; the same pass collects idle queues.
 */
export class Timers {
  /** index times this server wrote lately (a later time needs no write) */
  private readonly indexed = new Map<string, number>();
  private running: Promise<void> | undefined;
  private again = false;
  private nextGcAt = 0;
  private nextSweepAt = 0;

  /** recurring jobs (schedules.ts): their due runs are part of every run of the timers */
  schedules: { runDue(): Promise<void> } | undefined;

  constructor(private readonly host: TimerHost) {}

  /**
   * Keeps the index no later than `at` for this queue; undefined when it already is, the case
   * of nearly every add (no promise to make and wait for).
   */
  note(queue: string, at: number): Promise<void> | undefined {
    const known = this.indexed.get(queue);
    if (known !== undefined && known <= at) return undefined;
    if (this.indexed.size > 10_000) this.indexed.clear();
    this.indexed.set(queue, at);
    return this.host.client.zadd(this.host.keys.timers, "LT", at, queue).then(() => undefined);
  }

  /** Indexes the queue's earliest timer, read from its own set. */
  async noteEarliest(queue: string): Promise<void> {
    const first = await this.host.client.zrange(this.host.keys.queue(queue)[2]!, "0", "0", "WITHSCORES");
    if (first.length === 2) await this.note(queue, Number(first[1]));
  }

  /** Forgets what this server wrote (after FLUSHALL). */
  reset(): void {
    this.indexed.clear();
  }

  /** Resolves once a run in progress has ended. */
  async settled(): Promise<void> {
    await this.running?.catch(() => undefined);
  }

  /** Runs what is due on the clock; concurrent calls run one after the other. */
  runDue(): Promise<void> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    this.running = (async () => {
      try {
        do {
          this.again = false;
          await this.runOnce();
        } while (this.again);
      } finally {
        this.running = undefined;
      }
    })();
    return this.running;
  }

  private async runOnce(): Promise<void> {
    const { clock, waiters } = this.host;
    try {
      await this.makeDueReady();
      await this.schedules?.runDue();
    } finally {
      // Blocked clients' timeouts are this server's own: they run out even while Redis is unreachable.
      waiters.expire(clock.now());
    }
    const now = clock.now();
    if (now >= this.nextGcAt) {
      const queues = await this.collectIdleQueues();
      this.nextGcAt = now + Math.max(GC_INTERVAL_MS, queues * 2);
    }
  }

  /** Makes due jobs ready (delays, retries, expiries) before blocked clients' deadlines are checked. */
  private async makeDueReady(): Promise<void> {
    const { client, keys, clock } = this.host;
    let now = clock.now();
    if (now >= this.nextSweepAt) {
      // Every 2 s, or 2 ms per queue when there are many: bounded work per server.
      const queues = await this.sweep();
      this.nextSweepAt = now + Math.max(SWEEP_INTERVAL_MS, queues * 2);
    }
    for (;;) {
      const due = await client.zrangebyscore(keys.timers, "-inf", now, "LIMIT", 0, 100);
      if (due.length === 0) break;
      await Promise.all(
        due.map(async (queue) => {
          let more = true;
          while (more) {
            const { fetched, next } = decodeDue(
              await this.host.run("due", queue, [DUE_BATCH, this.host.deadLetterCap()]),
            );
            more = fetched >= DUE_BATCH;
            this.indexed.delete(queue);
            if (next < 0) await client.zrem(keys.timers, queue);
            else await client.zadd(keys.timers, next, queue);
          }
        }),
      );
      now = clock.now();
    }
  }

  /** Rebuilds the index entry of every queue from its own timers; the number of queues. */
  private async sweep(): Promise<number> {
    const { client, keys } = this.host;
    const queues = await this.host.queues.all();
    await inChunks(queues, async ([queue]) => {
      const first = await client.zrange(keys.queue(queue)[2]!, "0", "0", "WITHSCORES");
      if (first.length === 2) await client.zadd(keys.timers, "LT", Number(first[1]), queue);
    });
    return queues.length;
  }

  /** Drops (or hides) idle queues; the number of queues looked at. */
  private async collectIdleQueues(): Promise<number> {
    const queues = await this.host.queues.all();
    await inChunks(queues, async ([queue]) => {
      if (this.host.waiters.waitingOn(queue) > 0) return;
      const { kept, deleted, totals } = decodeGc(await this.host.run("gc", queue, [QUEUE_IDLE_GC_MS]));
      if (!kept) this.host.collected(queue);
      if (!deleted) return;
      await this.host.queues.foldTotals(totals);
      await this.host.queues.unregister(queue);
    });
    return queues.length;
  }
}

/** Runs `fn` on every item, at most 256 at a time. */
async function inChunks<T>(items: T[], fn: (item: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += 256) await Promise.all(items.slice(i, i + 256).map(fn));
}
