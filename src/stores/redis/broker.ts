import { randomBytes } from "node:crypto";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import type { Redis } from "ioredis";
import {
  BrokerError,
  badIdError,
  isValidJobId,
  type AddJobRequest,
  type AddJobResult,
  type Broker,
  type BrokerStats,
  type DeadLetterInfo,
  type Delivery,
  type GetJobsRequest,
  type JobInfo,
  type JobRef,
  type JobScanOptions,
  type NackPlacement,
  type JobState,
  type JobWaitOutcome,
  nodePriority,
  type NodeInfo,
  type PauseOp,
  type PauseState,
  type QueueCounts,
  type QueueScanOptions,
  type QueueStats,
  type ScanResult,
} from "../../core/contract.js";
import type { Clock } from "../../core/clock.js";
import { newNodeId, ttlSuffix } from "../../core/ids.js";
import { ConsumerRegistrations } from "../../core/registrations.js";
import { addJobSettings } from "../../core/validate.js";
import type { Logger } from "../../log.js";
import { MAX_LISTING_COUNT, MAX_SCAN_COUNT, scanBudget } from "../../core/listing-limits.js";
import type { Connections } from "./connection.js";
import { Keys, keySlot, queueTag } from "./keys.js";
import { queueScriptSource, QUEUE_SCRIPTS, type QueueScriptName } from "./lua.js";
import { JobDirectory } from "./directory.js";
import { NodeRegistry } from "./nodes.js";
import { QueueRegistry } from "./queues.js";
import { Timers } from "./timers.js";
import { deadLetter, delivery, deliveryWakeAt, jobInfo } from "./records.js";
import { Script, list, num, str, type Reply } from "./script.js";
import { FetchWaiter, JobWaiter, LocalWaiters, NotifyWaiter } from "./waiters.js";

export { QUEUE_IDLE_GC_MS } from "./timers.js";

/**
 * How long past its WAIT timeout a wait-repl job is kept before a timer run
 * deletes it as an orphan: room for a slow server to run RELEASE in time.
 */
const WAIT_REPL_GRACE_MS = 10_000;

/** Disque's NOREPL when WAIT falls short of the replicas asked for */
function replicationTimedOut(): BrokerError {
  return new BrokerError("NOREPL", "Timeout reached before replicating to the requested number of nodes");
}

/** sequence numbers are reserved from Redis in blocks of this many */
const SEQ_BLOCK = 1000;

/** JSCAN reads sequence numbers [cursor, cursor + SCAN_WINDOW × budget) of every queue per call */
const SCAN_WINDOW = 4;
/** most blocked fetchers served by one script call */
const SERVE_BATCH = 64;

export interface RedisBrokerSettings {
  conns: Connections;
  clock: Clock;
  prefix: string;
  host: string;
  port: number;
  maxJobSize: number;
  logger?: Logger | undefined;
}

/**
 * The broker contract on Redis: every queue operation is one Lua script run
 * atomically on the queue's slot; blocked clients are this server's own and
 * are woken through Redis pub/sub by whichever server made a job available.
 */
export class RedisBroker implements Broker {
  readonly nodeId = newNodeId();
  host: string;
  port: number;
  maxJobSize: number;
  /** reported to the other servers with the heartbeat (set it with setLeaving to tell them at once) */
  leaving = false;
  readonly keys: Keys;
  private readonly conns: Connections;
  private readonly clock: Clock;
  private readonly logger: Logger | undefined;
  private readonly scripts = new Map<QueueScriptName, Script>();
  private readonly waiters = new LocalWaiters();
  private readonly registry: NodeRegistry;
  private readonly queues: QueueRegistry;
  private readonly timers: Timers;
  private readonly directory: JobDirectory;
  /** okq QREGISTER: consumer -> queues */
  private readonly registrations = new ConsumerRegistrations();
  /** queues whose waiters are being served, and whether to go again */
  private readonly serving = new Map<string, boolean>();
  /** wake-ups received per queue: a fetch that found nothing sees whether one came meanwhile */
  private readonly wakeEpochs = new Map<string, number>();
  private randomPool = Buffer.alloc(0);
  private randomOffset = 0;
  private readonly nodePrefix = this.nodeId.slice(0, 8);
  private seqNext = 0;
  private seqEnd = 0;
  private seqRefill: Promise<void> | undefined;
  private safety: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;

