import { type Delivery, type QueuePolicy } from "../../../core/contract.js";
import type { EngineChange } from "./changes.js";
import type { Clock } from "../../../core/clock.js";
import { IdGenerator, newNodeId, type RandomSource } from "../../../core/ids.js";
import type { Job } from "./job.js";
import { JobTable, LIVE } from "./job-table.js";
import { Queue } from "./queue.js";
import { SortedList } from "./sorted-list.js";
import { TaskNumbers } from "./task-numbers.js";
import { TimerHeap } from "./timer-heap.js";
import { type Blocked, BlockedClients, type JobLeaveReason } from "./blocked.js";
import { DeadLetters } from "./deadletters.js";
import { ConsumerRegistrations } from "../../../core/registrations.js";
import { jobBytes } from "./memory.js";
import { Results } from "./results.js";
import { Leases } from "./explain-state.js";
import type { Consumer } from "../../../core/explain.js";
import { DEFAULT_PRIORITY, rateSlotAt, rateTatAfter } from "../../../core/scheduling.js";
import { IdempotencyKeys } from "./idempotency-keys.js";

/** A queue unused this long, empty, unpaused and with nobody waiting is dropped. */
export const QUEUE_IDLE_GC_MS = 300_000;
const GC_INTERVAL_MS = 10_000;

export interface EngineOptions {
  clock: Clock;
  nodeId?: string;
  random?: RandomSource;
  /** largest job body accepted, in bytes */
  maxJobSize?: number;
  /** host and port HELLO reports for this node */
  host?: string;
  port?: number;
  /** every state change, for the journal; called synchronously */
  onChange?: (change: EngineChange) => void;
  /** told whenever the earliest timer moves earlier, so a driver can arm one timer */
  onWake?: (at: number) => void;
  /** told at every delivery, for metrics (add-to-fetch latency); called synchronously */
  onDeliver?: (queue: string, createdAt: number, now: number) => void;
}

/**
 * The engine's state and the moves every command is made of: jobs, queues,
 * timers, blocked clients. Commands live in the subclasses (engine.ts, Disque;
 * dialects.ts, okq/takeanumber/TaskQ; restoring.ts, the journal's restore),
 * so that each file holds one concept.
 */
export abstract class EngineState {
  protected ownNodeId: string;
  /** a write barrier installed by the journal; undefined when nothing is pending */
  durability: (() => Promise<void> | undefined) | undefined;

