/**
 * A reference model of the engine's job semantics (DISQUE.md sections 3-4),
 * written to be obviously correct rather than fast: plain arrays, every
 * lookup a scan, every queue order a sort. The model test drives it and the
 * Engine with the same operations and compares them after every step.
 */
import type { Delivery, PauseOp, PauseState, Placement } from "../../src/core/contract.js";

/** priorities and keys (core/scheduling.ts), restated: 1024 unless set; a key lives 24 h unless KEYTTL says */
const DEFAULT_PRIORITY = 1024;
const DEFAULT_KEY_TTL_MS = 86_400_000;

export interface ModelJob {
  id: string;
  seq: number;
  queue: string;
  rank: number;
  body: Buffer;
  createdAt: number;
  ttl: number;
  retry: number;
  delay: number;
  state: "queued" | "active";
  everQueued: boolean;
  nacks: number;
  additionalDeliveries: number;
  /** when a delayed job becomes queued; 0 = none */
  awakeAt: number;
  /** when an unacknowledged job is queued again; 0 = never */
  requeueAt: number;
  priority: number;
  key: string | undefined;
  keyExpiresAt: number;
}

/** an idempotency key: the job its add made, until it expires */
export interface ModelKey {
  queue: string;
  key: string;
  id: string;
  seq: number;
  expiresAt: number;
}

/** an add whose key was taken: the first job's id and seq, and its state now */
export interface ModelDuplicate {
  duplicate: true;
  id: string;
  seq: number;
  state: "queued" | "active" | "acked";
}

export interface ModelAdd {
  queue: string;
  body: Buffer;
  ttl?: number;
  retry?: number;
  delay?: number;
  replicate?: number;
  maxlen?: number;
  placement?: Placement;
  priority?: number;
  key?: string;
  keyTtl?: number;
}

/** An error as the engine would throw it. */
export class ModelError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export const isWellFormedId = (id: string) =>
  id.length === 40 && id[0] === "D" && id[1] === "-" && id[10] === "-" && id[35] === "-";

