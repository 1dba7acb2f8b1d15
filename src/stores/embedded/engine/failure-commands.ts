import {
  BrokerError,
  type DeadLetterInfo,
  type DeadLetterSelection,
  type FailureDefaults,
  type JobResult,
  type JobWaitOutcome,
  type NackOptions,
  type QueuePolicy,
  type WaitSignal,
} from "../../../core/contract.js";
import { checkNackOptions, checkQueuePolicy } from "../../../core/failures.js";
import { checkIds } from "../../../core/job-id-check.js";
import { MAX_QUEUE_POLICIES } from "../../../core/limits.js";
import { checkGroupLimit, checkRateLimit } from "../../../core/scheduling.js";
import { MAX_LISTING_COUNT } from "../../../core/listing-limits.js";
import { JobWaiter } from "./blocked.js";
import { deadLetterInfo } from "./deadletters.js";
import { DialectEngine } from "./dialects.js";
import { eventKey } from "./state.js";

/** The failure commands (docs/failures.md): results, dead letters, queue policies, server defaults. */
export abstract class FailureCommands extends DialectEngine {
  /** Each job's failure (failing.ts): at its own place, or behind every job queued now (emq's nak). */
  nack(ids: string[], options?: NackOptions): number {
    const now = this.runDue();
    checkIds(ids);
    checkNackOptions(options);
    let failed = 0;
    for (const id of ids) {
      const job = this.jobs.get(id);
      // queued, or waiting out a backoff: not being worked on (a late NACK spends nothing)
      if (!job || job.queued || job.backingOff) continue;
      // at-most-once: never a second delivery
      if (job.retry === 0 && job.everQueued) continue;
      failed++;
      // "back" (emq's nak): behind every job queued now, ahead of every job added later.
      this.fail(job, "nack", options, options?.placement === "back" ? "back" : job.rank, now);
    }
    return failed;
  }

  result(id: string): JobResult | null {
    const kept = this.results.get(id, this.runDue());
    return kept ? { ...kept, body: Buffer.from(kept.body) } : null;
  }

  /**
   * WAITJOB: resolves when the job leaves (acked, deleted, expired), "gone"
   * at once when it is not known, null on time-out (0 = none) or abort.
   * Counted as a blocked client while it waits.
   */
  waitJob(id: string, timeoutMs: number, signal?: WaitSignal): JobWaitOutcome | Promise<JobWaitOutcome> {
    const now = this.runDue();
    checkIds([id]);
    // A job acked with a kept result is known to have been acked.
    if (!this.jobs.has(id)) return this.results.has(id, now) ? "acked" : "gone";
    if (signal?.aborted) return null;
    return new Promise((resolve) => {
      this.blocked.block(new JobWaiter(id, timeoutMs > 0 ? now + timeoutMs : 0, resolve), signal);
    });
  }

  deadLetters(queue: string, count: number): DeadLetterInfo[] {
    this.runDue();
    return this.deadLetterLists.peek(queue, Math.min(count, MAX_LISTING_COUNT)).map(deadLetterInfo);
  }

  deadLetter(id: string): DeadLetterInfo | null {
    this.runDue();
    const letter = this.deadLetterLists.get(id);
    return letter ? deadLetterInfo(letter) : null;
  }

  redrive(queue: string, which: DeadLetterSelection): number {
    const now = this.runDue();
    const letters = this.deadLetterLists.takeSelected(queue, which);
    for (const { job: old } of letters) {
      const job = this.jobs.create(
        this.ids.next(old.ttl, old.retry),
        this.nextSeq++,
        old.queue,
        old.body,
        now,
        old.ttl,
        old.retry,
        0,
        old.repl,
        this.ids,
      );
      if (old.clientKey !== undefined && !this.eventIds.has(eventKey(old.queue, old.clientKey))) {
        job.clientKey = old.clientKey;
      }
      // a fresh budget and no attempts; its policy and run time-out stay
      job.retryBudget = job.retryBudgetLeft = old.retryBudget;
      job.backoff = old.backoff;
      job.retryOnlyBudget = old.retryOnlyBudget;
      // its priority and group stay (not its key: the key still names the job that died)
      job.priority = old.priority;
      if (old.group !== undefined) {
        job.group = old.group;
        job.round = this.queues.get(old.queue)?.ready.roundFor(old.group) ?? 0;
      }
      job.runTimeoutMs = old.runTimeoutMs;
      job.origin = old.origin;
      this.track(job);
      this.totals.added++;
      this.emit({ type: "redrive", queue: old.queue, deadId: old.id, job });
      this.enqueueJob(job, now);
      this.schedule(job);
    }
    return letters.length;
  }

  purgeDeadLetters(queue: string, which: DeadLetterSelection): number {
    this.runDue();
    const purged = this.deadLetterLists.takeSelected(queue, which);
    if (purged.length > 0) {
      this.emit({ type: "deadpurge", queue, ids: purged.map((letter) => letter.job.id), reason: "purge" });
    }
    return purged.length;
  }

  queuePolicy(queue: string): QueuePolicy {
    return { ...this.policies.get(queue) };
  }

  setQueuePolicy(queue: string, policy: QueuePolicy): QueuePolicy {
    checkQueuePolicy(policy);
    const kept: QueuePolicy = {};
    if (policy.retryBudget !== undefined) kept.retryBudget = policy.retryBudget;
    if (policy.backoff !== undefined) kept.backoff = { ...policy.backoff };
    if (policy.runTimeoutMs !== undefined) kept.runTimeoutMs = policy.runTimeoutMs;
    if (policy.deadLetterCap !== undefined) kept.deadLetterCap = policy.deadLetterCap;
    if (policy.rateLimit !== undefined) kept.rateLimit = { ...checkRateLimit(policy.rateLimit) };
    if (policy.groupLimit !== undefined) kept.groupLimit = checkGroupLimit(policy.groupLimit);
    const empty = Object.keys(kept).length === 0;
    if (!empty && !this.policies.has(queue) && this.policies.size >= MAX_QUEUE_POLICIES) {
      throw new BrokerError("ERR", `too many queue policies (at most ${MAX_QUEUE_POLICIES})`);
    }
    this.emit({ type: "policy", queue, policy: kept });
    if (empty) this.policies.delete(queue);
    else this.policies.set(queue, kept);
    // a lower cap applies at once
    if (kept.deadLetterCap !== undefined) this.enforceDeadLetterCap(queue);
    this.policyChanged(queue);
    return { ...kept };
  }

  configureFailures(defaults: FailureDefaults): void {
    this.failureDefaults = { ...defaults };
  }
}
