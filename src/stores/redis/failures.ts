import type { DeadLetterInfo, DeadLetterSelection, JobResult, QueuePolicy } from "../../core/contract.js";
import { checkQueuePolicy, formatBackoff } from "../../core/failures.js";
import { MAX_COUNT } from "../../core/limits.js";
import { MAX_LISTING_COUNT } from "../../core/listing-limits.js";
import { idTag } from "./keys.js";
import { policyLimitArgs } from "./scheduling.js";
import { decodeDeadLetter, decodePolicy } from "./replies.js";
import { list, num, type Reply } from "./script.js";
import type { QueueStore } from "./store.js";

/** dead letters listed, redriven or purged per script call: a script blocks Redis while it runs */
const DEADLETTER_BATCH = 500;

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

  /** oldest first, at most MAX_LISTING_COUNT, read DEADLETTER_BATCH at a time */
  async deadLetters(queue: string, count: number): Promise<DeadLetterInfo[]> {
    const capped = Math.min(count, MAX_LISTING_COUNT);
    const out: DeadLetterInfo[] = [];
    for (let start = 0; start < capped; start += DEADLETTER_BATCH) {
      const size = Math.min(DEADLETTER_BATCH, capped - start);
      const part = this.decoded(queue, await this.store.run("deadLetters", queue, ["oldest", start, size]));
      out.push(...part);
      if (part.length < size) break;
    }
    return out;
  }

  async deadLetter(id: string): Promise<DeadLetterInfo | null> {
    const [queue] = await this.store.directory.queuesOf([id]);
    if (queue === undefined) return null;
    const [letter] = this.decoded(queue, await this.store.run("deadLetters", queue, ["ids", id]));
    return letter ?? null;
  }

  private decoded(queue: string, reply: Reply): DeadLetterInfo[] {
    return list(reply).map((r) => decodeDeadLetter(queue, r));
  }

  /**
   * redrive-12.lua, DEADLETTER_BATCH letters per call (a script blocks Redis while
   * it runs): as many fresh ids and seqs as there can be letters to bring back.
   * Ids beyond one batch come back batch by batch, each oldest first.
   */
  async redrive(queue: string, which: DeadLetterSelection): Promise<number> {
    const { store } = this;
    const waiting = num(await store.conns.client.llen(store.keys.queue(queue)[7]!));
    const wanted = "ids" in which ? [...new Set(which.ids)] : [];
    const total = "ids" in which ? wanted.length : Math.min(which.count, waiting);
    let moved = 0;
    for (let start = 0; start < total && waiting > 0; start += DEADLETTER_BATCH) {
      const part = wanted.slice(start, start + DEADLETTER_BATCH);
      const size = Math.min(DEADLETTER_BATCH, total - start, waiting);
      const fresh: Array<string | number> = [];
      // The script gives each new id its letter's last four characters (TTL and RETRY).
      for (let i = 0; i < size; i++) fresh.push(store.newJobId(queue, 0, 0), await store.nextSeq());
      const mode = "ids" in which ? "ids" : "oldest";
      const n = num(await store.run("redrive", queue, [mode, size, ...fresh, ...part]));
      moved += n;
      if (mode === "oldest" && n < size) break;
    }
    if (moved > 0) await store.timers.noteEarliest(queue);
    return moved;
  }

  /** purge-12.lua, DEADLETTER_BATCH letters per call */
  async purgeDeadLetters(queue: string, which: DeadLetterSelection): Promise<number> {
    let purged = 0;
    if ("ids" in which) {
      const ids = [...new Set(which.ids)];
      for (let start = 0; start < ids.length; start += DEADLETTER_BATCH) {
        const part = ids.slice(start, start + DEADLETTER_BATCH);
        purged += num(await this.store.run("purge", queue, ["ids", ...part]));
      }
      return purged;
    }
    const count = Math.min(which.count, MAX_COUNT);
    while (purged < count) {
      const size = Math.min(DEADLETTER_BATCH, count - purged);
      const n = num(await this.store.run("purge", queue, ["oldest", size]));
      purged += n;
      if (n < size) break;
    }
    return purged;
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
      ...policyLimitArgs(policy),
    ];
    return decodePolicy(await this.store.run("policy", queue, args));
  }
}
