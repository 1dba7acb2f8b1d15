import { randomBytes } from "node:crypto";
import type {
  Attempt,
  FailureDefaults,
  JobResult,
  NackOptions,
  QueuePolicy,
} from "../../../core/contract.js";
import {
  DEFAULT_FAILURES,
  RETRIES_EXHAUSTED,
  failureWaitMs,
  nackAttempt,
  recordsAttempt,
  spendRetry,
  withAttempt,
} from "../../../core/failures.js";
import type { Job } from "./job.js";
import { EngineState } from "./state.js";

/** What ended the attempt: a NACK (also takeanumber RETRY, emq nak) or a lease that ran out. */
export type FailureKind = "nack" | "lease";

/**
 * The one failure path (docs/failures.md) and the state it needs: the
 * server's failure defaults, the queue policies (their own bounded map, not
 * on Queue: idle queues are collected), dead-lettering with its cap, kept
 * results. NACK, takeanumber RETRY, emq's nak and a lease that ran out all
 * go through `fail`.
 */
export abstract class FailingState extends EngineState {
  protected failureDefaults: FailureDefaults = DEFAULT_FAILURES;
  /** QPOLICY: queue → its policy (never empty) */
  protected readonly policies = new Map<string, QueuePolicy>();

  protected policyOf(queue: string): QueuePolicy | undefined {
    return this.policies.get(queue);
  }

  protected leaseRanOut(job: Job, now: number): "requeued" | "deadlettered" {
    if (job.retryOnlyBudget) {
      // takeanumber: the job comes back and its budget is left alone, as the original does
      job.additionalDeliveries++;
      const { nacks, additionalDeliveries } = job;
      this.emit({ type: "counters", id: job.id, nacks, additionalDeliveries });
      this.enqueueJob(job, now);
      return "requeued";
    }
    return this.fail(job, "lease", undefined, job.rank, now);
  }

  /**
   * One failure of `job`: an attempt recorded (unless a plain Disque job
   * failed plainly, see recordsAttempt), one retry spent, then the job is
   * dead-lettered (none was left) or queued again at `rank`, at once or
   * after its backoff (state `backoff`, awakeAt). "back": behind every job
   * queued now (the next sequence number, taken only if it is queued again).
   */
  protected fail(
    job: Job,
    kind: FailureKind,
    options: NackOptions | undefined,
    place: number | "back",
    now: number,
  ): "requeued" | "deadlettered" {
    const earlier = job.nacks + job.additionalDeliveries;
    const tracked = recordsAttempt(job, options);
    if (kind === "nack") job.nacks++;
    else job.additionalDeliveries++;
    let attempt: Attempt | undefined;
    if (tracked) {
      attempt = kind === "lease" ? { at: now, cause: "lease", error: "" } : nackAttempt(now, options);
      job.attempts = withAttempt(job.attempts, attempt);
      if (attempt.cause === "timeout") this.totals.timedOut++;
    }
    const spent = spendRetry(job.retryBudget, job.retryBudgetLeft, earlier, options?.retries);
    if (spent === "deadletter") {
      // NACK … RETRIES gave a job without a budget one, already spent
      if (job.retryBudget < 0 && options?.retries !== undefined) job.retryBudget = options.retries;
      job.retryBudgetLeft = 0;
      this.sendToDeadLetters(job, RETRIES_EXHAUSTED, now, attempt);
      return "deadlettered";
    }
    job.retryBudget = spent.budget;
    job.retryBudgetLeft = spent.left;
    this.totals.retried++;
    const wait = failureWaitMs(options, job.backoff, this.failureDefaults, earlier + 1, () => this.draw());
    const rank = place === "back" ? this.nextSeq++ : place;
    const moved = rank !== job.rank;
    this.unqueueJob(job);
    job.rank = rank;
    if (wait > 0) {
      job.awakeAt = now + wait;
      job.requeueAt = 0;
      this.setBackingOff(job, true);
    } else job.awakeAt = 0;
    if (attempt) {
      const { nacks, additionalDeliveries, retryBudget, retryBudgetLeft, awakeAt } = job;
      this.emit({
        type: "failed",
        id: job.id,
        rank,
        nacks,
        additionalDeliveries,
        retryBudget,
        retryBudgetLeft,
        awakeAt,
        attempt,
      });
    } else if (moved) {
      this.emit({ type: "retry", id: job.id, rank, retriesLeft: job.retryBudgetLeft, nacks: job.nacks });
    } else {
      const { nacks, additionalDeliveries } = job;
      this.emit({ type: "counters", id: job.id, nacks, additionalDeliveries });
    }
    if (wait <= 0) this.enqueueJob(job, now);
    this.schedule(job);
    return "requeued";
  }

  /** A uniform draw in [0, 1) for a jittered backoff, from the injected random source. */
  private draw(): number {
    return (this.random ?? randomBytes)(4).readUInt32BE(0) / 2 ** 32;
  }

  /** The job leaves the live set for its queue's dead-letter list; the oldest beyond the cap are evicted. */
  protected sendToDeadLetters(job: Job, reason: string, now: number, attempt: Attempt | undefined): void {
    this.forget(job);
    this.deadLetterLists.add({ job, reason, at: now });
    this.totals.deadLettered++;
    const change = { type: "deadletter", id: job.id, queue: job.queue, reason, at: now } as const;
    const budget = job.retryBudget >= 0 ? { retryBudget: job.retryBudget } : {};
    this.emit(attempt ? { ...change, attempt, ...budget } : { ...change, ...budget });
    this.jobLeft(job.id, "deadletter");
    this.enforceDeadLetterCap(job.queue);
  }

  protected deadLetterCap(queue: string): number {
    return this.policies.get(queue)?.deadLetterCap ?? this.failureDefaults.deadLetterCap;
  }

  protected enforceDeadLetterCap(queue: string): void {
    const over = this.deadLetterLists.count(queue) - this.deadLetterCap(queue);
    if (over <= 0) return;
    const evicted = this.deadLetterLists.take(queue, over);
    this.totals.deadLettersEvicted += evicted.length;
    this.emit({ type: "deadpurge", queue, ids: evicted.map((letter) => letter.job.id), reason: "evict" });
  }

  /** ACKJOB … RESULT: recorded before the ack's delete, so a replay finds it. */
  protected keepResult(job: Job, body: Buffer, now: number): void {
    const ttl = this.failureDefaults.resultTtlMs;
    if (ttl <= 0) return;
    const result: JobResult = {
      id: job.id,
      queue: job.queue,
      body: Buffer.from(body),
      completedAt: now,
      expiresAt: now + ttl,
    };
    this.emit({ type: "result", ...result });
    this.results.keep(result, now);
  }
}
