import {
  BrokerError,
  type AddJobRequest,
  type AddJobResult,
  type Broker,
  type BrokerStats,
  type Delivery,
  type GetJobsRequest,
  type JobInfo,
  type JobScanOptions,
  type JobState,
  nodePriority,
  type NodeInfo,
  type PauseOp,
  type PauseState,
  type QueueScanOptions,
  type QueueStats,
  type ScanResult,
} from "../../../core/contract.js";
import { MAX_LISTING_COUNT, scanBudget } from "../../../core/listing-limits.js";
import type { Queue } from "./queue.js";
import { FetchWaiter } from "./blocked.js";
import { addJobSettings } from "../../../core/validate.js";
import { checkIds } from "../../../core/job-id-check.js";
import { foldPauseOps } from "../../../core/pause-ops.js";
import { JobScanFilter } from "../../../core/job-scan.js";
import { checkLeaseSeconds } from "../../../core/lease.js";
import { SchedulingEngine } from "./schedules.js";
import type { Consumer } from "../../../core/explain.js";
import { jobFailureSettings } from "../../../core/failures.js";
import { delivery, eventKey } from "./state.js";
import { DEFAULT_KEY_TTL_SECONDS, DEFAULT_PRIORITY, rateSlotAt } from "../../../core/scheduling.js";

export { type EngineOptions, QUEUE_IDLE_GC_MS } from "./state.js";

/**
 * The in-process broker: queues, jobs, leases and timers, pure and
 * synchronous. It owns no sockets, files or timers: time comes from the
 * injected clock, and a driver calls `runDue()` when `nextWakeAt()` comes.
 */
export class Engine extends SchedulingEngine implements Broker {
  addJob(req: AddJobRequest): AddJobResult {
    const now = this.runDue();
    const { ttl, retry, delay, repl } = addJobSettings(req, this.maxJobSize);
    if (repl > 1) {
      throw new BrokerError("NOREPL", "Not enough reachable nodes for the requested replication level");
    }
    if (req.key !== undefined) {
      // a retried add: nothing is added, the first job answers (whatever else this add says)
      const first = this.keys.get(req.queue, req.key, now);
      if (first !== undefined) {
        const state = this.jobs.get(first.id)?.state ?? "acked";
        return { id: first.id, seq: first.seq, duplicate: true, state };
      }
    }
    const eventId = req.perQueueNumber ? String(this.taskNumbers.next(req.queue)) : req.clientKey;
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
    const job = this.jobs.create(
      this.ids.next(ttl, retry),
      seq,
      queueName,
      req.body,
      now,
      ttl,
      retry,
      delay,
      repl,
      this.ids,
    );
    if (req.placement === "front") job.rank = this.nextFrontRank--;
    if (eventId !== undefined) job.clientKey = eventId;
    const failure = jobFailureSettings(req, this.policies.get(req.queue), this.failureDefaults);
    if (failure.retryBudget >= 0) job.retryBudget = job.retryBudgetLeft = failure.retryBudget;
    if (failure.backoff !== undefined) job.backoff = failure.backoff;
    if (failure.runTimeoutMs !== undefined) job.runTimeoutMs = failure.runTimeoutMs;
    if (req.retryOnlyBudget) job.retryOnlyBudget = true;
    if (req.origin !== undefined) job.origin = req.origin;
    if (req.priority !== undefined && req.priority !== DEFAULT_PRIORITY) job.priority = req.priority;
    if (req.group !== undefined) {
      job.group = req.group;
      job.round = existing?.ready.roundFor(req.group) ?? 0;
    }
    if (req.key !== undefined) {
      job.key = req.key;
      job.keyExpiresAt = now + (req.keyTtl ?? DEFAULT_KEY_TTL_SECONDS) * 1000;
    }
    if (req.schedule !== undefined) job.schedule = req.schedule;
    if (delay > 0) job.awakeAt = now + delay * 1000;
    // Recorded first, with its delay already set: a job the journal refuses (it throws) leaves no trace.
    try {
      this.emit({ type: "add", job });
    } catch (refused) {
      this.jobs.release(job.slot);
      throw refused;
    }
    this.track(job);
    if (job.key !== undefined) {
      this.keys.set({ queue: queueName, key: job.key, id: job.id, seq, expiresAt: job.keyExpiresAt }, now);
    }
    this.taskNumbers.note(queueName, eventId);
    this.totals.added++;
    if (delay === 0) this.enqueueJob(job, now);
    this.schedule(job);
    return eventId === undefined ? { id: job.id, seq } : { id: job.id, seq, clientKey: eventId };
  }

