import {
  BrokerError,
  type AddJobRequest,
  type AddJobResult,
  type Broker,
  type DeadLetterInfo,
  type JobRef,
  type NackPlacement,
  type QueueCounts,
  type BrokerStats,
  type Delivery,
  type GetJobsRequest,
  type JobInfo,
  type JobScanOptions,
  type JobState,
  type JobWaitOutcome,
  nodePriority,
  type NodeInfo,
  type PauseOp,
  type PauseState,
  type QueueScanOptions,
  type QueueStats,
  type ScanResult,
} from "../../../core/contract.js";
import { MAX_LISTING_COUNT, scanBudget } from "../../../core/listing-limits.js";
import type { EngineChange } from "./changes.js";
import type { Clock } from "../../../core/clock.js";
import { IdGenerator, newNodeId, type RandomSource } from "../../../core/ids.js";
import { Job } from "./job.js";
import { Queue } from "./queue.js";
import type { StoredJob } from "./restore.js";
import { SortedList } from "./sorted-list.js";
import { TaskNumbers } from "./task-numbers.js";
import { TimerHeap } from "./timer-heap.js";
import { Waiter } from "./waiter.js";
import { type DeadLetter, DeadLetters, deadLetterInfo } from "./deadletters.js";
import { Notifier } from "./notifier.js";
import { ConsumerRegistrations } from "../../../core/registrations.js";
import { addJobSettings } from "../../../core/validate.js";
import { jobBytes } from "./memory.js";
import { checkIds } from "../../../core/job-id-check.js";
import { foldPauseOps } from "../../../core/pause-ops.js";
import { JobScanFilter } from "../../../core/job-scan.js";
import { checkLeaseSeconds } from "../../../core/lease.js";

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
 * The in-process broker: queues, jobs, leases and timers, pure and
 * synchronous. It owns no sockets, files or timers: time comes from the
 * injected clock, and a driver calls `runDue()` when `nextWakeAt()` comes.
 */
export class Engine implements Broker {
  private ownNodeId: string;
  /** a write barrier installed by the journal; undefined when nothing is pending */
  durability: (() => Promise<void> | undefined) | undefined;

