import type { DeadLetterInfo, DeadLetterSelection, JobResult, QueuePolicy } from "../../core/contract.js";
import { checkQueuePolicy, formatBackoff } from "../../core/failures.js";
import { MAX_COUNT } from "../../core/limits.js";
import { MAX_LISTING_COUNT } from "../../core/listing-limits.js";
import { idTag } from "./keys.js";
import { decodeDeadLetter, decodePolicy } from "./replies.js";
import { list, num } from "./script.js";
import type { QueueStore } from "./store.js";

/**
 * What is left of failing and finished jobs (docs/failures.md): dead letters
 * (list, look up, redrive, purge), kept results, queue policies. The failure
 * path itself is in the scripts (scripts/includes/failure.lua).
 */
export class FailureCommands {
  constructor(private readonly store: QueueStore) {}

  /** ACKJOB … RESULT's result, while kept (its key expires in Redis; the clock decides first) */
  async result(id: string): Promise<JobResult | null> {
    const tag = idTag(id);
    if (tag === undefined) return null;
    const kept = await this.store.conns.client.hgetallBuffer(this.store.keys.result(id, tag));
    const expiresAt = Number(kept.e?.toString("latin1"));
    if (!kept.q || !(expiresAt > this.store.clock.now())) return null;
    return {
      id,
      queue: kept.q.toString("utf8"),
      body: kept.b ?? Buffer.alloc(0),
      completedAt: Number(kept.c?.toString("latin1")),
      expiresAt,
    };
  }

  /** oldest first, at most MAX_LISTING_COUNT */
  async deadLetters(queue: string, count: number): Promise<DeadLetterInfo[]> {
    const capped = Math.min(count, MAX_LISTING_COUNT);
    if (!(capped > 0)) return [];
    return this.decoded(queue, await this.store.run("deadLetters", queue, ["oldest", capped]));
  }

  async deadLetter(id: string): Promise<DeadLetterInfo | null> {
    const [queue] = await this.store.directory.queuesOf([id]);
    if (queue === undefined) return null;
    const [letter] = this.decoded(queue, await this.store.run("deadLetters", queue, ["ids", id]));
    return letter ?? null;
  }

  private decoded(queue: string, reply: Parameters<typeof list>[0]): DeadLetterInfo[] {
    return list(reply).map((r) => decodeDeadLetter(queue, r));
  }

  /** redrive-12.lua: as many fresh ids and seqs as there can be letters to bring back */
  async redrive(queue: string, which: DeadLetterSelection): Promise<number> {
    const { store } = this;
    const wanted = "ids" in which ? [...new Set(which.ids)] : [];
    const waiting = num(await store.conns.client.llen(store.keys.queue(queue)[7]!));
    const n = Math.min("ids" in which ? wanted.length : which.count, waiting);
    if (!(n > 0)) return 0;
    const fresh: Array<string | number> = [];
    // The script gives each new id its letter's last four characters (TTL and RETRY).
    for (let i = 0; i < n; i++) fresh.push(store.newJobId(queue, 0, 0), await store.nextSeq());
    const mode = "ids" in which ? "ids" : "oldest";
    const moved = num(await store.run("redrive", queue, [mode, n, ...fresh, ...wanted]));
    if (moved > 0) await store.timers.noteEarliest(queue);
    return moved;
  }

  async purgeDeadLetters(queue: string, which: DeadLetterSelection): Promise<number> {
    if ("ids" in which) {
      if (which.ids.length === 0) return 0;
      return num(await this.store.run("purge", queue, ["ids", ...new Set(which.ids)]));
    }
    if (!(which.count > 0)) return 0;
    return num(await this.store.run("purge", queue, ["oldest", Math.min(which.count, MAX_COUNT)]));
  }

  async queuePolicy(queue: string): Promise<QueuePolicy> {
    return decodePolicy(await this.store.run("policy", queue, ["get"]));
  }

  async setQueuePolicy(queue: string, policy: QueuePolicy): Promise<QueuePolicy> {
    checkQueuePolicy(policy);
    const args = [
      "set",
      policy.retryBudget ?? "",
      policy.backoff ? formatBackoff(policy.backoff) : "",
      policy.runTimeoutMs ?? "",
      policy.deadLetterCap ?? "",
    ];
    return decodePolicy(await this.store.run("policy", queue, args));
  }
}
