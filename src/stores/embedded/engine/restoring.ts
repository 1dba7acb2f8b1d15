import type { Attempt, JobResult, PauseState, QueuePolicy } from "../../../core/contract.js";
import { withAttempt } from "../../../core/failures.js";
import type { Job } from "./job.js";
import type { Change, StoredJob } from "../../../core/changes.js";
import { type DeadLetter } from "./deadletters.js";
import { FailingState } from "./failing.js";
import type { IdempotencyKey } from "./idempotency-keys.js";
import type { ReplayedJob } from "./restore.js";

/** Recovery and snapshots: what the journal calls to rebuild and to read the state. */
export abstract class RestoringEngine extends FailingState {
  // Used only by src/journal at start-up and for snapshots; none of them emits a change.

  /**
   * Jobs whose TTL had passed when their record was replayed, until the replay
   * ends (or a later record deletes them): a later record may dead-letter one.
   */
  private readonly expiredInReplay = new Map<string, StoredJob>();
  /** whether a restored job has a group: only then must finishRestore walk the queues for their rounds */
  private restoredGroups = false;
  /**
   * The moment a journal replay judges its jobs against (TTL passed, delay
   * over), read once when it begins: a clock read per restored job was
   * 2–3 % of recovering a million. A job whose time comes during the
   * replay is restored as it was at that moment, and its timer, run right
   * after, expires or wakes it. Undefined outside a replay (a test's
   * `apply`): the clock is read each time.
   */
  private restoreNow: number | undefined = undefined;

  beginRestore(): void {
    this.restoreNow = this.clock.now();
  }

  /**
   * The replay is over. An empty queue is not journaled, so a restart forgets
   * it (docs/persistence.md); replaying the records of jobs that have gone
   * must not bring their queue back either.
   */
  finishRestore(): void {
    this.restoreNow = undefined;
    this.expiredInReplay.clear();
    const groups = this.restoredGroups;
    this.restoredGroups = false;
    for (const queue of this.queues.values()) {
      // a walk over every queued job: a million of them without groups have no round to resume
      if (groups) queue.ready.resumeRounds();
      if (
        queue.ready.size === 0 &&
        queue.waiters.size === 0 &&
        queue.pause === "none" &&
        !this.backingOffByQueue.has(queue.name)
      )
        this.forgetQueue(queue);
    }
  }

  abstract flushAll(): void;
  abstract flushQueue(name: string): number;

  /**
   * Replays one recorded change (journal recovery): makes the mutation the
   * change stands for and records nothing. False when an added job had
   * expired and was not restored.
   */
  apply(change: Change): boolean {
    // a replay runs no command: the slots of the jobs it dropped are reused here
    this.jobs.recycle();
    switch (change.type) {
      case "add":
        return this.restoreJob(change.job);
      case "delete":
        this.forgetJob(change.id);
        break;
      case "counters":
        this.restoreCounters(change.id, change.nacks, change.additionalDeliveries);
        break;
      case "pause":
        this.restorePause(change.queue, change.state);
        break;
      case "flushall":
        // Replayed before the journal is attached, so the change it reports goes nowhere.
        this.flushAll();
        break;
      case "retry":
        this.restoreRetry(change.id, change.rank, change.retriesLeft, change.nacks);
        break;
      case "failed":
        this.restoreFailure(change);
        break;
      case "deadletter":
        this.restoreDeadLetter(change.id, change.reason, change.at, undefined, change);
        break;
      case "deadpurge":
        for (const id of change.ids) this.deadLetterLists.remove(change.queue, id);
        break;
      case "result":
        this.restoreResult(change);
        break;
      case "policy":
        this.restorePolicy(change.queue, change.policy);
        break;
      case "redrive":
        this.deadLetterLists.remove(change.queue, change.deadId);
        this.restoreJob(change.job);
        break;
      case "flushqueue":
        this.flushQueue(change.queue);
        break;
      case "idemkey": {
        const { queue, key, id, seq, expiresAt } = change;
        this.keys.set({ queue, key, id, seq, expiresAt }, this.clock.now());
        break;
      }
    }
    return true;
  }