  constructor(settings: RedisBrokerSettings) {
    this.conns = settings.conns;
    this.clock = settings.clock;
    this.keys = new Keys(settings.prefix);
    this.host = settings.host;
    this.port = settings.port;
    this.maxJobSize = settings.maxJobSize;
    this.logger = settings.logger;
    for (const name of Object.keys(QUEUE_SCRIPTS) as QueueScriptName[]) {
      this.scripts.set(name, new Script(queueScriptSource(name)));
    }
    this.registry = new NodeRegistry(this.conns.client, this.keys, this.clock, () => ({
      id: this.nodeId,
      host: this.host,
      port: this.port,
      priority: nodePriority(this.leaving),
    }));
    this.queues = new QueueRegistry(this.conns.client, this.keys);
    this.directory = new JobDirectory(this.conns.client, this.keys);
    this.timers = new Timers({
      client: this.conns.client,
      keys: this.keys,
      clock: this.clock,
      waiters: this.waiters,
      queues: this.queues,
      run: (name, queue, args) => this.run(name, queue, args),
    });
  }

  /** Loads the scripts, subscribes to wake-ups, registers this server. */
  async start(): Promise<void> {
    try {
      await this.conns.open();
    } catch (error) {
      throw new Error(`cannot connect to Redis (${this.conns.describe()}): ${(error as Error).message}`);
    }
    await Promise.all(
      this.conns
        .masters()
        .flatMap((node) => [
          ...[...this.scripts.values()].map((s) => s.load(node)),
          this.directory.load(node),
        ]),
    );
    const sub = this.conns.subscriber;
    sub.on("message", (channel: string, message: string) => this.onMessage(channel, message));
    await sub.subscribe(this.keys.wakeChannel, this.keys.goneChannel);
    await this.registry.beat();
    this.registry.start((error) => this.logger?.warn({ err: error.message }, "redis heartbeat failed"));
    // The safety net for lost wake-ups: blocked clients look again once a second.
    this.safety = setInterval(() => this.recheckAll(), 1000);
    this.safety.unref();
    this.started = true;
  }

  /** Writes this server's address into the registry now (the server calls it once it listens). */
  heartbeat(): Promise<void> {
    return this.registry.beat();
  }

  /** A PING answered within --redis-timeout (a command's own bound): /healthz and INFO ask it. */
  async storeAnswers(): Promise<boolean> {
    try {
      await Promise.all(this.conns.masters().map((node) => node.ping()));
      return true;
    } catch {
      return false;
    }
  }