  getJobs(req: GetJobsRequest): Delivery[] | null | Promise<Delivery[] | null> {
    const now = this.runDue();
    checkLeaseSeconds(req.leaseSeconds);
    const taken = this.takeRounds(req, now);
    if (taken.length > 0 || req.nohang || req.signal?.aborted) {
      this.noteFetch(req.queues, req.consumer, now);
      return taken.length > 0 ? taken : null;
    }
    return new Promise((resolve) => {
      const deadline = req.timeoutMs > 0 ? now + req.timeoutMs : 0;
      const waiter = new FetchWaiter(req.queues, deadline, resolve);
      waiter.leaseSeconds = req.leaseSeconds;
      waiter.consume = req.consume === true;
      waiter.consumer = req.consumer;
      this.blocked.block(waiter, req.signal);
      // a rate-limited queue with jobs: served at its next slot
      for (const name of req.queues) {
        const queue = this.queues.get(name);
        if (queue) this.armRateWake(queue, now);
      }
      // noted once the block has created its queues, so it is remembered on each
      this.noteFetch(req.queues, req.consumer, now);
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
        this.afterTake(job, leaseSeconds, consume, now, req.consumer);
        if (taken.length === count) break;
      }
      if (taken.length === before) break;
    }
    return taken;
  }

  ackJobs(ids: string[], result?: Buffer): number {
    if (result !== undefined && result.length > this.maxJobSize) {
      throw new BrokerError("ERR", `result too big: ${result.length} bytes, the limit is ${this.maxJobSize}`);
    }
    return this.removeEach(ids, "ack", result);
  }

  fastAck(ids: string[]): number {
    return this.removeEach(ids, "fastack");
  }

  deleteJobs(ids: string[]): number {
    return this.removeEach(ids, "deljob");
  }

