import type { Consumer, ExplainFacts } from "../../../core/explain.js";
import { checkIds } from "../../../core/job-id-check.js";
import { FailureCommands } from "./failure-commands.js";
import { FetchLog, fetchRecord } from "./explain-state.js";
import type { Job } from "./job.js";
import { formatRateLimit, rateSlotAt } from "../../../core/scheduling.js";

/**
 * EXPLAIN (docs/explain.md): the facts of why a job is (not) running, read
 * from the engine's state in ExplainCause's order, plus the fetch records
 * they need. Nothing here is journaled.
 */
export abstract class ExplainingEngine extends FailureCommands {
  /** Remembers a fetch on each of its queues that exists (a blocking fetch has created them). */
  protected noteFetch(names: string[], consumer: Consumer | undefined, now: number): void {
    let record;
    for (const name of names) {
      const queue = this.queues.get(name);
      if (!queue) continue;
      record ??= fetchRecord(now, consumer, names);
      (queue.fetches ??= new FetchLog()).note(record);
    }
  }

  explain(id: string): ExplainFacts {
    const now = this.runDue();
    checkIds([id]);
    const result = this.results.get(id, now);
    if (result)
      return { id, cause: "done", observedAt: now, queue: result.queue, completedAt: result.completedAt };
    const letter = this.deadLetterLists.get(id);
    if (letter) {
      const job = letter.job;
      const facts: ExplainFacts = { id, cause: "dead", observedAt: now, queue: job.queue };
      Object.assign(facts, lastAttempt(job), { deadReason: letter.reason, deadAt: letter.at });
      return facts;
    }
    const job = this.jobs.get(id);
    if (!job) return { id, cause: "unknown", observedAt: now };
    const base = { id, observedAt: now, queue: job.queue };
    if (job.queued) return this.readyFacts(job, now);
    if (job.backingOff) return { ...base, cause: "backoff", until: job.awakeAt, ...lastAttempt(job) };
    const lease = this.leases.get(job);
    if (!lease && job.awakeAt !== 0) return { ...base, cause: "delayed", until: job.awakeAt };
    // Delivered (or DEQUEUEd): leased until its re-queue time (0: at-most-once, never re-queued).
    return {
      ...base,
      cause: "leased",
      until: job.nextRequeueAt(now),
      leasedTo: lease?.consumer ?? null,
      ...(lease ? { leasedAt: lease.at } : {}),
      lastWorkingAt: lease && lease.workingAt !== 0 ? lease.workingAt : null,
    };
  }

  private readyFacts(job: Job, now: number): ExplainFacts {
    const queue = this.queues.get(job.queue)!;
    const position = queue.ready.indexOf(job) + 1;
    const base = { id: job.id, observedAt: now, queue: job.queue, position, ready: queue.ready.size };
    if (queue.pausedOut) {
      return {
        ...base,
        cause: "paused",
        pause: queue.pause,
        pausedSince: queue.pausedSince,
        pausedBy: queue.pausedBy,
      };
    }
    if (queue.ready.heldBack(job)) {
      const limit = this.policyOf(job.queue)?.groupLimit ?? 0;
      return { ...base, cause: "group-limit", group: job.group ?? "", groupLimit: limit };
    }
    const rate = queue.rateLimit;
    if (rate !== undefined) {
      const until = rateSlotAt(queue.tat, now, rate);
      if (until > now) return { ...base, cause: "rate-limited", until, rateLimit: formatRateLimit(rate) };
    }
    const fetches = queue.fetches;
    return {
      ...base,
      cause: "ready",
      recentFetchers: fetches?.recentFetchers(now) ?? 0,
      lastFetch: fetches?.last ?? null,
    };
  }

  /** WORKING's time, for EXPLAIN's "it sent WORKING … ago". */
  protected noteWorking(job: Job, now: number): void {
    const lease = this.leases.get(job);
    if (lease) lease.workingAt = now;
  }
}

/** The failed attempt's number (each NACK and each lease that ran out counts) and its error, if any. */
function lastAttempt(job: Job): { attempt: number; error?: string } {
  const attempt = job.nacks + job.additionalDeliveries;
  const error = job.attempts?.at(-1)?.error;
  return error ? { attempt, error } : { attempt };
}