  private readonly clock: Clock;
  private readonly random: RandomSource | undefined;
  private ids: IdGenerator;
  private readonly jobs = new Map<string, Job>();
  /** every job by sequence number: JSCAN cursors, showBySeq */
  private readonly bySeq = new SortedList<Job>((job) => job.seq);
  private readonly queues = new Map<string, Queue>();
  /** the same queues by serial: QSCAN starts at its cursor without walking the ones before */
  private readonly queuesBySerial = new SortedList<Queue>((queue) => queue.serial);
  private readonly timers = new TimerHeap<Job | Waiter>();
  private readonly onChange: ((change: EngineChange) => void) | undefined;
  private readonly onWake: ((at: number) => void) | undefined;
  /** settable after construction, so a front door can attach its metrics */
  onDeliver: ((queue: string, createdAt: number, now: number) => void) | undefined;
  /** address HELLO reports; the server sets the port once it listens */
  host: string;
  port: number;
  maxJobSize: number;
  leaving = false;
  private nextSeq = 1;
  private nextQueueSerial = 1;
  /** ranks below every creation rank, for jobs placed at the front */
  private nextFrontRank = -1;
  private nextGcAt = 0;
  private blocked = 0;
  /** heap entries allowed beyond twice the live ones before stale entries are dropped */
  private timerSlack = 1024;
  private readonly totals = { added: 0, delivered: 0, acked: 0, expired: 0, requeued: 0 };
  /** WAITJOB: who waits for each job to go, told why it went */
  private readonly jobWaiters = new Map<string, Set<(outcome: JobWaitOutcome) => void>>();
  /** okq event ids: `queue NUL eventId` → live job */
  private readonly eventIds = new Map<string, Job>();
  /** TaskQ task ids, per queue */
  private readonly taskNumbers = new TaskNumbers();
  /** live jobs per queue (waiting, delivered or delayed): takeanumber LEN, okq QSTATUS */
  private readonly liveByQueue = new Map<string, number>();
  private readonly deadLetterLists = new DeadLetters();
  /** what the live jobs are counted for against --maxmemory: a running total (see memory.ts) */
  private liveJobBytes = 0;
  /** okq QREGISTER: consumer → the queues it waits on with QNOTIFY */
  private readonly registrations = new ConsumerRegistrations();
  /** blocked QNOTIFYs per queue */
  private readonly notifiers = new Map<string, Set<Notifier>>();

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
    const next = this.timers.peekTime();
    return this.queues.size > 0 ? Math.min(next, this.nextGcAt) : next;
  }

  /** Runs every timer that is due on the clock: expiries, delays, re-queues, time-outs. */
  runDue(): void {
    const now = this.clock.now();
    let entry: Job | Waiter | undefined;
    while ((entry = this.timers.popDue(now)) !== undefined) {
      if (entry instanceof Waiter) {
        if (!entry.done && entry.deadline <= now) this.finishWaiter(entry, null);
      } else if (this.jobs.get(entry.id) === entry) {
        entry.scheduledAt = Infinity;
        this.processJobTimers(entry, now);
      }
    }
    if (now >= this.nextGcAt) {
      this.collectIdleQueues(now);
      this.nextGcAt = now + GC_INTERVAL_MS;
    }
  }

  private processJobTimers(job: Job, now: number): void {
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
        job.additionalDeliveries++;
        this.totals.requeued++;
        this.emit({
          type: "counters",
          id: job.id,
          nacks: job.nacks,
          additionalDeliveries: job.additionalDeliveries,
        });
      }
      this.enqueueJob(job, now);
    }
    this.schedule(job);
  }

  private schedule(job: Job): void {
    const at = job.wakeAt();
    if (at < job.scheduledAt) {
      job.scheduledAt = at;
      this.pushTimer(at, job);
    }
  }

  private pushTimer(at: number, entry: Job | Waiter): void {
    const before = this.timers.peekTime();
    if (this.timers.size >= 2 * (this.jobs.size + this.blocked) + this.timerSlack) this.compactTimers();
    this.timers.push(at, entry);
    if (at < before) this.onWake?.(at);
  }

  /**
   * Drops the entries lazy cancellation left behind (deleted jobs, superseded
   * times, finished waiters), so the heap follows live jobs and does not keep
   * acked jobs and their bodies alive until their TTL. Amortized O(1) per push.
   */
  private compactTimers(): void {
    const kept = new Set<Job | Waiter>();
    this.timers.retain((entry, at) => {
      if (kept.has(entry)) return false;
      const live =
        entry instanceof Waiter ? !entry.done : this.jobs.get(entry.id) === entry && at === entry.scheduledAt;
      if (live) kept.add(entry);
      return live;
    });
  }

  private forgetQueue(queue: Queue): void {
    this.queues.delete(queue.name);
    this.queuesBySerial.remove(queue.serial);
  }

  private collectIdleQueues(now: number): void {
    for (const queue of this.queues.values()) {
      if (
        queue.ready.size === 0 &&
        queue.waiters.size === 0 &&
        queue.pause === "none" &&
        now - queue.touchedAt >= QUEUE_IDLE_GC_MS
      ) {
        this.forgetQueue(queue);
      }
    }
  }

  // ------------------------------------------------------------ job moves

  private queueFor(name: string, now: number): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = new Queue(name, this.nextQueueSerial++, now, now);
      this.queues.set(name, queue);
      this.queuesBySerial.insert(queue);
      if (this.queues.size === 1) this.nextGcAt = now + GC_INTERVAL_MS;
    }
    return queue;
  }

  /** Puts a job into its queue's ready list, at its place, and serves waiters. */
  private enqueueJob(job: Job, now: number): void {
    const queue = this.queueFor(job.queue, now);
    job.queued = true;
    job.everQueued = true;
    job.requeueAt = job.retry > 0 ? now + job.retry * 1000 : 0;
    queue.ready.insert(job);
    queue.jobsIn++;
    queue.touchedAt = now;
    if (this.notifiers.size > 0 && !queue.pausedOut) this.wakeNotifiers(queue.name);
    if (queue.waiters.size > 0) this.serveWaiters(queue, now);
  }

  /** Takes the next ready job off a queue and marks it delivered. */
  private takeJob(queue: Queue, now: number): Job | undefined {
    const job = queue.ready.shift();
    if (!job) return undefined;
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

  private unqueueJob(job: Job): void {
    if (!job.queued) return;
    this.queues.get(job.queue)?.ready.remove(job.rank);
    job.queued = false;
  }

  private removeJob(job: Job, reason: "ack" | "fastack" | "deljob" | "expire" | "noack"): void {
    this.forget(job);
    this.emit({ type: "delete", id: job.id, reason });
    if (this.jobWaiters.size > 0) this.wakeJobWaiters(job.id, reason);
  }

  private wakeJobWaiters(
    id: string,
    reason: "ack" | "fastack" | "deljob" | "expire" | "noack" | "flushall" | "flushqueue" | "deadletter",
  ): void {
    const waiters = this.jobWaiters.get(id);
    if (!waiters) return;
    this.jobWaiters.delete(id);
    // A job consumed by a NOACK fetch is done, as an acknowledged one is.
    const outcome: JobWaitOutcome =
      reason === "ack" || reason === "noack" ? "acked" : reason === "expire" ? "expired" : "deleted";
    for (const notify of waiters) notify(outcome);
  }

  private emit(change: EngineChange): void {
    if (this.onChange) this.onChange(change);
  }

  // ------------------------------------------------------------- waiters

  private serveWaiters(queue: Queue, now: number): void {
    if (queue.pausedOut) return;
    for (const waiter of queue.waiters) {
      const job = this.takeJob(queue, now);
      if (!job) return;
      const taken = delivery(job);
      this.afterTake(job, waiter.leaseSeconds, waiter.consume, now);
      this.finishWaiter(waiter, [taken]);
    }
  }

  private finishWaiter(waiter: Waiter, jobs: Delivery[] | null): void {
    waiter.done = true;
    this.blocked--;
    for (const name of waiter.queues) {
      const queue = this.queues.get(name);
      if (queue) {
        queue.waiters.delete(waiter);
        queue.touchedAt = this.clock.now();
      }
    }
    waiter.resolve(jobs);
  }

  // ------------------------------------------------------------ commands

  addJob(req: AddJobRequest): AddJobResult {
    this.runDue();
    const { ttl, retry, delay, repl } = addJobSettings(req, this.maxJobSize);
    if (repl > 1) {
      throw new BrokerError("NOREPL", "Not enough reachable nodes for the requested replication level");
    }
    const now = this.clock.now();
    const eventId = req.numbered ? String(this.taskNumbers.next(req.queue)) : req.eventId;
    if (eventId !== undefined && this.eventIds.has(eventKey(req.queue, eventId))) {
      throw new BrokerError("ERR", `duplicate event ${eventId}`);
    }
    const existing = this.queues.get(req.queue);
    if (req.maxlen !== undefined && existing && existing.ready.size >= req.maxlen) {
      throw new BrokerError("MAXLEN", "Queue is already longer than the specified MAXLEN count");
    }
    if (existing?.pausedIn) throw new BrokerError("PAUSED", "Queue paused in input, try later");

    const seq = this.nextSeq++;
    // The queue's own name string, not the door's copy: one string per queue, not per job.
    const queueName = existing?.name ?? req.queue;
    const job = new Job(this.ids.next(ttl, retry), seq, queueName, req.body, now, ttl, retry, delay, repl);
    if (req.placement === "front") job.rank = this.nextFrontRank--;
    if (eventId !== undefined) job.eventId = eventId;
    if (req.retries !== undefined) job.retries = job.retriesLeft = req.retries;
    if (delay > 0) job.awakeAt = now + delay * 1000;
    // Recorded first, with its delay already set: a job the journal refuses (it throws) leaves no trace.
    this.emit({ type: "add", job });
    this.track(job);
    this.taskNumbers.note(queueName, eventId);
    this.totals.added++;
    if (delay === 0) this.enqueueJob(job, now);
    this.schedule(job);
    return eventId === undefined ? { id: job.id, seq } : { id: job.id, seq, eventId };
  }

  getJobs(req: GetJobsRequest): Delivery[] | null | Promise<Delivery[] | null> {
    this.runDue();
    const now = this.clock.now();
    checkLeaseSeconds(req.leaseSeconds);
    const taken = this.takeRounds(req, now);
    if (taken.length > 0) return taken;
    if (req.nohang) return null;
    if (req.signal?.aborted) return null;
    return new Promise((resolve) => {
      const deadline = req.timeoutMs > 0 ? now + req.timeoutMs : 0;
      const waiter = new Waiter(req.queues, deadline, resolve);
      waiter.leaseSeconds = req.leaseSeconds;
      waiter.consume = req.consume === true;
      for (const name of req.queues) this.queueFor(name, now).waiters.add(waiter);
      this.blocked++;
      if (deadline > 0) this.pushTimer(deadline, waiter);
      req.signal?.addEventListener("abort", () => {
        if (!waiter.done) this.finishWaiter(waiter, null);
      });
    });
  }

  /** GETJOB's rounds: at most one job per queue per round, left to right. */
  private takeRounds(req: GetJobsRequest, now: number): Delivery[] {
    const { queues: names, count, leaseSeconds } = req;
    const consume = req.consume === true;
    const create = req.createQueues === true;
    const taken: Delivery[] = [];
    while (taken.length < count) {
      const before = taken.length;
      for (const name of names) {
        const queue = create ? this.queueFor(name, now) : this.queues.get(name);
        if (!queue || queue.pausedOut) continue;
        const job = this.takeJob(queue, now);
        if (!job) continue;
        taken.push(delivery(job));
        this.afterTake(job, leaseSeconds, consume, now);
        if (taken.length === count) break;
      }
      if (taken.length === before) break;
    }
    return taken;
  }

  ackJobs(ids: string[]): number {
    return this.removeEach(ids, "ack");
  }

  fastAck(ids: string[]): number {
    return this.removeEach(ids, "fastack");
  }

  deleteJobs(ids: string[]): number {
    return this.removeEach(ids, "deljob");
  }

  private removeEach(ids: string[], reason: "ack" | "fastack" | "deljob"): number {
    this.runDue();
    checkIds(ids);
    let removed = 0;
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job) continue;
      if (reason === "ack") this.totals.acked++;
      this.removeJob(job, reason);
      removed++;
    }
    return removed;
  }

  nack(ids: string[], placement: NackPlacement = "own"): number {
    return this.putBack(ids, placement === "back" ? "nack-to-back" : "nack");
  }

  enqueue(ids: string[]): number {
    return this.putBack(ids, "enqueue");
  }

  release(ids: string[]): number {
    return this.putBack(ids, "release");
  }

  private putBack(ids: string[], how: "nack" | "nack-to-back" | "enqueue" | "release"): number {
    this.runDue();
    checkIds(ids);
    const now = this.clock.now();
    let moved = 0;
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job || job.queued) continue;
      // at-most-once: never a second delivery (a released job was never handed over)
      if (job.retry === 0 && job.everQueued && how !== "release") continue;
      moved++;
      if (how === "nack-to-back") {
        // Behind every job queued now, ahead of every job added later: the next sequence number.
        this.requeueAt(job, this.nextSeq++, now);
        continue;
      }
      job.awakeAt = 0;
      if (how !== "release") {
        if (how === "nack") job.nacks++;
        else if (job.everQueued) job.additionalDeliveries++;
        this.emit({ type: "counters", id, nacks: job.nacks, additionalDeliveries: job.additionalDeliveries });
      }
      // A release records nothing: after a restart every delivered job is queued again anyway.
      this.enqueueJob(job, now);
      this.schedule(job);
    }
    return moved;
  }

  dequeue(ids: string[]): number {
    this.runDue();
    checkIds(ids);
    const now = this.clock.now();
    let moved = 0;
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job || !job.queued) continue;
      job.requeueAt = job.nextRequeueAt(now);
      this.unqueueJob(job);
      this.schedule(job);
      moved++;
    }
    return moved;
  }

  working(id: string): number {
    this.runDue();
    checkIds([id]);
    const job = this.jobs.get(id);
    if (!job) throw new BrokerError("NOJOB", "Job not known in the context of this node.");
    const now = this.clock.now();
    if (now - job.createdAt > (job.ttl * 1000) / 2) {
      throw new BrokerError(
        "TOOLATE",
        "Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.",
      );
    }
    if (job.retry === 0) return 0;
    this.unqueueJob(job);
    job.requeueAt = now + job.retry * 1000;
    this.schedule(job);
    return job.retry;
  }

  show(id: string): JobInfo | null {
    this.runDue();
    checkIds([id]);
    return this.jobs.get(id)?.info(this.clock.now()) ?? null;
  }

  showBySeq(seq: number): JobInfo | null {
    this.runDue();
    return this.bySeq.find(seq)?.info(this.clock.now()) ?? null;
  }

  qlen(name: string): number {
    this.runDue();
    return this.queues.get(name)?.ready.size ?? 0;
  }

  qpeek(name: string, count: number): JobInfo[] {
    this.runDue();
    const queue = this.queues.get(name);
    if (!queue || count === 0) return [];
    const now = this.clock.now();
    const out: JobInfo[] = [];
    const limit = Math.min(Math.abs(count), MAX_LISTING_COUNT);
    for (const job of count > 0 ? queue.ready : queue.ready.reversed()) {
      if (out.length >= limit) break;
      out.push(job.info(now));
    }
    return out;
  }

  qstat(name: string): QueueStats | null {
    this.runDue();
    const queue = this.queues.get(name);
    if (!queue) return null;
    const now = this.clock.now();
    return {
      name,
      len: queue.ready.size,
      age: Math.floor((now - queue.createdAt) / 1000),
      idle: Math.floor((now - queue.touchedAt) / 1000),
      blocked: queue.waiters.size,
      jobsIn: queue.jobsIn,
      jobsOut: queue.jobsOut,
      pause: queue.pause,
    };
  }

  pause(name: string, ops: PauseOp[]): PauseState {
    this.runDue();
    const now = this.clock.now();
    const queue = this.queueFor(name, now);
    const state = foldPauseOps(ops);
    if (state !== undefined && state !== queue.pause) {
      queue.pause = state;
      queue.touchedAt = now;
      this.emit({ type: "pause", queue: name, state });
      if (!queue.pausedOut) {
        // Jobs held back by the pause are available again, as if they had just arrived.
        if (this.notifiers.size > 0 && queue.ready.size > 0) this.wakeNotifiers(name);
        if (queue.waiters.size > 0) this.serveWaiters(queue, now);
      }
    }
    return queue.pause;
  }

  jscan(cursor: number, opts: JobScanOptions): ScanResult<JobInfo> {
    this.runDue();
    const now = this.clock.now();
    const filter = new JobScanFilter(opts);
    const items: JobInfo[] = [];
    const budget = scanBudget(opts);
    let examined = 0;
    for (const job of this.bySeq.from(cursor)) {
      if (examined >= budget) return { cursor: job.seq, items };
      examined++;
      if (!filter.queueMatches(job.queue)) continue;
      const info = job.info(now);
      if (!filter.stateMatches(info.state)) continue;
      items.push(info);
    }
    return { cursor: 0, items };
  }

  qscan(cursor: number, opts: QueueScanOptions): ScanResult<string> {
    this.runDue();
    const items: string[] = [];
    const budget = scanBudget(opts);
    let examined = 0;
    for (const queue of this.queuesBySerial.from(cursor)) {
      if (examined >= budget) return { cursor: queue.serial, items };
      examined++;
      const len = queue.ready.size;
      if (opts.minlen !== undefined && len < opts.minlen) continue;
      if (opts.maxlen !== undefined && len > opts.maxlen) continue;
      if (opts.importrate !== undefined && opts.importrate > 0) continue; // one node imports nothing
      items.push(queue.name);
    }
    return { cursor: 0, items };
  }

  /** DEBUG FLUSHALL: every job and queue goes; blocked fetchers stay blocked. */
  flushAll(): void {
    for (const id of [...this.jobWaiters.keys()]) this.wakeJobWaiters(id, "flushall");
    this.jobs.clear();
    this.liveJobBytes = 0;
    this.bySeq.clear();
    this.timers.clear();
    this.eventIds.clear();
    this.taskNumbers.clear();
    this.liveByQueue.clear();
    this.deadLetterLists.clear();
    const notifiers = new Set<Notifier>();
    for (const set of this.notifiers.values()) for (const n of set) notifiers.add(n);
    for (const n of notifiers) if (n.deadline > 0) this.pushTimer(n.deadline, n);
    for (const queue of [...this.queues.values()]) {
      if (queue.waiters.size === 0) {
        this.forgetQueue(queue);
        continue;
      }
      queue.ready.clear();
      for (const waiter of queue.waiters) if (waiter.deadline > 0) this.pushTimer(waiter.deadline, waiter);
    }
    this.emit({ type: "flushall" });
  }

  stats(): BrokerStats {
    this.runDue();
    const jobsByState: Record<JobState, number> = { "wait-repl": 0, active: 0, queued: 0, acked: 0 };
    let queued = 0;
    for (const queue of this.queues.values()) queued += queue.ready.size;
    jobsByState.queued = queued;
    jobsByState.active = this.jobs.size - queued;
    return {
      jobs: this.jobs.size,
      queues: this.queues.size,
      jobsByState,
      blockedClients: this.blocked,
      ...this.totals,
    };
  }

  /**
   * WAITJOB: resolves when the job leaves (acked, deleted, expired), "gone"
   * at once when it is not known, null on time-out (0 = none) or abort.
   * Counted as a blocked client while it waits.
   */
  waitJob(id: string, timeoutMs: number, signal?: AbortSignal): JobWaitOutcome | Promise<JobWaitOutcome> {
    this.runDue();
    checkIds([id]);
    if (!this.jobs.has(id)) return "gone";
    if (signal?.aborted) return null;
    const now = this.clock.now();
    return new Promise((resolve) => {
      let outcome: JobWaitOutcome = null;
      let waiters = this.jobWaiters.get(id);
      if (!waiters) this.jobWaiters.set(id, (waiters = new Set()));
      const set = waiters;
      // A Waiter on no queue: the engine's timer heap handles its deadline.
      const waiter = new Waiter([], timeoutMs > 0 ? now + timeoutMs : 0, () => {
        set.delete(notify);
        if (set.size === 0 && this.jobWaiters.get(id) === set) this.jobWaiters.delete(id);
        resolve(outcome);
      });
      const notify = (why: JobWaitOutcome) => {
        if (waiter.done) return;
        outcome = why;
        this.finishWaiter(waiter, []);
      };
      set.add(notify);
      this.blocked++;
      if (waiter.deadline > 0) this.pushTimer(waiter.deadline, waiter);
      signal?.addEventListener("abort", () => {
        if (!waiter.done) this.finishWaiter(waiter, null);
      });
    });
  }

  nodes(): NodeInfo[] {
    return [{ id: this.nodeId, host: this.host, port: this.port, priority: nodePriority(this.leaving) }];
  }

  whenDurable(): Promise<void> | undefined {
    return this.durability?.();
  }

  // ------------------------------------------- dialects: okq, takeanumber, TaskQ

  /** Registers a new live job in the indexes (jobs, seq, event ids, per-queue counts). */
  private track(job: Job): void {
    this.jobs.set(job.id, job);
    this.liveJobBytes += jobBytes(job);
    this.bySeq.insert(job);
    this.liveByQueue.set(job.queue, (this.liveByQueue.get(job.queue) ?? 0) + 1);
    if (job.eventId !== undefined) this.eventIds.set(eventKey(job.queue, job.eventId), job);
  }

  /** Takes a job out of every live index without recording anything. */
  private forget(job: Job): void {
    this.unqueueJob(job);
    if (this.jobs.delete(job.id)) this.liveJobBytes -= jobBytes(job);
    this.bySeq.remove(job.seq);
    job.scheduledAt = -Infinity;
    const live = (this.liveByQueue.get(job.queue) ?? 1) - 1;
    if (live > 0) this.liveByQueue.set(job.queue, live);
    else this.liveByQueue.delete(job.queue);
    if (job.eventId !== undefined) {
      const key = eventKey(job.queue, job.eventId);
      if (this.eventIds.get(key) === job) this.eventIds.delete(key);
    }
  }

  /** Per-fetch options: okq EX (lease override) and NOACK (fetch-and-delete). */
  private afterTake(job: Job, leaseSeconds: number | undefined, consume: boolean, now: number): void {
    if (consume) {
      this.removeJob(job, "noack");
      return;
    }
    if (leaseSeconds !== undefined && job.retry > 0) {
      job.requeueAt = now + leaseSeconds * 1000;
      this.schedule(job);
    }
  }

  private findInQueue(queue: string, ref: string, by: JobRef): Job | undefined {
    let job: Job | undefined;
    if (by === "seq") {
      const seq = /^[0-9]{1,15}$/.test(ref) ? Number(ref) : NaN;
      job = Number.isSafeInteger(seq) ? this.bySeq.find(seq) : undefined;
    } else if (by === "event") {
      job = this.eventIds.get(eventKey(queue, ref)) ?? this.jobs.get(ref);
    } else {
      job = this.jobs.get(ref);
    }
    return job && job.queue === queue ? job : undefined;
  }

  ackInQueue(queue: string, ref: string, by: JobRef): number {
    this.runDue();
    const job = this.findInQueue(queue, ref, by);
    if (!job) return 0;
    this.totals.acked++;
    this.removeJob(job, "ack");
    return 1;
  }

  retryJob(queue: string, id: string): "requeued" | "deadlettered" | null {
    this.runDue();
    const job = this.findInQueue(queue, id, "id");
    if (!job) return null;
    const now = this.clock.now();
    if (job.retriesLeft === 0) {
      this.forget(job);
      const reason = "retries exhausted";
      this.deadLetterLists.add({ job, reason, at: now });
      this.emit({ type: "deadletter", id: job.id, queue: job.queue, reason, at: now });
      if (this.jobWaiters.size > 0) this.wakeJobWaiters(job.id, "deadletter");
      return "deadlettered";
    }
    if (job.retriesLeft > 0) job.retriesLeft--;
    // Back at its own place (its rank is kept): served before the jobs queued behind it.
    this.requeueAt(job, job.rank, now);
    return "requeued";
  }

  requeueFirst(queue: string, ref: string, by: JobRef): number {
    this.runDue();
    const job = this.findInQueue(queue, ref, by);
    if (!job) return 0;
    this.requeueAt(job, this.nextFrontRank--, this.clock.now());
    return 1;
  }

  /** A negative acknowledgement that places the job: queued now at `rank`, one more NACK (RETRY, QACK REDO, emq nak). */
  private requeueAt(job: Job, rank: number, now: number): void {
    job.nacks++;
    this.unqueueJob(job);
    job.rank = rank;
    job.awakeAt = 0;
    this.emit({ type: "retry", id: job.id, rank, retriesLeft: job.retriesLeft, nacks: job.nacks });
    this.enqueueJob(job, now);
    this.schedule(job);
  }

  flushQueue(name: string): number {
    this.runDue();
    let removed = 0;
    for (const job of this.jobs.values()) {
      if (job.queue !== name) continue;
      this.forget(job);
      if (this.jobWaiters.size > 0) this.wakeJobWaiters(job.id, "flushqueue");
      removed++;
    }
    this.deadLetterLists.dropQueue(name);
    const queue = this.queues.get(name);
    if (queue && queue.waiters.size === 0) this.forgetQueue(queue);
    this.emit({ type: "flushqueue", queue: name });
    return removed;
  }

  queueCounts(names?: string[]): QueueCounts[] {
    this.runDue();
    let list = names;
    if (list === undefined) {
      const all = new Set<string>([...this.queues.keys(), ...this.liveByQueue.keys()]);
      list = [...all].sort();
    }
    return list.map((name) => {
      const total = this.liveByQueue.get(name) ?? 0;
      const queue = this.queues.get(name);
      const waiting = queue?.ready.size ?? 0;
      const consumers = (queue?.waiters.size ?? 0) + this.registrations.consumersOf(name);
      return { name, total, waiting, processing: total - waiting, consumers };
    });
  }

  registerConsumer(consumer: string, queues: string[]): void {
    this.registrations.set(consumer, queues);
  }

  notify(consumer: string, timeoutMs: number, signal?: AbortSignal): string | null | Promise<string | null> {
    this.runDue();
    // Registered on nothing: nothing wakes it, it waits for its time-out (as okq).
    const names = [...this.registrations.queuesOf(consumer)];
    for (const name of names) {
      const queue = this.queues.get(name);
      if (queue && queue.ready.size > 0 && !queue.pausedOut) return name;
    }
    if (signal?.aborted) return null;
    const now = this.clock.now();
    return new Promise((resolve) => {
      const deadline = timeoutMs > 0 ? now + timeoutMs : 0;
      const notifier: Notifier = new Notifier(consumer, names, deadline, (name) => {
        for (const queueName of names) {
          const set = this.notifiers.get(queueName);
          if (!set) continue;
          set.delete(notifier);
          if (set.size === 0) this.notifiers.delete(queueName);
        }
        resolve(name);
      });
      for (const name of names) {
        let set = this.notifiers.get(name);
        if (!set) this.notifiers.set(name, (set = new Set()));
        set.add(notifier);
      }
      this.blocked++;
      if (deadline > 0) this.pushTimer(deadline, notifier);
      signal?.addEventListener("abort", () => {
        if (!notifier.done) this.finishWaiter(notifier, null);
      });
    });
  }

  private wakeNotifiers(name: string): void {
    const set = this.notifiers.get(name);
    if (!set) return;
    for (const notifier of [...set]) {
      if (notifier.done) continue;
      notifier.done = true;
      this.blocked--;
      notifier.wake(name);
    }
  }

  deadLetters(queue: string, count: number): DeadLetterInfo[] {
    this.runDue();
    return this.deadLetterLists.peek(queue, Math.min(count, MAX_LISTING_COUNT)).map(deadLetterInfo);
  }

  redrive(queue: string, count: number): number {
    this.runDue();
    const now = this.clock.now();
    const letters = this.deadLetterLists.take(queue, count);
    for (const { job: old } of letters) {
      const job = new Job(
        this.ids.next(old.ttl, old.retry),
        this.nextSeq++,
        old.queue,
        old.body,
        now,
        old.ttl,
        old.retry,
        0,
        old.repl,
      );
      if (old.eventId !== undefined && !this.eventIds.has(eventKey(old.queue, old.eventId))) {
        job.eventId = old.eventId;
      }
      job.retries = job.retriesLeft = old.retries;
      this.track(job);
      this.totals.added++;
      this.emit({ type: "redrive", queue: old.queue, deadId: old.id, job });
      this.enqueueJob(job, now);
      this.schedule(job);
    }
    return letters.length;
  }

  // ------------------------------------------- recovery and snapshots (journal)
  // Used only by src/journal at start-up and for snapshots; none of them emits a change.

  /**
   * Puts back a job read from the journal: queued, or delayed until `awakeAt`.
   * Its id must be new (`forgetJob` it first otherwise). False, and nothing
   * restored, if it has expired.
   */
  restoreJob(stored: StoredJob): boolean {
    const now = this.clock.now();
    // Even an expired job's number stays taken.
    this.taskNumbers.note(stored.queue, stored.eventId);
    if (stored.createdAt + stored.ttl * 1000 <= now) return false;
    const { id, seq, body, createdAt, ttl, retry, delay, repl } = stored;
    // One string per queue name, not one per restored job.
    const queue = this.queues.get(stored.queue)?.name ?? stored.queue;
    const job = new Job(id, seq, queue, body, createdAt, ttl, retry, delay, repl);
    job.rank = stored.rank;
    job.nacks = stored.nacks;
    job.additionalDeliveries = stored.additionalDeliveries;
    if (job.rank <= this.nextFrontRank) this.nextFrontRank = job.rank - 1;
    this.restoreNextSeq(seq + 1);
    if (stored.eventId !== undefined) job.eventId = stored.eventId;
    if (stored.retries !== undefined) job.retries = stored.retries;
    if (stored.retriesLeft !== undefined) job.retriesLeft = stored.retriesLeft;
    this.track(job);
    if (stored.awakeAt > now) job.awakeAt = stored.awakeAt;
    else this.enqueueJob(job, now);
    this.schedule(job);
    return true;
  }

  /** A job the journal says was deleted later. */
  forgetJob(id: string): void {
    const job = this.jobs.get(id);
    if (job) this.forget(job);
  }

  /** Counters set by a NACK, ENQUEUE or re-queue; the job was queued then, so it is no longer delayed. */
  restoreCounters(id: string, nacks: number, additionalDeliveries: number): void {
    const job = this.jobs.get(id);
    if (!job) return;
    job.nacks = nacks;
    job.additionalDeliveries = additionalDeliveries;
    if (job.awakeAt !== 0) {
      job.awakeAt = 0;
      this.enqueueJob(job, this.clock.now());
      this.schedule(job);
    }
  }

  restorePause(queue: string, state: PauseState): void {
    if (state === "none" && !this.queues.has(queue)) return;
    this.queueFor(queue, this.clock.now()).pause = state;
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

  /** Bytes of job data held (live jobs and dead letters, bodies plus an estimated overhead): O(1). */
  dataBytes(): number {
    return this.liveJobBytes + this.deadLetterLists.bytes;
  }

  /** Live jobs: what jobsFrom(0) yields. */
  jobCount(): number {
    return this.jobs.size;
  }

  /** Live jobs in sequence order, from the first with seq >= `fromSeq`: for snapshots. */
  jobsFrom(fromSeq: number): IterableIterator<Job> {
    return this.bySeq.from(fromSeq);
  }

  /** takeanumber RETRY or okq QACK REDO replayed: the job moves to its new place with its budget. */
  restoreRetry(id: string, rank: number, retriesLeft: number, nacks: number): void {
    const job = this.jobs.get(id);
    if (!job) return;
    const queued = job.queued;
    this.unqueueJob(job);
    job.rank = rank;
    job.retriesLeft = retriesLeft;
    job.nacks = nacks;
    if (rank >= this.nextSeq) this.nextSeq = rank + 1;
    if (rank <= this.nextFrontRank) this.nextFrontRank = rank - 1;
    if (queued || job.awakeAt === 0) this.enqueueJob(job, this.clock.now());
  }

  /** A live job the journal says was dead-lettered; or, from a snapshot, the letter itself. */
  restoreDeadLetter(id: string, reason: string, at: number, stored?: StoredJob): void {
    let job = this.jobs.get(id);
    if (job) this.forget(job);
    else if (stored) {
      job = new Job(
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
      job.eventId = stored.eventId;
      this.taskNumbers.note(stored.queue, stored.eventId);
      job.retries = stored.retries ?? -1;
      job.retriesLeft = stored.retriesLeft ?? -1;
      this.restoreNextSeq(stored.seq + 1);
    } else return;
    this.deadLetterLists.add({ job, reason, at });
  }

  /** A redrive replayed: the dead letter goes, its fresh job comes back. */
  restoreRedrive(queue: string, deadId: string, job: StoredJob): void {
    this.deadLetterLists.remove(queue, deadId);
    this.restoreJob(job);
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

function delivery(job: Job): Delivery {
  const out: Delivery = {
    queue: job.queue,
    id: job.id,
    seq: job.seq,
    body: job.body,
    nacks: job.nacks,
    additionalDeliveries: job.additionalDeliveries,
  };
  if (job.eventId !== undefined) out.eventId = job.eventId;
  return out;
}

function eventKey(queue: string, eventId: string): string {
  return `${queue}\u0000${eventId}`;
}