  protected readonly clock: Clock;
  protected readonly random: RandomSource | undefined;
  protected ids: IdGenerator;
  /** every job's fields (live ones found by id, dead letters held): job-table.ts */
  protected readonly jobs = new JobTable();
  /** every live job's slot by sequence number: JSCAN cursors, showBySeq */
  protected readonly bySeq = new SortedList<number>((slot) => this.jobs.seqOf(slot));
  protected readonly queues = new Map<string, Queue>();
  /** the same queues by serial: QSCAN starts at its cursor without walking the ones before */
  protected readonly queuesBySerial = new SortedList<Queue>((queue) => queue.serial);
  /** jobs' times (by slot), blocked clients' deadlines, and rate-limited queues' next slot for their blocked fetchers */
  protected readonly timers = new TimerHeap<number | Blocked | Queue>();
  protected readonly onChange: ((change: EngineChange) => void) | undefined;
  protected readonly onWake: ((at: number) => void) | undefined;
  /** settable after construction, so a front door can attach its metrics */
  onDeliver: ((queue: string, createdAt: number, now: number) => void) | undefined;
  /** address HELLO reports; the server sets the port once it listens */
  host: string;
  port: number;
  maxJobSize: number;
  leaving = false;
  protected nextSeq = 1;
  protected nextQueueSerial = 1;
  /** ranks below every creation rank, for jobs placed at the front */
  protected nextFrontRank = -1;
  protected nextGcAt = 0;
  /** GETJOB, WAITJOB and QNOTIFY clients waiting */
  protected readonly blocked = new BlockedClients(
    (name) => this.queueFor(name, this.clock.now()),
    (name) => this.queues.get(name),
    () => this.clock.now(),
    (at, client) => this.pushTimer(at, client),
  );
  /** heap entries allowed beyond twice the live ones before stale entries are dropped */
  protected timerSlack = 1024;
  protected readonly totals = {
    added: 0,
    delivered: 0,
    acked: 0,
    expired: 0,
    requeued: 0,
    retried: 0,
    deadLettered: 0,
    timedOut: 0,
    deadLettersEvicted: 0,
  };
  /** ACKJOB … RESULT: kept until they expire */
  protected readonly results = new Results();
  /** delivered jobs: to whom, since when, last WORKING (EXPLAIN; QSTAT inFlight) */
  protected readonly leases = new Leases();
  /** jobs in state `backoff`, per queue (QSTAT) */
  protected readonly backingOffByQueue = new Map<string, number>();
  /** okq event ids: `queue NUL eventId` → live job's slot */
  protected readonly eventIds = new Map<string, number>();
  /** TaskQ task ids, per queue */
  protected readonly taskNumbers = new TaskNumbers();
  /** live jobs per queue (waiting, delivered or delayed): takeanumber LEN, okq QSTATUS */
  protected readonly liveByQueue = new Map<string, number>();
  protected readonly deadLetterLists = new DeadLetters();
  /** what the live jobs are counted for against --maxmemory: a running total (see memory.ts) */
  protected liveJobBytes = 0;
  /** idempotency keys, per queue, until they expire */
  protected readonly keys = new IdempotencyKeys();
  /** okq QREGISTER: consumer → the queues it waits on with QNOTIFY */
  protected readonly registrations = new ConsumerRegistrations();

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.random = options.random;
    this.ownNodeId = options.nodeId ?? newNodeId(options.random);
    this.ids = new IdGenerator(this.ownNodeId.slice(0, 8), options.random);
    this.onChange = options.onChange;
    this.onWake = options.onWake;
    this.onDeliver = options.onDeliver;
    this.host = options.host ?? "127.0.0.1";
    this.port = options.port ?? 7711;
    this.maxJobSize = options.maxJobSize ?? 16 * 1024 * 1024;
  }

  get nodeId(): string {
    return this.ownNodeId;
  }

  /** The data directory's node id (journal/node-id.ts): taken at start-up, before any job exists. */
  adoptNodeId(id: string): void {
    if (this.jobs.size > 0) throw new Error("a node id can only be adopted before any job exists");
    this.ownNodeId = id;
    this.ids = new IdGenerator(id.slice(0, 8), this.random);
  }

  // ---------------------------------------------------------------- timers

  /** When `runDue()` next has work, or Infinity. */
  nextWakeAt(): number {
    const next = Math.min(this.timers.peekTime(), this.results.nextExpiry());
    return this.queues.size > 0 ? Math.min(next, this.nextGcAt) : next;
  }

  /**
   * Runs every timer that is due on the clock: expiries, delays, re-queues, time-outs. Returns
   * the clock reading it ran at, which the command that called it goes on with (one reading a
   * command: each costs about as much as a field of its journal record).
   */
  runDue(): number {
    // every command starts here: the slots the last one gave up may be reused now
    this.jobs.recycle();
    const now = this.clock.now();
    this.results.expire(now);
    this.keys.expire(now);
    let entry: number | Blocked | Queue | undefined;
    while ((entry = this.timers.popDue(now)) !== undefined) {
      if (typeof entry === "number") this.runJobTimersAt(this.timers.poppedAt, entry, now);
      else this.runOtherTimer(entry, now);
    }
    if (now >= this.nextGcAt) {
      this.collectIdleQueues(now);
      this.nextGcAt = now + GC_INTERVAL_MS;
    }
    return now;
  }

  /**
   * Runs the timers of the jobs due at `at` (the first popped already) in creation (seq)
   * order: the heap keeps no order among equal times, and the order is seen (dead letters
   * are listed in it). The Redis store's due-12.lua runs them in the same order.
   */
  private runJobTimersAt(at: number, first: number, now: number): void {
    if (this.timers.peekTime() !== at) {
      this.runJobTimers(first, at, now);
      return;
    }
    const slots = [first];
    while (this.timers.peekTime() === at) {
      const entry = this.timers.popDue(now)!;
      if (typeof entry === "number") slots.push(entry);
      else this.runOtherTimer(entry, now);
    }
    slots.sort((a, b) => this.jobs.seqOf(a) - this.jobs.seqOf(b));
    for (const slot of slots) this.runJobTimers(slot, at, now);
  }

  private runJobTimers(slot: number, at: number, now: number): void {
    // checked now, not when popped: a job run before it at the same moment may have removed it
    if (!this.timerIsCurrent(slot, at)) return;
    const job = this.jobs.view(slot);
    job.scheduledAt = Infinity;
    this.processJobTimers(job, now);
  }

  /** A rate limit's next slot (the queue's waiters look again) or a blocked client's deadline. */
  private runOtherTimer(entry: Blocked | Queue, now: number): void {
    if (entry instanceof Queue) {
      if (entry.rateWakeAt !== 0 && entry.rateWakeAt <= now) {
        entry.rateWakeAt = 0;
        if (this.queues.get(entry.name) === entry) this.serveWaiters(entry, now);
      }
    } else if (!entry.done && entry.deadline <= now) this.blocked.cancel(entry);
  }

  protected processJobTimers(job: Job, now: number): void {
    if (job.expiresAt <= now) {
      this.totals.expired++;
      this.removeJob(job, "expire");
      return;
    }
    if (job.awakeAt !== 0 && job.awakeAt <= now) {
      job.awakeAt = 0;
      this.enqueueJob(job, now);
    } else if (!job.queued && job.requeueAt !== 0 && job.requeueAt <= now) {
      // A delayed job postponed by WORKING is queued here: its delay timer is spent, and
      // as it was never delivered, this is not an additional delivery.
      job.awakeAt = 0;
      if (job.everQueued) {
        this.totals.requeued++;
        // the lease ran out: a failure (it may dead-letter the job)
        if (this.leaseRanOut(job, now) === "deadlettered") return;
      } else this.enqueueJob(job, now);
    }
    this.schedule(job);
  }

  /** A delivered job's lease ran out: the one failure path (failing.ts) queues it again or dead-letters it. */
  protected abstract leaseRanOut(job: Job, now: number): "requeued" | "deadlettered";

  /** Marks a job as waiting out a backoff (or no longer), keeping the per-queue count. */
  protected setBackingOff(job: Job, on: boolean): void {
    if (job.backingOff === on) return;
    job.backingOff = on;
    const count = (this.backingOffByQueue.get(job.queue) ?? 0) + (on ? 1 : -1);
    if (count > 0) this.backingOffByQueue.set(job.queue, count);
    else this.backingOffByQueue.delete(job.queue);
    if (on) this.endLease(job, true);
  }

  protected schedule(job: Job): void {
    const at = job.wakeAt();
    if (at < job.scheduledAt) {
      job.scheduledAt = at;
      this.pushTimer(at, job.slot);
    }
  }

  /** A job's timer-heap entry is its current one (not superseded, not of a job that has gone). */
  private timerIsCurrent(slot: number, at: number): boolean {
    return this.jobs.kindOf(slot) === LIVE && this.jobs.scheduledAtOf(slot) === at;
  }

  protected pushTimer(at: number, entry: number | Blocked | Queue): void {
    const before = this.timers.peekTime();
    if (this.timers.size >= 2 * (this.jobs.size + this.blocked.size) + this.timerSlack) this.compactTimers();
    this.timers.push(at, entry);
    if (at < before) this.onWake?.(at);
  }

  /**
   * Drops the entries lazy cancellation left behind (deleted jobs, superseded
   * times, finished waiters), so the heap follows live jobs and does not keep
   * acked jobs and their bodies alive until their TTL. Amortized O(1) per push.
   */
  protected compactTimers(): void {
    const kept = new Set<number | Blocked | Queue>();
    this.timers.retain((entry, at) => {
      if (kept.has(entry)) return false;
      const live =
        typeof entry === "number"
          ? this.timerIsCurrent(entry, at)
          : entry instanceof Queue
            ? this.queues.get(entry.name) === entry && at === entry.rateWakeAt
            : !entry.done;
      if (live) kept.add(entry);
      return live;
    });
  }

  protected forgetQueue(queue: Queue): void {
    this.queues.delete(queue.name);
    this.queuesBySerial.remove(queue.serial);
  }

  protected collectIdleQueues(now: number): void {
    for (const queue of this.queues.values()) {
      if (
        // its groups' in-flight counts would go with it
        queue.ready.idle &&
        queue.waiters.size === 0 &&
        queue.pause === "none" &&
        !this.backingOffByQueue.has(queue.name) &&
        // its rate state would go with it (a fresh burst too early)
        queue.tat <= now &&
        now - queue.touchedAt >= QUEUE_IDLE_GC_MS
      ) {
        this.forgetQueue(queue);
      }
    }
  }

  // ------------------------------------------------------------ job moves

  protected queueFor(name: string, now: number): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, this.nextQueueSerial++, now, now, this.jobs);
      this.applyPolicy(queue);
      this.queues.set(name, queue);
      this.queuesBySerial.insert(queue);
      if (this.queues.size === 1) this.nextGcAt = now + GC_INTERVAL_MS;
    }
    return queue;
  }

  /** Puts a job into its queue's ready list, at its place, and serves waiters. */
  protected enqueueJob(job: Job, now: number): void {
    const queue = this.queueFor(job.queue, now);
    if (job.backingOff) this.setBackingOff(job, false);
    // its own return is served below, ahead of any job its group's freed slot lets go
    this.endLease(job, false);
    job.queued = true;
    job.everQueued = true;
    job.requeueAt = job.retry > 0 ? now + job.retry * 1000 : 0;
    queue.ready.insert(job);
    queue.jobsIn++;
    queue.touchedAt = now;
    if (this.blocked.hasNotifiers && !queue.pausedOut) this.blocked.wakeNotifiers(queue.name);
    if (queue.waiters.size > 0) this.serveWaiters(queue, now);
  }

  /** Takes the next ready job off a queue and marks it delivered. */
  protected takeJob(queue: Queue, now: number): Job | undefined {
    const limit = queue.rateLimit;
    if (limit !== undefined && rateSlotAt(queue.tat, now, limit) > now) return undefined;
    const job = queue.ready.take();
    if (!job) return undefined;
    if (limit !== undefined) queue.tat = rateTatAfter(queue.tat, now, limit);
    job.queued = false;
    // The lease runs from delivery, so a job that waited long in the queue is not re-sent at once.
    job.requeueAt = job.retry > 0 ? now + job.retry * 1000 : 0;
    queue.jobsOut++;
    queue.touchedAt = now;
    this.totals.delivered++;
    this.schedule(job);
    if (this.onDeliver) this.onDeliver(job.queue, job.createdAt, now);
    return job;
  }

  protected unqueueJob(job: Job): void {
    if (!job.queued) return;
    this.queues.get(job.queue)?.ready.remove(job);
    job.queued = false;
  }

  protected removeJob(job: Job, reason: "ack" | "fastack" | "deljob" | "expire" | "noack"): void {
    this.forget(job);
    this.emit({ type: "delete", id: job.id, reason });
    this.jobLeft(job.id, reason);
    this.jobs.release(job.slot);
  }

  /** WAITJOB: wakes whoever waits for this job to go. */
  protected jobLeft(id: string, reason: JobLeaveReason): void {
    if (this.blocked.hasJobWaiters) this.blocked.jobLeft(id, reason);
  }

  protected emit(change: EngineChange): void {
    if (this.onChange) this.onChange(change);
  }

  // ------------------------------------------------------------- waiters

  protected serveWaiters(queue: Queue, now: number): void {
    if (queue.pausedOut) return;
    for (const waiter of queue.waiters) {
      const job = this.takeJob(queue, now);
      if (!job) {
        this.armRateWake(queue, now);
        return;
      }
      const taken = delivery(job);
      this.afterTake(job, waiter.leaseSeconds, waiter.consume, now, waiter.consumer);
      this.blocked.serve(waiter, [taken]);
    }
  }

  /**
   * A rate-limited queue with ready jobs and blocked fetchers: the timer
   * heap serves them at the next slot (no polling).
   */
  protected armRateWake(queue: Queue, now: number): void {
    const limit = queue.rateLimit;
    if (limit === undefined || queue.waiters.size === 0 || queue.ready.size === 0) return;
    const at = rateSlotAt(queue.tat, now, limit);
    if (at <= now || (queue.rateWakeAt !== 0 && queue.rateWakeAt <= at)) return;
    queue.rateWakeAt = at;
    this.pushTimer(at, queue);
  }

  /** A queue takes its policy's rate limit and GROUPLIMIT (a new queue, or QPOLICY). */
  protected applyPolicy(queue: Queue): void {
    const policy = this.policyOf(queue.name);
    queue.rateLimit = policy?.rateLimit;
    if (queue.rateLimit === undefined) {
      queue.tat = 0;
      queue.rateWakeAt = 0;
    }
    queue.ready.setGroupLimit(policy?.groupLimit ?? 0, this.leases.ofQueue(queue.name));
  }

  /** QPOLICY (or its replay): the queue follows its new limits, and a looser one serves its blocked fetchers. */
  protected policyChanged(name: string): void {
    const queue = this.queues.get(name);
    if (!queue) return;
    this.applyPolicy(queue);
    if (queue.waiters.size > 0) this.serveWaiters(queue, this.clock.now());
  }

  /** the queue's policy (failing.ts keeps them) */
  protected abstract policyOf(queue: string): QueuePolicy | undefined;

  /** A job was leased: its group has one more in flight. */
  protected startLease(job: Job, consumer: Consumer | undefined, now: number): void {
    if (this.leases.start(job, consumer, now)) this.queues.get(job.queue)?.ready.leased(job);
  }

  /**
   * A lease ended (the job is back, done or backing off). With `serve`, a
   * blocked fetcher gets the job of its group that the freed slot lets go.
   */
  protected endLease(job: Job, serve: boolean): void {
    if (!this.leases.end(job)) return;
    const queue = this.queues.get(job.queue);
    if (queue && queue.ready.landed(job) && serve && queue.waiters.size > 0) {
      this.serveWaiters(queue, this.clock.now());
    }
  }

  // ------------------------------------------------- live indexes and lease

  /** Registers a new live job in the indexes (jobs, seq, event ids, per-queue counts). */
  protected track(job: Job): void {
    this.jobs.link(job.slot);
    this.liveJobBytes += jobBytes(job);
    this.bySeq.insert(job.slot);
    this.liveByQueue.set(job.queue, (this.liveByQueue.get(job.queue) ?? 0) + 1);
    if (job.clientKey !== undefined) this.eventIds.set(eventKey(job.queue, job.clientKey), job.slot);
  }

  /** Takes a job out of every live index without recording anything. */
  protected forget(job: Job): void {
    this.unqueueJob(job);
    if (job.backingOff) this.setBackingOff(job, false);
    const known = this.jobs.unlink(job.slot);
    if (known) this.liveJobBytes -= jobBytes(job);
    this.bySeq.remove(job.seq);
    job.scheduledAt = -Infinity;
    const live = (this.liveByQueue.get(job.queue) ?? 1) - 1;
    if (live > 0) this.liveByQueue.set(job.queue, live);
    else this.liveByQueue.delete(job.queue);
    if (job.clientKey !== undefined) {
      const key = eventKey(job.queue, job.clientKey);
      if (this.eventIds.get(key) === job.slot) this.eventIds.delete(key);
    }
    // last: a blocked fetcher may be served the job its group's freed slot lets go
    this.endLease(job, known);
  }

  /** Per-fetch options: okq EX (lease override) and NOACK (fetch-and-delete). */
  protected afterTake(
    job: Job,
    leaseSeconds: number | undefined,
    consume: boolean,
    now: number,
    consumer: Consumer | undefined,
  ): void {
    if (consume) {
      this.removeJob(job, "noack");
      return;
    }
    this.startLease(job, consumer, now);
    if (leaseSeconds !== undefined && job.retry > 0) {
      job.requeueAt = now + leaseSeconds * 1000;
      this.schedule(job);
    }
  }

  /** A negative acknowledgement that places the job: queued now at `rank`, one more NACK (RETRY, QACK REDO, emq nak). */
  protected requeueAt(job: Job, rank: number, now: number): void {
    job.nacks++;
    this.unqueueJob(job);
    job.rank = rank;
    job.awakeAt = 0;
    this.emit({ type: "retry", id: job.id, rank, retriesLeft: job.retryBudgetLeft, nacks: job.nacks });
    this.enqueueJob(job, now);
    this.schedule(job);
  }
}

export function delivery(job: Job): Delivery {
  const out: Delivery = {
    queue: job.queue,
    id: job.id,
    seq: job.seq,
    body: job.body,
    nacks: job.nacks,
    additionalDeliveries: job.additionalDeliveries,
  };
  if (job.clientKey !== undefined) out.clientKey = job.clientKey;
  if (job.retryBudgetLeft >= 0) out.retryBudgetLeft = job.retryBudgetLeft;
  if (job.runTimeoutMs !== undefined) out.runTimeoutMs = job.runTimeoutMs;
  if (job.priority !== DEFAULT_PRIORITY) out.priority = job.priority;
  const group = job.group;
  if (group !== undefined) out.group = group;
  return out;
}

export function eventKey(queue: string, eventId: string): string {
  return `${queue}\u0000${eventId}`;
}
