import type { JobInfo } from "../broker.js";

/**
 * One job. Times are absolute ms on the engine's clock; 0 means "not set".
 * Kept as a flat class with a fixed shape so V8 stores it compactly.
 */
export class Job {
  /** position in the queue's ready list: creation order unless placed otherwise */
  rank: number;
  queued = false;
  /** true once the job has been queued at least once (RETRY 0 jobs refuse a second time) */
  everQueued = false;
  nacks = 0;
  additionalDeliveries = 0;
  /** when a delayed job becomes queued */
  awakeAt = 0;
  /** when an unacknowledged job is queued again */
  requeueAt = 0;
  /** the earliest time this job has an entry in the timer heap (Infinity: none) */
  scheduledAt = Infinity;
  /** okq: the client-chosen event id, unique among the queue's live jobs */
  eventId: string | undefined = undefined;
  /** takeanumber: RETRY budget given at ADD (-1: unlimited, Disque jobs) */
  retries = -1;
  /** RETRYs left before the job goes to the dead-letter list (-1: unlimited) */
  retriesLeft = -1;

  constructor(
    readonly id: string,
    readonly seq: number,
    readonly queue: string,
    readonly body: Buffer,
    readonly createdAt: number,
    /** seconds */
    readonly ttl: number,
    /** seconds */
    readonly retry: number,
    /** seconds */
    readonly delay: number,
    readonly repl: number,
  ) {
    this.rank = seq;
  }

  get expiresAt(): number {
    return this.createdAt + this.ttl * 1000;
  }

  /** the next time anything happens to this job on its own */
  wakeAt(): number {
    let at = this.expiresAt;
    if (this.awakeAt !== 0 && this.awakeAt < at) at = this.awakeAt;
    // A queued job's re-queue timer is rolled forward lazily, so it needs no wake-up.
    if (!this.queued && this.requeueAt !== 0 && this.requeueAt < at) at = this.requeueAt;
    return at;
  }

  /**
   * The re-queue time as Disque would report it: re-armed every RETRY seconds
   * while the job waits in the queue, so never in the past.
   */
  nextRequeueAt(now: number): number {
    if (this.requeueAt === 0 || this.requeueAt > now) return this.requeueAt;
    const period = this.retry * 1000;
    return this.requeueAt + Math.ceil((now - this.requeueAt + 1) / period) * period;
  }

  info(now: number): JobInfo {
    const wake = this.wakeAt();
    const info: JobInfo = {
      id: this.id,
      seq: this.seq,
      queue: this.queue,
      state: this.queued ? "queued" : "active",
      repl: this.repl,
      ttl: this.ttl,
      createdAt: this.createdAt,
      expiresAt: this.expiresAt,
      delay: this.delay,
      retry: this.retry,
      nacks: this.nacks,
      additionalDeliveries: this.additionalDeliveries,
      requeueAt: this.requeueAt === 0 ? null : this.nextRequeueAt(now),
      awakeAt: Number.isFinite(wake) ? wake : null,
      body: this.body,
      observedAt: now,
    };
    if (this.eventId !== undefined) info.eventId = this.eventId;
    if (this.retriesLeft >= 0) info.retriesLeft = this.retriesLeft;
    return info;
  }
}