  /**
   * Puts back a job read from the journal: queued, or delayed until `awakeAt`.
   * Its id must be new (`forgetJob` it first otherwise). False, and nothing
   * restored, if it has expired.
   */
  protected restoreJob(stored: ReplayedJob): boolean {
    const now = this.restoreNow ?? this.clock.now();
    // Even an expired job's numbers stay taken: its TaskQ number, and its seq (a redriven
    // job's record is not a job record, so the replay's own count does not see it).
    this.taskNumbers.note(stored.queue, stored.clientKey);
    this.restoreNextSeq(stored.seq + 1);
    // the key outlives its job: it is kept even when the job has expired
    if (stored.key !== undefined && stored.keyExpiresAt !== undefined) {
      const { queue, key, id, seq, keyExpiresAt: expiresAt } = stored;
      this.keys.set({ queue: this.queues.get(queue)?.name ?? queue, key, id, seq, expiresAt }, now);
    }
    if (stored.createdAt + stored.ttl * 1000 <= now) {
      // A later record may dead-letter it (a dead letter outlives its TTL, as it does live).
      // Any job can be (a budget from its queue, the server default or NACK … RETRIES), so
      // every one is held; those that expired while the server ran have a delete record,
      // which drops them, so what stays held is what expired while it was down.
      // a copy: a replayed job is a decoder's reused object (journal/reused-job-record.ts)
      const held: ReplayedJob = { ...stored, id: stored.id, idText: undefined, bodyRange: undefined };
      this.expiredInReplay.set(held.id, held);
      return false;
    }
    const { seq, createdAt, ttl, retry, delay, repl, idText } = stored;
    // no Buffer when the record's bytes are at hand
    const body = stored.bodyRange ?? stored.body;
    // One string per queue name, not one per restored job.
    const queue = this.queues.get(stored.queue)?.name ?? stored.queue;
    // no id string when the record's bytes are at hand
    const id = idText ? undefined : stored.id;
    const job = this.jobs.create(id, seq, queue, body, createdAt, ttl, retry, delay, repl, idText);
    job.rank = stored.rank;
    job.nacks = stored.nacks;
    job.additionalDeliveries = stored.additionalDeliveries;
    this.restoreRank(job.rank);
    if (stored.clientKey !== undefined) job.clientKey = stored.clientKey;
    if (stored.retryBudget !== undefined) job.retryBudget = stored.retryBudget;
    if (stored.retryBudgetLeft !== undefined) job.retryBudgetLeft = stored.retryBudgetLeft;
    restoreFailureFields(job, stored);
    if (stored.group !== undefined) this.restoredGroups = true;
    this.track(job);
    if (stored.awakeAt > now) {
      job.awakeAt = stored.awakeAt;
      // a job waiting out its backoff keeps its queue known (QSTAT counts it), as it does live
      if (stored.backingOff) {
        this.queueFor(queue, now);
        this.setBackingOff(job, true);
      }
    } else {
      this.enqueueJob(job, now);
      // Its re-queue time rolls forward from when it was first queued, as it does live.
      if (job.retry > 0) job.requeueAt = (stored.awakeAt || stored.createdAt) + job.retry * 1000;
    }
    this.schedule(job);
    return true;
  }

  /** A job the journal says was deleted later. */
  forgetJob(id: string): void {
    this.expiredInReplay.delete(id);
    const job = this.jobs.get(id);
    if (!job) return;
    this.forget(job);
    this.jobs.release(job.slot);
  }