  private removeEach(ids: string[], reason: "ack" | "fastack" | "deljob", result?: Buffer): number {
    const now = this.runDue();
    checkIds(ids);
    let removed = 0;
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job) continue;
      if (reason === "ack") this.totals.acked++;
      if (result !== undefined) this.keepResult(job, result, now);
      this.removeJob(job, reason);
      removed++;
    }
    return removed;
  }

  enqueue(ids: string[]): number {
    return this.putBack(ids, "enqueue");
  }

  release(ids: string[]): number {
    return this.putBack(ids, "release");
  }

  private putBack(ids: string[], how: "enqueue" | "release"): number {
    const now = this.runDue();
    checkIds(ids);
    let moved = 0;
    for (const id of ids) {
      const job = this.jobs.get(id);
      if (!job || job.queued) continue;
      // at-most-once: never a second delivery (a released job was never handed over)
      if (job.retry === 0 && job.everQueued && how !== "release") continue;
      moved++;
      job.awakeAt = 0;
      if (how !== "release") {
        if (job.everQueued) job.additionalDeliveries++;
        this.emit({ type: "counters", id, nacks: job.nacks, additionalDeliveries: job.additionalDeliveries });
      }
      // A release records nothing: after a restart every delivered job is queued again anyway.
      this.enqueueJob(job, now);
      this.schedule(job);
    }
    return moved;
  }

  dequeue(ids: string[]): number {
    const now = this.runDue();
    checkIds(ids);
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
    const now = this.runDue();
    checkIds([id]);
    const job = this.jobs.get(id);
    if (!job) throw new BrokerError("NOJOB", "Job not known in the context of this node.");
    if (now - job.createdAt > (job.ttl * 1000) / 2) {
      throw new BrokerError(
        "TOOLATE",
        "Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.",
      );
    }
    if (job.retry === 0) return 0;
    // WORKING ends a delay (or a backoff). Journaled as counters (which restore as "queued now"), so a
    // restart does not delay the job again: it comes back queued, as a leased job does.
    if (job.awakeAt !== 0) {
      const { nacks, additionalDeliveries } = job;
      this.emit({ type: "counters", id: job.id, nacks, additionalDeliveries });
    }
    this.unqueueJob(job);
    job.requeueAt = now + job.retry * 1000;
    this.noteWorking(job, now);
    this.schedule(job);
    return job.retry;
  }

  show(id: string): JobInfo | null {
    const now = this.runDue();
    checkIds([id]);
    return this.jobs.get(id)?.info(now) ?? null;
  }

  showBySeq(seq: number): JobInfo | null {
    const now = this.runDue();
    const slot = this.bySeq.find(seq);
    return slot === undefined ? null : this.jobs.view(slot).info(now);
  }

  qlen(name: string): number {
    this.runDue();
    return this.queues.get(name)?.ready.size ?? 0;
  }

  qpeek(name: string, count: number): JobInfo[] {
    const now = this.runDue();
    const queue = this.queues.get(name);
    if (!queue || count === 0) return [];
    const out: JobInfo[] = [];
    const limit = Math.min(Math.abs(count), MAX_LISTING_COUNT);
    for (const job of count > 0 ? queue.ready : queue.ready.reversed()) {
      if (out.length >= limit) break;
      out.push(job.info(now));
    }
    return out;
  }

  qstat(name: string): QueueStats | null {
    const now = this.runDue();
    const queue = this.queues.get(name);
    if (!queue) return null;
    const live = this.liveByQueue.get(name) ?? 0;
    const backingOff = this.backingOffByQueue.get(name) ?? 0;
    const inFlight = this.leases.inFlight(name);
    return {
      name,
      len: queue.ready.size,
      age: Math.floor((now - queue.createdAt) / 1000),
      idle: Math.floor((now - queue.touchedAt) / 1000),
      blocked: queue.waiters.size,
      jobsIn: queue.jobsIn,
      jobsOut: queue.jobsOut,
      pause: queue.pause,
      backingOff,
      deadLetters: this.deadLetterLists.count(name),
      // what is neither ready, delivered nor backing off waits out its DELAY (or was DEQUEUEd)
      delayed: Math.max(0, live - queue.ready.size - backingOff - inFlight),
      inFlight,
      oldestReadyAt: queue.ready.first()?.createdAt ?? null,
      ...(queue.rateLimit ? { rateLimit: { ...queue.rateLimit } } : {}),
      rateLimitedUntil: this.rateLimitedUntil(queue, now),
      groups: queue.ready.groupCount(),
      heldBack: queue.ready.heldBackCount(),
    };
  }

  private rateLimitedUntil(queue: Queue, now: number): number | null {
    if (queue.rateLimit === undefined) return null;
    const at = rateSlotAt(queue.tat, now, queue.rateLimit);
    return at > now ? at : null;
  }

  pause(name: string, ops: PauseOp[], by?: Consumer): PauseState {
    const now = this.runDue();
    const queue = this.queueFor(name, now);
    const state = foldPauseOps(ops);
    if (state !== undefined && state !== queue.pause) {
      queue.pause = state;
      queue.touchedAt = now;
      queue.pausedSince = state === "none" ? null : now;
      queue.pausedBy = state === "none" ? null : (by ?? null);
      this.emit({ type: "pause", queue: name, state });
      if (!queue.pausedOut) {
        // Jobs held back by the pause are available again, as if they had just arrived.
        if (this.blocked.hasNotifiers && queue.ready.size > 0) this.blocked.wakeNotifiers(name);
        if (queue.waiters.size > 0) this.serveWaiters(queue, now);
      }
    }
    return queue.pause;
  }

  jscan(cursor: number, opts: JobScanOptions): ScanResult<JobInfo> {
    const now = this.runDue();
    const filter = new JobScanFilter(opts);
    const items: JobInfo[] = [];
    const budget = scanBudget(opts);
    let examined = 0;
    for (const slot of this.bySeq.from(cursor)) {
      const job = this.jobs.view(slot);
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
    this.blocked.flushJobWaiters();
    this.jobs.clear();
    this.liveJobBytes = 0;
    this.bySeq.clear();
    this.timers.clear();
    this.eventIds.clear();
    this.taskNumbers.clear();
    this.liveByQueue.clear();
    this.deadLetterLists.clear();
    this.backingOffByQueue.clear();
    this.results.clear();
    this.leases.clear();
    this.policies.clear();
    this.schedules.clear();
    this.keys.clear();
    this.blocked.rearmTimers();
    for (const queue of [...this.queues.values()]) {
      if (queue.waiters.size === 0) this.forgetQueue(queue);
      else {
        queue.ready.clear();
        // the timer heap was cleared: a rate wake-up armed before is gone with it
        queue.rateWakeAt = 0;
        this.applyPolicy(queue);
      }
    }
    const pausedQueues = this.pausedQueues();
    this.emit(pausedQueues.length > 0 ? { type: "flushall", pausedQueues } : { type: "flushall" });
  }

  stats(): BrokerStats {
    this.runDue();
    const jobsByState: Record<JobState, number> = {
      "wait-repl": 0,
      active: 0,
      queued: 0,
      acked: 0,
      backoff: 0,
    };
    let queued = 0;
    for (const queue of this.queues.values()) queued += queue.ready.size;
    let backoff = 0;
    for (const count of this.backingOffByQueue.values()) backoff += count;
    jobsByState.queued = queued;
    jobsByState.backoff = backoff;
    jobsByState.active = this.jobs.size - queued - backoff;
    return {
      jobs: this.jobs.size,
      queues: this.queues.size,
      jobsByState,
      blockedClients: this.blocked.size,
      ...this.totals,
      results: this.results.size,
      resultBytes: this.results.bodyBytes,
    };
  }

  nodes(): NodeInfo[] {
    return [{ id: this.nodeId, host: this.host, port: this.port, priority: nodePriority(this.leaving) }];
  }

  whenDurable(): Promise<void> | undefined {
    return this.durability?.();
  }
}
