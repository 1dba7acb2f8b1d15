import type { PauseState } from "../../../core/contract.js";
import type { Job } from "./job.js";

/**
 * Every state change the engine makes, as one record: the journal writes
 * these. Leases (deliveries) are deliberately absent: after a crash a
 * delivered but unacknowledged job is simply queued again.
 * `add` hands over the live job: serialize it before returning.
 */
export type EngineChange =
  | { type: "add"; job: Job }
  | { type: "delete"; id: string; reason: "ack" | "fastack" | "deljob" | "expire" | "noack" }
  | { type: "counters"; id: string; nacks: number; additionalDeliveries: number }
  | { type: "pause"; queue: string; state: PauseState }
  | { type: "flushall" }
  /**
   * The job is queued again at `rank` with this RETRY budget and nack count:
   * takeanumber RETRY (its own rank, one retry less), okq QACK REDO (a front
   * rank) and emq's nak (a new rank, at the back)
   */
  | { type: "retry"; id: string; rank: number; retriesLeft: number; nacks: number }
  /** the job left the live set for its queue's dead-letter list */
  | { type: "deadletter"; id: string; queue: string; reason: string; at: number }
  /** a dead letter (deadId) came back as the new live `job` (serialize it before returning) */
  | { type: "redrive"; queue: string; deadId: string; job: Job }
  /** okq QFLUSH: every job and dead letter of the queue is gone */
  | { type: "flushqueue"; queue: string };
