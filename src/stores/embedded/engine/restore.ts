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
  eventId?: string | undefined;
  /** takeanumber's RETRY budget and what is left of it; -1 or absent: none */
  retries?: number;
  retriesLeft?: number;
}