  /** Counters set by a NACK, ENQUEUE or re-queue; the job was queued then, so it is no longer delayed. */
  protected restoreCounters(id: string, nacks: number, additionalDeliveries: number): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.nacks = nacks;
    job.additionalDeliveries = additionalDeliveries;
    if (job.awakeAt !== 0) {
      job.awakeAt = 0;
      this.enqueueJob(job, this.clock.now());
      this.schedule(job);
    } else if (job.retry > 0) {
      // The record carries no time: the re-queue phase restarts now, the nearest known moment.
      job.requeueAt = this.clock.now() + job.retry * 1000;
    }
  }

  protected restorePause(queue: string, state: PauseState): void {
    if (state === "none" && !this.queues.has(queue)) return;
    this.queueFor(queue, this.clock.now()).pause = state;
  }

  /**
   * A rank a re-queue handed out (the back of the queue takes the next seq,
   * the front the next front rank) stays taken, even when its job has gone
   * since (expired while the server was down): the seq would otherwise be
   * handed out again after the restart.
   */
  private restoreRank(rank: number): void {
    this.restoreNextSeq(rank + 1);
    if (rank <= this.nextFrontRank) this.nextFrontRank = rank - 1;
  }

  /** Sequence numbers continue after every one handed out before the restart. */
  restoreNextSeq(next: number): void {
    if (next > this.nextSeq) this.nextSeq = next;
  }

  /** A queue's TaskQ counter, as a snapshot recorded it. */
  restoreTaskNumber(queue: string, last: number): void {
    this.taskNumbers.raise(queue, last);
  }

  /** Every queue's highest TaskQ number: for snapshots. */
  taskNumberEntries(): IterableIterator<[string, number]> {
    return this.taskNumbers.entries();
  }

  /** The sequence number the next job will get. */
  peekNextSeq(): number {
    return this.nextSeq;
  }

  /** Bytes of job data held (live jobs, dead letters, results, idempotency keys; bodies plus an estimated overhead): O(1). */
  dataBytes(): number {
    return this.liveJobBytes + this.deadLetterLists.bytes + this.results.bytes + this.keys.bytes;
  }

  /** Live jobs: what jobsFrom(0) yields. */
  jobCount(): number {
    return this.jobs.size;
  }

  /** Live jobs in sequence order, from the first with seq >= `fromSeq`: for snapshots. */
  *jobsFrom(fromSeq: number): IterableIterator<Job> {
    for (const slot of this.bySeq.from(fromSeq)) yield this.jobs.view(slot);
  }

  /** takeanumber RETRY or okq QACK REDO replayed: the job moves to its new place with its budget. */
  protected restoreRetry(id: string, rank: number, retriesLeft: number, nacks: number): void {
    this.restoreRank(rank);
    const job = this.jobs.get(id);
    if (!job) return;
    this.unqueueJob(job);
    job.rank = rank;
    job.retryBudgetLeft = retriesLeft;
    job.nacks = nacks;
    // RETRY, REDO and nak queue the job at once, ending any delay (as live: requeueAt in state.ts).
    job.awakeAt = 0;
    this.enqueueJob(job, this.clock.now());
    this.schedule(job);
  }

  /** A failure that kept the job, replayed: its whole failure state after it. */
  protected restoreFailure(change: Extract<Change, { type: "failed" }>): void {
    this.restoreRank(change.rank);
    const job = this.jobs.get(change.id);
    if (!job) {
      const held = this.expiredInReplay.get(change.id);
      if (held) {
        held.retryBudget = change.retryBudget;
        held.retryBudgetLeft = change.retryBudgetLeft;
        held.attempts = withAttempt(held.attempts, change.attempt);
      }
      return;
    }
    const now = this.clock.now();
    this.unqueueJob(job);
    job.rank = change.rank;
    job.nacks = change.nacks;
    job.additionalDeliveries = change.additionalDeliveries;
    job.retryBudget = change.retryBudget;
    job.retryBudgetLeft = change.retryBudgetLeft;
    job.attempts = withAttempt(job.attempts, change.attempt);
    if (change.awakeAt > now) {
      job.awakeAt = change.awakeAt;
      job.requeueAt = 0;
      this.setBackingOff(job, true);
    } else {
      job.awakeAt = 0;
      this.enqueueJob(job, now);
    }
    this.schedule(job);
  }

  /** A result read back (a change or a snapshot); dropped when it has expired. */
  restoreResult(result: JobResult): void {
    const { id, queue, body, completedAt, expiresAt } = result;
    this.results.keep({ id, queue, body, completedAt, expiresAt }, this.clock.now());
  }

  /** A queue's policy read back (a change or a snapshot); {} removes it. */
  restorePolicy(queue: string, policy: QueuePolicy): void {
    if (Object.keys(policy).length === 0) this.policies.delete(queue);
    else this.policies.set(queue, policy);
    this.policyChanged(queue);
  }

  /** Every kept result, for snapshots. */
  resultEntries(): IterableIterator<JobResult> {
    return this.results.values();
  }

  /** The idempotency keys whose job is gone (a live job's own record brings its key back): for snapshots. */
  *orphanKeys(): IterableIterator<IdempotencyKey> {
    for (const entry of this.keys.values()) {
      if (this.jobs.get(entry.id)?.key !== entry.key) yield entry;
    }
  }

  /** Every queue policy, for snapshots. */
  policyEntries(): IterableIterator<[string, QueuePolicy]> {
    return this.policies.entries();
  }

  /** A live job the journal says was dead-lettered; or, from a snapshot, the letter itself. */
  restoreDeadLetter(
    id: string,
    reason: string,
    at: number,
    stored?: StoredJob,
    failure?: { attempt?: Attempt; retryBudget?: number },
  ): void {
    let job = this.jobs.get(id);
    stored ??= this.expiredInReplay.get(id);
    if (job) this.forget(job);
    else if (stored) {
      job = this.jobs.create(
        id,
        stored.seq,
        stored.queue,
        stored.body,
        stored.createdAt,
        stored.ttl,
        stored.retry,
        0,
        stored.repl,
      );
      job.clientKey = stored.clientKey;
      this.taskNumbers.note(stored.queue, stored.clientKey);
      job.retryBudget = stored.retryBudget ?? -1;
      job.retryBudgetLeft = stored.retryBudgetLeft ?? -1;
      restoreFailureFields(job, stored);
      this.restoreNextSeq(stored.seq + 1);
    } else return;
    if (failure?.attempt) job.attempts = withAttempt(job.attempts, failure.attempt);
    if (failure?.retryBudget !== undefined) {
      job.retryBudget = failure.retryBudget;
      job.retryBudgetLeft = 0;
    }
    this.deadLetterLists.add({ job, reason, at });
  }

  /** Every dead letter, for snapshots. */
  deadLetterEntries(): IterableIterator<DeadLetter> {
    return this.deadLetterLists.all();
  }

  /** Every queue whose pause state is not `none`: for snapshots. */
  pausedQueues(): Array<[string, PauseState]> {
    const out: Array<[string, PauseState]> = [];
    for (const queue of this.queues.values()) if (queue.pause !== "none") out.push([queue.name, queue.pause]);
    return out;
  }
}

/** The failure and scheduling settings and attempts a stored job carries (absent on plain Disque jobs). */
function restoreFailureFields(job: Job, stored: StoredJob): void {
  if (stored.priority !== undefined) job.priority = stored.priority;
  if (stored.round !== undefined) job.round = stored.round;
  if (stored.group !== undefined) job.group = stored.group;
  if (stored.key !== undefined) job.key = stored.key;
  if (stored.keyExpiresAt !== undefined) job.keyExpiresAt = stored.keyExpiresAt;
  if (stored.schedule !== undefined) job.schedule = stored.schedule;
  if (stored.backoff !== undefined) job.backoff = stored.backoff;
  if (stored.runTimeoutMs !== undefined) job.runTimeoutMs = stored.runTimeoutMs;
  if (stored.retryOnlyBudget) job.retryOnlyBudget = true;
  if (stored.origin !== undefined) job.origin = stored.origin;
  if (stored.attempts !== undefined && stored.attempts.length > 0) job.attempts = stored.attempts.slice();
}