  /** "standalone" or "cluster" */
  get mode(): string {
    return this.conns.cluster ? "cluster" : "standalone";
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.safety) clearInterval(this.safety);
    if (this.started) await this.registry.stop().catch(() => undefined);
    await this.timers.settled();
    await this.conns.close();
  }

  // ------------------------------------------------------------ plumbing

  private run(name: QueueScriptName, queue: string, args: Array<string | Buffer | number>): Promise<Reply> {
    return this.scripts
      .get(name)!
      .run(this.conns.client, this.keys.queue(queue), [
        queue,
        this.clock.now(),
        this.keys.wakeChannel,
        ...args,
      ]);
  }

  /**
   * Sequence numbers come from one deployment-wide counter, reserved in
   * blocks: consecutive on one server, unique across servers.
   */
  private async nextSeq(): Promise<number> {
    while (this.seqNext >= this.seqEnd) {
      this.seqRefill ??= (async () => {
        const end = await this.conns.client.incrby(this.keys.seq, SEQ_BLOCK);
        this.seqNext = end - SEQ_BLOCK + 1;
        this.seqEnd = end + 1;
      })().finally(() => (this.seqRefill = undefined));
      await this.seqRefill;
    }
    return this.seqNext++;
  }

  /** `D-<node8>-<queue tag (3)><21 random>-<ttl4>`: the tag leads from the id to the queue's slot. */
  private newJobId(queue: string, ttl: number, retry: number, suffix = ttlSuffix(ttl, retry)): string {
    // Random bytes drawn 1024 ids at a time, as the engine's IdGenerator does.
    if (this.randomOffset + 16 > this.randomPool.length) {
      this.randomPool = randomBytes(16 * 1024);
      this.randomOffset = 0;
    }
    const random = this.randomPool.toString("base64", this.randomOffset, this.randomOffset + 16).slice(0, 21);
    this.randomOffset += 16;
    return `D-${this.nodePrefix}-${queueTag(queue)}${random}-${suffix}`;
  }

  // ------------------------------------------------------------ wake-ups

  private onMessage(channel: string, message: string): void {
    if (channel === this.keys.wakeChannel) {
      if (this.wakeEpochs.size > 10_000) this.wakeEpochs.clear();
      this.wakeEpochs.set(message, (this.wakeEpochs.get(message) ?? 0) + 1);
      this.wake(message);
    } else if (channel === this.keys.goneChannel) {
      const space = message.indexOf(" ");
      const id = message.slice(0, space);
      const outcome = message.slice(space + 1) as JobWaitOutcome;
      const set = this.waiters.jobs.get(id);
      if (set) for (const waiter of [...set]) this.waiters.finishJobWaiter(waiter, outcome);
    }
  }

  /** A queue may have jobs: serve this server's blocked fetchers and notifiers. */
  private wake(queue: string): void {
    if (this.waiters.waitingOn(queue) > 0) void this.serve(queue);
    for (const notifier of [...this.waiters.notifiers]) {
      if (notifier.queues.includes(queue)) void this.checkNotifier(notifier, [queue]);
    }
  }

  private recheckAll(): void {
    for (const queue of [...this.waiters.fetchers.keys()]) void this.serve(queue);
    for (const notifier of [...this.waiters.notifiers]) void this.checkNotifier(notifier, notifier.queues);
    for (const [id, set] of [...this.waiters.jobs]) {
      void this.show(id)
        .then((info) => {
          if (info === null) for (const waiter of [...set]) this.waiters.finishJobWaiter(waiter, "deleted");
        })
        .catch(() => undefined);
    }
  }

  /**
   * Serves the queue's blocked fetchers in arrival order while it has jobs:
   * one script call takes a job for each of the first waiters that share
   * fetch options (lease, NOACK). One serving loop per queue at a time.
   */
  private async serve(queue: string): Promise<void> {
    if (this.serving.has(queue)) {
      this.serving.set(queue, true);
      return;
    }
    this.serving.set(queue, false);
    try {
      for (;;) {
        const batch = this.waiters.nextFetchers(queue, SERVE_BATCH);
        let got: Delivery[] = [];
        if (batch.length > 0) {
          const first = batch[0]!;
          for (const waiter of batch) waiter.busy = true;
          try {
            got = await this.take(queue, batch.length, first.leaseSeconds, first.consume);
          } finally {
            for (const waiter of batch) waiter.busy = false;
          }
          const unserved: string[] = [];
          let next = 0;
          for (const job of got) {
            while (next < batch.length && (batch[next]!.done || batch[next]!.aborted)) next++;
            const waiter = batch[next++];
            if (waiter) this.waiters.finishFetcher(waiter, [job]);
            else unserved.push(job.id);
          }
          // Waiters that went (abort) while the take was in flight: their jobs go back.
          if (unserved.length > 0) await this.putBack(unserved, "enqueue");
          this.waiters.settle(batch, this.clock.now());
        }
        if (got.length < batch.length || batch.length === 0) {
          if (this.serving.get(queue) === true) {
            this.serving.set(queue, false);
            continue;
          }
          break;
        }
      }
    } catch (error) {
      this.logger?.warn({ err: (error as Error).message, queue }, "serving blocked clients failed");
    } finally {
      this.serving.delete(queue);
    }
  }

  private async checkNotifier(notifier: NotifyWaiter, queues: string[]): Promise<void> {
    for (const queue of queues) {
      if (notifier.done) return;
      if (await this.hasReady(queue)) {
        this.waiters.finishNotifier(notifier, queue);
        return;
      }
    }
  }

  private async hasReady(queue: string): Promise<boolean> {
    const r = list(await this.run("counts", queue, []));
    return num(r[1]) > 0 && num(r[2]) === 0;
  }

  // ------------------------------------------------------------ timers

  /**
   * Runs every timer that is due on the clock, in any queue of the
   * deployment (delays, lease re-queues, expiries), then times out this
   * server's blocked clients. Concurrent calls run one after the other.
   */
  runDue(): Promise<void> {
    return this.timers.runDue();
  }

  /** the earliest deadline of this server's blocked clients (ms on the clock), or Infinity */
  nextLocalDeadline(): number {
    return this.waiters.nextDeadline();
  }

  // ------------------------------------------------------------ jobs

  async addJob(req: AddJobRequest): Promise<AddJobResult> {
    const { ttl, retry, delay, repl } = addJobSettings(req, this.maxJobSize);
    const seq = await this.nextSeq();
    const id = this.newJobId(req.queue, ttl, retry);
    const args = [
      req.queue,
      this.clock.now(),
      this.keys.wakeChannel,
      id,
      seq,
      req.body,
      ttl,
      retry,
      delay,
      repl,
      req.maxlen ?? 0,
      req.placement === "front" ? 1 : 0,
      req.eventId !== undefined ? 1 : 0,
      req.eventId ?? "",
      req.retries ?? -1,
      req.numbered ? 1 : 0,
    ];
    const keys = this.keys.queue(req.queue);
    const added = list(
      repl > 1
        ? await this.addReplicated(id, req, keys, args, repl)
        : await this.scripts.get("add")!.run(this.conns.client, keys, [...args, 0]),
    );
    const created = num(added[0]);
    this.directory.remember(id, req.queue);
    const now = this.clock.now();
    await Promise.all([
      created === 1 ? this.queues.register(req.queue) : undefined,
      this.timers.note(req.queue, Math.min(now + ttl * 1000, delay > 0 ? now + delay * 1000 : Infinity)),
    ]);
    return Buffer.isBuffer(added[1]) ? { id, seq, eventId: str(added[1]) } : { id, seq };
  }

  /**
   * REPLICATE n (docs/redis.md, "REPLICATE levels"): on a connection of its
   * own to the queue's master, the job is added in the wait-repl state (not
   * deliverable), `WAIT n-1` confirms it on the replicas, RELEASE makes it
   * ready, and a second `WAIT n-1` confirms the release before the producer
   * is told. So a job whose producer got its id is ready on n copies, and a
   * wait-repl job anywhere (an orphan of a server killed between the steps)
   * was never acknowledged: the timer run that deletes it at its hold
   * deadline can never lose an acknowledged job, even on a promoted replica.
   * Too few replicas attached: NOREPL at once, nothing added.
   */
  private async addReplicated(
    id: string,
    req: AddJobRequest,
    keys: readonly string[],
    args: Array<string | Buffer | number>,
    repl: number,
  ): Promise<Reply> {
    const conn: Redis = this.conns.replicationConnection(keySlot(keys[0]!));
    const role = (await conn.call("ROLE")) as unknown[];
    const attached = Array.isArray(role[2]) ? role[2].length : 0;
    if (attached < repl - 1) {
      throw new BrokerError("NOREPL", "Not enough reachable nodes for the requested replication level");
    }
    const timeoutMs = req.replicationTimeoutMs ?? 0;
    // WAIT 0 blocks for ever: such a job is held until its TTL at most.
    const holdUntil = timeoutMs > 0 ? this.clock.now() + timeoutMs + WAIT_REPL_GRACE_MS : -1;
    const added = await this.scripts.get("add")!.run(conn, keys, [...args, holdUntil]);
    // Known to the timer runs before WAIT, so an orphan is swept by any server.
    await Promise.all([
      num(list(added)[0]) === 1 ? this.queues.register(req.queue) : undefined,
      holdUntil > 0 ? this.timers.note(req.queue, holdUntil) : undefined,
    ]);
    // each step reads the clock when it runs: RELEASE starts the job's retry timer
    const step = (name: "release" | "retract"): Promise<Reply> =>
      this.scripts.get(name)!.run(conn, keys, [req.queue, this.clock.now(), this.keys.wakeChannel, id]);
    const replicated = async (): Promise<boolean> => (await conn.wait(repl - 1, timeoutMs)) >= repl - 1;
    if (!(await replicated())) {
      await step("retract");
      throw replicationTimedOut();
    }
    if (num(await step("release")) !== 1) {
      // deleted meanwhile (DELJOB, or swept past its hold deadline): nobody ever had it
      throw replicationTimedOut();
    }
    // The replicas have the job but maybe not its release. Undo it if no consumer had it;
    // a job already delivered is running, so the producer is told it was added (docs/redis.md).
    if (!(await replicated()) && num(await step("retract")) === 1) throw replicationTimedOut();
    return added;
  }

  async getJobs(req: GetJobsRequest): Promise<Delivery[] | null> {
    if (req.leaseSeconds !== undefined && (!Number.isSafeInteger(req.leaseSeconds) || req.leaseSeconds < 1)) {
      throw new BrokerError("ERR", "lease must be a positive number of seconds");
    }
    const consume = req.consume === true;
    const epochs = req.queues.map((queue) => this.wakeEpochs.get(queue) ?? 0);
    // A fetch that would block makes its queues known (QSTAT shows them), as on the embedded store;
    // so does Disque's GETJOB that does not block.
    const ensure = !req.nohang || req.createQueues === true;
    const taken = await this.takeRounds(req.queues, req.count, req.leaseSeconds, consume, ensure);
    if (taken.length > 0) return taken;
    if (req.nohang || req.signal?.aborted) return null;
    const now = this.clock.now();
    return new Promise((resolve) => {
      const deadline = req.timeoutMs > 0 ? now + req.timeoutMs : 0;
      const waiter = new FetchWaiter(req.queues, deadline, req.leaseSeconds, consume, resolve);
      this.waiters.addFetcher(waiter);
      req.signal?.addEventListener("abort", () => this.waiters.abortFetcher(waiter));
      // A job may have come between the first look and now: its wake-up came already.
      req.queues.forEach((queue, i) => {
        if ((this.wakeEpochs.get(queue) ?? 0) !== epochs[i]) void this.serve(queue);
      });
    });
  }

  private async ensureQueue(queue: string): Promise<void> {
    const r = list(await this.run("pause", queue, [""]));
    if (num(r[1]) === 1) await this.queues.register(queue);
  }

  private async take(
    queue: string,
    count: number,
    leaseSeconds: number | undefined,
    consume: boolean,
    ensure = false,
  ): Promise<Delivery[]> {
    const all = list(
      await this.run("take", queue, [count, leaseSeconds ?? 0, consume ? 1 : 0, ensure ? 1 : 0]),
    );
    if (num(all[0]) === 1) await this.queues.register(queue);
    const reply = all.slice(1);
    if (reply.length === 0) return [];
    const out = reply.map((r) => delivery(queue, r));
    for (const job of out) this.directory.remember(job.id, queue);
    if (!consume) await this.timers.note(queue, Math.min(...reply.map(deliveryWakeAt)));
    return out;
  }

  /** GETJOB's rounds: at most one job per queue per round, left to right. */
  private async takeRounds(
    queues: string[],
    count: number,
    leaseSeconds: number | undefined,
    consume: boolean,
    ensure: boolean,
  ): Promise<Delivery[]> {
    if (queues.length === 1) return this.take(queues[0]!, count, leaseSeconds, consume, ensure);
    const taken: Delivery[] = [];
    for (let round = 0; taken.length < count; round++) {
      const before = taken.length;
      for (const queue of queues) {
        // Only a fetch that took nothing in its first round blocks: that round made each queue known.
        taken.push(...(await this.take(queue, 1, leaseSeconds, consume, ensure && round === 0)));
        if (taken.length === count) break;
      }
      if (taken.length === before) break;
    }
    return taken;
  }

  ackJobs(ids: string[]): Promise<number> {
    return this.removeEach(ids, "ack");
  }

  fastAck(ids: string[]): Promise<number> {
    return this.removeEach(ids, "fastack");
  }

  deleteJobs(ids: string[]): Promise<number> {
    return this.removeEach(ids, "deljob");
  }

  private async removeEach(ids: string[], reason: "ack" | "fastack" | "deljob"): Promise<number> {
    checkIds(ids);
    const groups = await this.directory.groupByQueue(ids);
    let removed = 0;
    await Promise.all(
      [...groups].map(async ([queue, group]) => {
        const n = num(await this.run("remove", queue, [reason, ...new Set(group)]));
        removed += n;
        for (const id of group) this.directory.forget(id);
      }),
    );
    return removed;
  }

  nack(ids: string[], placement: NackPlacement = "own"): Promise<number> {
    checkIds(ids);
    return this.putBack(ids, placement === "back" ? "nack-to-back" : "nack");
  }

  enqueue(ids: string[]): Promise<number> {
    checkIds(ids);
    return this.putBack(ids, "enqueue");
  }

  release(ids: string[]): Promise<number> {
    checkIds(ids);
    return this.putBack(ids, "release");
  }

  private async putBack(
    ids: string[],
    how: "nack" | "nack-to-back" | "enqueue" | "release",
  ): Promise<number> {
    const groups = await this.directory.groupByQueue(ids);
    let moved = 0;
    await Promise.all(
      [...groups].map(async ([queue, group]) => {
        const n = num(await this.run("putBack", queue, [how, ...group]));
        moved += n;
        if (n > 0) await this.timers.noteEarliest(queue);
      }),
    );
    return moved;
  }

  async dequeue(ids: string[]): Promise<number> {
    checkIds(ids);
    const groups = await this.directory.groupByQueue(ids);
    let moved = 0;
    await Promise.all(
      [...groups].map(async ([queue, group]) => {
        const n = num(await this.run("dequeue", queue, group));
        moved += n;
        await this.timers.noteEarliest(queue);
      }),
    );
    return moved;
  }

  async working(id: string): Promise<number> {
    checkIds([id]);
    const [queue] = await this.directory.queuesOf([id]);
    if (queue === undefined) throw new BrokerError("NOJOB", "Job not known in the context of this node.");
    const seconds = num(await this.run("working", queue, [id]));
    await this.timers.noteEarliest(queue);
    return seconds;
  }

  async show(id: string): Promise<JobInfo | null> {
    checkIds([id]);
    const [queue] = await this.directory.queuesOf([id]);
    if (queue === undefined) return null;
    const reply = list(await this.run("show", queue, [id]));
    return Array.isArray(reply[0]) ? jobInfo(queue, reply[0], this.clock.now()) : null;
  }

  /**
   * A sequence number says nothing of its queue: every tag of a known queue
   * is asked (its seq -> id index). O(queues), for TaskQ's task lookups.
   */
  async showBySeq(seq: number): Promise<JobInfo | null> {
    if (!Number.isSafeInteger(seq) || seq < 1) return null;
    const tags = new Set((await this.queues.all()).map(([queue]) => queueTag(queue)));
    const id = await this.directory.idOfSeq(seq, tags);
    return id === undefined ? null : this.show(id);
  }

  async waitJob(id: string, timeoutMs: number, signal?: AbortSignal): Promise<JobWaitOutcome> {
    checkIds([id]);
    const [queue] = await this.directory.queuesOf([id]);
    if (queue === undefined) return "gone";
    if (signal?.aborted) return null;
    const now = this.clock.now();
    return new Promise((resolve) => {
      const waiter = new JobWaiter(id, timeoutMs > 0 ? now + timeoutMs : 0, resolve);
      this.waiters.addJobWaiter(waiter);
      signal?.addEventListener("abort", () => this.waiters.finishJobWaiter(waiter, null));
      // Watched from now on: its removal is published. Gone already: say so.
      void this.run("watch", queue, [id]).then(
        (live) => {
          if (num(live) === 0) this.waiters.finishJobWaiter(waiter, "gone");
        },
        () => this.waiters.finishJobWaiter(waiter, null),
      );
    });
  }

  // ------------------------------------------------------------ queues

  async qlen(queue: string): Promise<number> {
    return num(list(await this.run("counts", queue, []))[1]);
  }

  async qpeek(queue: string, count: number): Promise<JobInfo[]> {
    if (count === 0) return [];
    const now = this.clock.now();
    const capped = Math.sign(count) * Math.min(Math.abs(count), MAX_LISTING_COUNT);
    return list(await this.run("peek", queue, [capped])).map((r) => jobInfo(queue, r, now));
  }

  async qstat(queue: string): Promise<QueueStats | null> {
    const r = list(await this.run("stat", queue, []));
    if (num(r[0]) === 0) return null;
    const now = this.clock.now();
    return {
      name: queue,
      len: num(r[1]),
      age: Math.floor((now - num(r[2])) / 1000),
      idle: Math.floor((now - num(r[3])) / 1000),
      blocked: this.waiters.waitingOn(queue),
      jobsIn: num(r[5]),
      jobsOut: num(r[6]),
      pause: str(r[4]) as PauseState,
    };
  }

  async pause(queue: string, ops: PauseOp[]): Promise<PauseState> {
    let state = "";
    for (const op of ops) if (op !== "state" && op !== "bcast") state = op;
    const r = list(await this.run("pause", queue, [state]));
    if (num(r[1]) === 1) await this.queues.register(queue);
    const after = str(r[0]) as PauseState;
    return after;
  }

  async jscan(cursor: number, opts: JobScanOptions): Promise<ScanResult<JobInfo>> {
    const budget = scanBudget(opts);
    // A window of sequence numbers bounds the jobs fetched whatever the number of queues.
    const from = Math.max(cursor, 1);
    const to = from + SCAN_WINDOW * budget;
    const now = this.clock.now();
    const all: JobInfo[] = [];
    let beyond = 0;
    for await (const names of this.queueBatches(opts.queue)) {
      await Promise.all(
        names.map(async (queue) => {
          const [infos, next] = list(await this.run("scan", queue, [from, to, budget + 1]));
          for (const r of list(infos)) all.push(jobInfo(queue, r, now));
          const seq = num(next);
          if (seq > 0 && (beyond === 0 || seq < beyond)) beyond = seq;
        }),
      );
    }
    all.sort((a, b) => a.seq - b.seq);
    // Each queue gave its first budget + 1 of the window: every seq before the cut is here.
    const page = all.length > budget ? all.slice(0, budget) : all;
    const next = all.length > budget ? all[budget]!.seq : beyond;
    const states = opts.states && opts.states.length > 0 ? new Set<JobState>(opts.states) : undefined;
    return { cursor: next, items: states ? page.filter((info) => states.has(info.state)) : page };
  }

  /** `queue` alone, or every registered queue a registry page at a time, the other clients served in between. */
  private async *queueBatches(queue: string | undefined): AsyncGenerator<string[]> {
    if (queue !== undefined) {
      yield [queue];
      return;
    }
    let serial = 0;
    for (;;) {
      const page = await this.queues.from(serial, MAX_SCAN_COUNT);
      if (page.length > 0) yield page.map(([name]) => name);
      if (page.length < MAX_SCAN_COUNT) return;
      serial = page[page.length - 1]![1] + 1;
      await yieldToLoop();
    }
  }

  async qscan(cursor: number, opts: QueueScanOptions): Promise<ScanResult<string>> {
    const budget = scanBudget(opts);
    const window = await this.queues.from(cursor, budget + 1);
    const stats = await Promise.all(window.map(([queue]) => this.run("stat", queue, [])));
    const items: string[] = [];
    for (const [i, [queue, serial]] of window.entries()) {
      if (i >= budget) return { cursor: serial, items };
      const stat = list(stats[i]);
      if (num(stat[0]) === 0) continue; // hidden or gone
      const len = num(stat[1]);
      if (opts.minlen !== undefined && len < opts.minlen) continue;
      if (opts.maxlen !== undefined && len > opts.maxlen) continue;
      if (opts.importrate !== undefined && opts.importrate > 0) continue;
      items.push(queue);
    }
    return { cursor: 0, items };
  }

  /** DEBUG FLUSHALL: every job, queue and dead letter of this prefix goes; blocked fetchers stay. */
  async flushAll(): Promise<void> {
    for (const [, set] of [...this.waiters.jobs]) {
      for (const waiter of [...set]) this.waiters.finishJobWaiter(waiter, "deleted");
    }
    // The totals are "since start": they outlive the jobs.
    await Promise.all(
      (await this.queues.all()).map(async ([queue]) => {
        const r = list(await this.run("stat", queue, []));
        await this.queues.foldTotals([0, r[8]!, r[9]!, r[10]!, r[11]!, r[12]!]);
      }),
    );
    const keep = new Set([this.keys.seq, this.keys.nodes, this.keys.qserial, this.keys.totals]);
    await Promise.all(
      this.conns.masters().map(async (node) => {
        let cursor = "0";
        do {
          const [next, keys] = await node.scan(cursor, "MATCH", `${this.keys.prefix}:*`, "COUNT", 1000);
          cursor = next;
          const doomed = keys.filter((key) => !keep.has(key) && !key.startsWith(this.keys.node("")));
          // One key per call: in a Cluster they live in different slots.
          await Promise.all(doomed.map((key) => node.unlink(key)));
        } while (cursor !== "0");
      }),
    );
    this.directory.clear();
    this.timers.reset();
    // Blocked fetchers keep their queues known, as on the embedded store.
    await Promise.all([...this.waiters.fetchers.keys()].map((queue) => this.ensureQueue(queue)));
  }

  async stats(): Promise<BrokerStats> {
    const queues = await this.queues.all();
    const folded = await this.queues.totals();
    const totals = {
      jobs: 0,
      queued: 0,
      held: 0,
      queues: 0,
      added: Number(folded.added ?? 0),
      delivered: Number(folded.delivered ?? 0),
      acked: Number(folded.acked ?? 0),
      expired: Number(folded.expired ?? 0),
      requeued: Number(folded.requeued ?? 0),
    };
    await Promise.all(
      queues.map(async ([queue]) => {
        const r = list(await this.run("stat", queue, []));
        totals.queues += num(r[0]);
        totals.queued += num(r[1]);
        totals.jobs += num(r[7]);
        totals.added += num(r[8]);
        totals.delivered += num(r[9]);
        totals.acked += num(r[10]);
        totals.expired += num(r[11]);
        totals.requeued += num(r[12]);
        totals.held += num(r[13]);
      }),
    );
    return {
      jobs: totals.jobs,
      queues: totals.queues,
      jobsByState: {
        "wait-repl": totals.held,
        active: totals.jobs - totals.queued - totals.held,
        queued: totals.queued,
        acked: 0,
      },
      blockedClients: this.waiters.blocked,
      added: totals.added,
      delivered: totals.delivered,
      acked: totals.acked,
      expired: totals.expired,
      requeued: totals.requeued,
    };
  }

  nodes(): Promise<NodeInfo[]> {
    return this.registry.live();
  }

  whenDurable(): undefined {
    return undefined;
  }

  // ------------------------------------------------------------ dialects

  async ackInQueue(queue: string, ref: string, by: JobRef): Promise<number> {
    if (by === "seq") {
      const seq = /^[0-9]{1,15}$/.test(ref) ? Number(ref) : NaN;
      if (!Number.isSafeInteger(seq)) return 0;
    }
    return num(await this.run("ackInQueue", queue, [ref, by]));
  }

  async requeueFirst(queue: string, ref: string, by: JobRef): Promise<number> {
    const moved = num(await this.run("requeueFirst", queue, [ref, by]));
    if (moved === 1) await this.timers.noteEarliest(queue);
    return moved;
  }

  async retryJob(queue: string, id: string): Promise<"requeued" | "deadlettered" | null> {
    const reply = await this.run("retry", queue, [id]);
    if (reply === null) return null;
    const outcome = str(reply) as "requeued" | "deadlettered";
    if (outcome === "requeued") await this.timers.noteEarliest(queue);
    return outcome;
  }

  async flushQueue(queue: string): Promise<number> {
    const r = list(await this.run("flushQueue", queue, []));
    const removed = num(r[0]);
    await this.queues.foldTotals(r);
    if (this.waiters.waitingOn(queue) > 0) await this.ensureQueue(queue);
    else {
      await this.conns.client.zrem(this.keys.queues, queue);
      if ((await this.conns.client.exists(this.keys.queue(queue)[0]!)) === 1)
        await this.queues.register(queue);
    }
    return removed;
  }

  /** counts per queue; without names, every queue that is known or holds a live job, by name */
  async queueCounts(names?: string[]): Promise<QueueCounts[]> {
    const wanted = names ?? (await this.queues.all()).map(([q]) => q).sort();
    const counts = await Promise.all(
      wanted.map(async (name) => {
        const r = list(await this.run("counts", name, []));
        const total = num(r[0]);
        const waiting = num(r[1]);
        const consumers = this.waiters.waitingOn(name) + this.registrations.consumersOf(name);
        const listed = names !== undefined || num(r[3]) === 1 || total > 0;
        return listed ? { name, total, waiting, processing: total - waiting, consumers } : undefined;
      }),
    );
    return counts.filter((c): c is QueueCounts => c !== undefined);
  }

  registerConsumer(consumer: string, queues: string[]): void {
    this.registrations.set(consumer, queues);
  }

  async notify(consumer: string, timeoutMs: number, signal?: AbortSignal): Promise<string | null> {
    // Registered on nothing: nothing wakes it, it waits for its time-out (as okq).
    const names = [...this.registrations.queuesOf(consumer)];
    for (const name of names) if (await this.hasReady(name)) return name;
    if (signal?.aborted) return null;
    const now = this.clock.now();
    return new Promise((resolve) => {
      const notifier = new NotifyWaiter(names, timeoutMs > 0 ? now + timeoutMs : 0, resolve);
      this.waiters.addNotifier(notifier);
      signal?.addEventListener("abort", () => this.waiters.finishNotifier(notifier, null));
      void this.checkNotifier(notifier, names);
    });
  }

  deadLetters(queue: string, count: number): Promise<DeadLetterInfo[]> {
    return this.oldestDeadLetters(queue, Math.min(count, MAX_LISTING_COUNT));
  }

  /** uncapped: REDRIVE moves as many as it is asked */
  private async oldestDeadLetters(queue: string, count: number): Promise<DeadLetterInfo[]> {
    if (count <= 0) return [];
    return list(await this.run("deadLetters", queue, [count])).map((r) => deadLetter(queue, r));
  }

  async redrive(queue: string, count: number): Promise<number> {
    if (count <= 0) return 0;
    const waiting = num(await this.conns.client.llen(this.keys.queue(queue)[7]!));
    const n = Math.min(count, waiting);
    if (n === 0) return 0;
    const args: Array<string | number> = [];
    // Ids carry TTL and RETRY in their last four digits: each fresh id takes its letter's.
    const letters = await this.oldestDeadLetters(queue, n);
    for (const letter of letters) {
      args.push(this.newJobId(queue, 0, 0, letter.id.slice(36)), await this.nextSeq());
    }
    const moved = num(await this.run("redrive", queue, args));
    if (moved > 0) await this.timers.noteEarliest(queue);
    return moved;
  }
}

/** Multi-id commands check every id first and do nothing if one is malformed. */
function checkIds(ids: string[]): void {
  for (const id of ids) if (!isValidJobId(id)) throw badIdError();
}