export class Model {
  jobs: ModelJob[] = [];
  keys: ModelKey[] = [];
  pauses = new Map<string, PauseState>();
  /** failures that queue a job again count as retried (no model job has a budget: none is dead-lettered) */
  totals = {
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
  private nextSeq = 1;
  private nextFront = -1;

  constructor(public now: number) {}

  find(id: string): ModelJob | undefined {
    return this.jobs.find((j) => j.id === id);
  }

  /** the ready jobs of a queue, in serving order: priority, then rank */
  queued(queue: string): ModelJob[] {
    return this.jobs
      .filter((j) => j.queue === queue && j.state === "queued")
      .sort((a, b) => a.priority - b.priority || a.rank - b.rank);
  }

  /** the live key of that name in that queue */
  liveKey(queue: string, key: string): ModelKey | undefined {
    return this.keys.find((k) => k.queue === queue && k.key === key && k.expiresAt > this.now);
  }

  pauseOf(queue: string): PauseState {
    return this.pauses.get(queue) ?? "none";
  }

  private put(job: ModelJob): void {
    job.state = "queued";
    job.everQueued = true;
    job.requeueAt = job.retry > 0 ? this.now + job.retry * 1000 : 0;
  }

  private delete(job: ModelJob): void {
    this.jobs = this.jobs.filter((j) => j !== job);
  }

  /** The clock moved to `now`: each job handles at most one due event. */
  advanceTo(now: number): void {
    this.now = now;
    for (const job of [...this.jobs]) {
      if (job.createdAt + job.ttl * 1000 <= now) {
        this.delete(job);
        this.totals.expired++;
      } else if (job.awakeAt !== 0 && job.awakeAt <= now) {
        job.awakeAt = 0;
        this.put(job);
      } else if (job.state === "active" && job.requeueAt !== 0 && job.requeueAt <= now) {
        job.awakeAt = 0;
        if (job.everQueued) {
          job.additionalDeliveries++;
          this.totals.requeued++;
          this.totals.retried++;
        }
        this.put(job);
      }
    }
  }

  /** Validates like ADDJOB; returns the job to create (the caller supplies the id), or the duplicate. */
  add(req: ModelAdd, id: string): ModelJob | ModelDuplicate {
    const ttl = req.ttl ?? 86_400;
    const retry = req.retry ?? Math.max(1, Math.min(300, Math.floor(ttl / 10)));
    const delay = req.delay ?? 0;
    const repl = req.replicate ?? 1;
    if (repl < 1 || repl > 65535) throw new ModelError("ERR", "REPLICATE must be between 1 and 65535");
    if (ttl <= 0) throw new ModelError("ERR", "TTL must be a number > 0");
    if (retry < 0) throw new ModelError("ERR", "RETRY time must be a non negative number");
    if (delay < 0) throw new ModelError("ERR", "DELAY time must be a non negative number");
    if (retry === 0 && repl > 1)
      throw new ModelError(
        "ERR",
        "With RETRY set to 0 please explicitly set  REPLICATE to 1 (at-most-once delivery)",
      );
    if (delay >= ttl)
      throw new ModelError(
        "ERR",
        "The specified DELAY is greater than TTL. Job refused since would never be delivered",
      );
    if (repl > 1)
      throw new ModelError("NOREPL", "Not enough reachable nodes for the requested replication level");
    const taken = req.key === undefined ? undefined : this.liveKey(req.queue, req.key);
    if (taken) {
      const state = this.find(taken.id)?.state ?? "acked";
      return { duplicate: true, id: taken.id, seq: taken.seq, state };
    }
    if (req.maxlen !== undefined && this.queued(req.queue).length >= req.maxlen)
      throw new ModelError("MAXLEN", "Queue is already longer than the specified MAXLEN count");
    const pause = this.pauseOf(req.queue);
    if (pause === "in" || pause === "all") throw new ModelError("PAUSED", "Queue paused in input, try later");
    const seq = this.nextSeq++;
    const job: ModelJob = {
      id,
      seq,
      queue: req.queue,
      rank: req.placement === "front" ? this.nextFront-- : seq,
      body: req.body,
      createdAt: this.now,
      ttl,
      retry,
      delay,
      state: "active",
      everQueued: false,
      nacks: 0,
      additionalDeliveries: 0,
      awakeAt: delay > 0 ? this.now + delay * 1000 : 0,
      requeueAt: 0,
      priority: req.priority ?? DEFAULT_PRIORITY,
      key: req.key,
      keyExpiresAt: req.key === undefined ? 0 : this.now + (req.keyTtl ?? DEFAULT_KEY_TTL_MS / 1000) * 1000,
    };
    this.jobs.push(job);
    if (job.key !== undefined) {
      this.keys = this.keys.filter((k) => k.queue !== job.queue || k.key !== job.key);
      this.keys.push({ queue: job.queue, key: job.key, id, seq, expiresAt: job.keyExpiresAt });
    }
    this.totals.added++;
    if (delay === 0) this.put(job);
    return job;
  }

  /** the sequence number the next add will get (ids come from the engine) */
  peekSeq(): number {
    return this.nextSeq;
  }

  getJobs(queues: string[], count: number): Delivery[] | null {
    const out: Delivery[] = [];
    while (out.length < count) {
      const before = out.length;
      for (const name of queues) {
        if (out.length >= count) break;
        const pause = this.pauseOf(name);
        if (pause === "out" || pause === "all") continue;
        const job = this.queued(name)[0];
        if (!job) continue;
        job.state = "active";
        job.requeueAt = job.retry > 0 ? this.now + job.retry * 1000 : 0;
        this.totals.delivered++;
        out.push({
          queue: job.queue,
          id: job.id,
          seq: job.seq,
          body: job.body,
          nacks: job.nacks,
          additionalDeliveries: job.additionalDeliveries,
          ...(job.priority !== DEFAULT_PRIORITY ? { priority: job.priority } : {}),
        });
      }
      if (out.length === before) break;
    }
    return out.length > 0 ? out : null;
  }

  private checkIds(ids: string[]): void {
    if (!ids.every(isWellFormedId)) throw new ModelError("BADID", "Invalid Job ID format.");
  }

  remove(ids: string[], how: "ack" | "fastack" | "deljob"): number {
    this.checkIds(ids);
    let n = 0;
    for (const id of ids) {
      const job = this.find(id);
      if (!job) continue;
      this.delete(job);
      if (how === "ack") this.totals.acked++;
      n++;
    }
    return n;
  }

  putBack(ids: string[], how: "nack" | "enqueue"): number {
    this.checkIds(ids);
    let n = 0;
    for (const id of ids) {
      const job = this.find(id);
      if (!job || job.state === "queued") continue;
      if (job.retry === 0 && job.everQueued) continue;
      if (how === "nack") {
        job.nacks++;
        this.totals.retried++;
      } else if (job.everQueued) job.additionalDeliveries++;
      job.awakeAt = 0;
      this.put(job);
      n++;
    }
    return n;
  }

  dequeue(ids: string[]): number {
    this.checkIds(ids);
    let n = 0;
    for (const id of ids) {
      const job = this.find(id);
      if (!job || job.state !== "queued") continue;
      job.requeueAt = this.rollForward(job);
      job.state = "active";
      n++;
    }
    return n;
  }

  working(id: string): number {
    this.checkIds([id]);
    const job = this.find(id);
    if (!job) throw new ModelError("NOJOB", "Job not known in the context of this node.");
    if (this.now - job.createdAt > (job.ttl * 1000) / 2)
      throw new ModelError(
        "TOOLATE",
        "Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.",
      );
    if (job.retry === 0) return 0;
    job.state = "active";
    job.requeueAt = this.now + job.retry * 1000;
    return job.retry;
  }

  pause(queue: string, ops: PauseOp[]): PauseState {
    let state = this.pauseOf(queue);
    for (const op of ops) if (op !== "state" && op !== "bcast") state = op;
    this.pauses.set(queue, state);
    return state;
  }

  /** A queued job's re-queue time rolls forward every RETRY seconds, never in the past. */
  rollForward(job: ModelJob): number {
    let at = job.requeueAt;
    if (at === 0) return 0;
    while (at <= this.now) at += job.retry * 1000;
    return at;
  }

  /** What SHOW should say about a job. */
  expectedInfo(job: ModelJob) {
    const expiresAt = job.createdAt + job.ttl * 1000;
    const candidates = [expiresAt];
    if (job.awakeAt !== 0) candidates.push(job.awakeAt);
    if (job.state === "active" && job.requeueAt !== 0) candidates.push(job.requeueAt);
    return {
      id: job.id,
      seq: job.seq,
      queue: job.queue,
      state: job.state,
      repl: 1,
      ttl: job.ttl,
      createdAt: job.createdAt,
      expiresAt,
      delay: job.delay,
      retry: job.retry,
      nacks: job.nacks,
      additionalDeliveries: job.additionalDeliveries,
      requeueAt: job.requeueAt === 0 ? null : this.rollForward(job),
      awakeAt: Math.min(...candidates),
      delayedUntil: job.awakeAt === 0 ? null : job.awakeAt,
      backoffUntil: null,
      observedAt: this.now,
      body: job.body,
      ...(job.priority !== DEFAULT_PRIORITY ? { priority: job.priority } : {}),
      ...(job.key !== undefined ? { key: job.key, keyExpiresAt: job.keyExpiresAt } : {}),
    };
  }
}
