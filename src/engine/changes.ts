import type { PauseState } from "../broker.js";
import type { Job } from "./job.js";

/**
 * Every state change the engine makes, as one record: the journal writes
 * these. Leases (deliveries) are deliberately absent: after a crash a
 * delivered but unacknowledged job is simply queued again.
 * `add` hands over the live job: serialize it before returning.
 */
export type EngineChange =
  | { type: "add"; job: Job }
  | { type: "delete"; id: string; reason: "ack" | "fastack" | "deljob" | "expire" }
  | { type: "counters"; id: string; nacks: number; additionalDeliveries: number }
  | { type: "pause"; queue: string; state: PauseState }
  | { type: "flushall" };
