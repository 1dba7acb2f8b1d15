import type { Attempt, BackoffPolicy, JobOrigin, PauseState, QueuePolicy } from "./contract.js";
import type { ScheduleInfo } from "./schedules.js";

/**
 * A job as the journal stores it: everything needed to put it back after a
 * restart. Leases are not part of it: a restored job is queued again (or
 * waits for its delay). `Job` has all these fields, so a live job can be
 * written to a snapshot as it is.
 */
export interface StoredJob {
  id: string;
  seq: number;
  queue: string;
  /** the bytes; a string holds them as latin1 (small bodies decoded at start-up, as Job keeps them) */
  body: Buffer | string;
  /** ms since the epoch */
  createdAt: number;
  /** seconds */
  ttl: number;
  /** seconds */
  retry: number;
  /** seconds */
  delay: number;
  repl: number;
  /** place in the queue: the seq, or below every seq for jobs placed at the front */
  rank: number;
  nacks: number;
  additionalDeliveries: number;
  /** absolute ms when a delayed job becomes queued; 0 when it is not delayed */
  awakeAt: number;
  /** okq's client-chosen event id */
  clientKey?: string | undefined;
  /** the retry budget and what is left of it; -1 or absent: none (unlimited) */
  retryBudget?: number;
  retryBudgetLeft?: number;
  backoff?: BackoffPolicy | undefined;
  runTimeoutMs?: number | undefined;
  /** the last failed attempts, oldest first */
  attempts?: Attempt[] | undefined;
  /** takeanumber's: a lease that runs out spends no retry (AddJobRequest.retryOnlyBudget) */
  retryOnlyBudget?: boolean;
  /** waiting out a backoff until awakeAt (state `backoff`), not a delay */
  backingOff?: boolean;
  /** the door that added it (absent: unknown) */
  origin?: JobOrigin | undefined;
  /** absent: DEFAULT_PRIORITY */
  priority?: number | undefined;
  /** its fair-sharing round (core/scheduling.ts); absent: 0 */
  round?: number | undefined;
  group?: string | undefined;
  /** its idempotency key and when the key is forgotten (absolute ms) */
  key?: string | undefined;
  keyExpiresAt?: number | undefined;
  schedule?: string | undefined;
}

/**
 * Every state change a store makes, as one record: the embedded store's
 * journal writes these and replays them through the engine's apply(). Leases (deliveries) are deliberately absent: after a crash a
 * delivered but unacknowledged job is simply queued again.
 * `add` hands over the live job: serialize it before returning.
 */
export type Change =
  | { type: "add"; job: StoredJob }
  | { type: "delete"; id: string; reason: "ack" | "fastack" | "deljob" | "expire" | "noack" }
  | { type: "counters"; id: string; nacks: number; additionalDeliveries: number }
  | { type: "pause"; queue: string; state: PauseState }
  /**
   * DEBUG FLUSHALL; queues that survive it (they have blocked clients) keep their
   * pause state, listed here so the journal need not read the engine (absent: none)
   */
  | { type: "flushall"; pausedQueues?: Array<[string, PauseState]> }
  /**
   * The job is queued again at `rank` with this RETRY budget and nack count:
   * takeanumber RETRY (its own rank, one retry less), okq QACK REDO (a front
   * rank) and emq's nak (a new rank, at the back)
   */
  | { type: "retry"; id: string; rank: number; retriesLeft: number; nacks: number }
  /**
   * A failure (NACK, RETRY, a lease that ran out) that kept the job: its
   * whole failure state after it, so replay is "last record wins". Queued
   * at `rank` now, or waiting out a backoff until `awakeAt` (0: queued now).
   */
  | {
      type: "failed";
      id: string;
      rank: number;
      nacks: number;
      additionalDeliveries: number;
      retryBudget: number;
      retryBudgetLeft: number;
      awakeAt: number;
      attempt: Attempt;
    }
  /**
   * the job left the live set for its queue's dead-letter list; `attempt`: the
   * failure that sent it there; `retryBudget`: its budget then (NACK … RETRIES
   * may just have given it one)
   */
  | {
      type: "deadletter";
      id: string;
      queue: string;
      reason: string;
      at: number;
      attempt?: Attempt;
      retryBudget?: number;
    }
  /** dead letters dropped: DEADPURGE, or evicted (oldest first) by their queue's cap */
  | { type: "deadpurge"; queue: string; ids: string[]; reason: "purge" | "evict" }
  /** ACKJOB … RESULT: kept until expiresAt (written before the ack's delete) */
  | { type: "result"; id: string; queue: string; body: Buffer; completedAt: number; expiresAt: number }
  /** QPOLICY: the queue's failure policy from now on ({}: none) */
  | { type: "policy"; queue: string; policy: QueuePolicy }
  /** a dead letter (deadId) came back as the new live `job` (serialize it before returning) */
  | { type: "redrive"; queue: string; deadId: string; job: StoredJob }
  /** okq QFLUSH: every job and dead letter of the queue is gone */
  | { type: "flushqueue"; queue: string }
  /** SCHEDULE SET, or a due run's progress: the schedule's whole state after it ("last record wins") */
  | { type: "schedule"; schedule: ScheduleInfo }
  /** SCHEDULE DEL */
  | { type: "unschedule"; name: string }
  /**
   * An idempotency key that outlives its job (a live job's add record
   * carries its own): snapshots and compaction write one for each such
   * key, so a retried add after a restart still answers the first job
   */
  | { type: "idemkey"; queue: string; key: string; id: string; seq: number; expiresAt: number };
