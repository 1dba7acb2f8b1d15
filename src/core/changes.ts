import type { PauseState } from "./contract.js";

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
  /** takeanumber's RETRY budget and what is left of it; -1 or absent: none */
  retryBudget?: number;
  retryBudgetLeft?: number;
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
  /** the job left the live set for its queue's dead-letter list */
  | { type: "deadletter"; id: string; queue: string; reason: string; at: number }
  /** a dead letter (deadId) came back as the new live `job` (serialize it before returning) */
  | { type: "redrive"; queue: string; deadId: string; job: StoredJob }
  /** okq QFLUSH: every job and dead letter of the queue is gone */
  | { type: "flushqueue"; queue: string };
