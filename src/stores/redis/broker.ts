import {
  type AddJobRequest,
  type AddJobResult,
  type Broker,
  type BrokerStats,
  type DeadLetterInfo,
  type DeadLetterSelection,
  type Delivery,
  type FailureDefaults,
  type GetJobsRequest,
  type JobInfo,
  type JobLookup,
  type JobResult,
  type JobScanOptions,
  type JobWaitOutcome,
  type NackOptions,
  nodePriority,
  type NodeInfo,
  type PauseOp,
  type PauseState,
  type QueueCounts,
  type QueuePolicy,
  type QueueScanOptions,
  type QueueStats,
  type ScanResult,
  type ScheduleDefinition,
  type ScheduleInfo,
  type SchedulePage,
  type WaitSignal,
} from "../../core/contract.js";
import type { Clock } from "../../core/clock.js";
import { addJobSettings } from "../../core/validate.js";
import { schedulingArgs } from "./scheduling.js";
import { checkNackOptions, formatBackoff } from "../../core/failures.js";
import type { RandomSource } from "../../core/ids.js";
import { checkIds } from "../../core/job-id-check.js";
import { checkLeaseSeconds } from "../../core/lease.js";
import { foldPauseOps } from "../../core/pause-ops.js";
import { MAX_LISTING_COUNT } from "../../core/listing-limits.js";
import type { Logger } from "../../log.js";
import { BlockedClients } from "./blocking.js";
import type { Consumer, ExplainFacts } from "../../core/explain.js";
import { explainJob } from "./explain.js";
import type { Connections } from "./connection.js";
import { DialectCommands } from "./dialects.js";
import { FailureCommands } from "./failures.js";
import type { Keys } from "./keys.js";
import { queueTag } from "./keys.js";
import { NodeRegistry } from "./nodes.js";
import { decodeAdd, decodeCounts, decodeJobInfo, decodePause, decodeStat, originLetter } from "./replies.js";
import { addReplicated } from "./replicate.js";
import { flushAll, jscan, qscan, storeStats } from "./scans.js";
import { list } from "./script.js";
import { QueueStore, type PutBackHow } from "./store.js";
import { ADD_FIELDS } from "./add-runs.js";
import { RedisSchedules } from "./schedules.js";

export { QUEUE_IDLE_GC_MS } from "./timers.js";

export interface RedisBrokerSettings {
  conns: Connections;
  clock: Clock;
  prefix: string;
  host: string;
  port: number;
  maxJobSize: number;
  logger?: Logger | undefined;
  /** the jitter draws of backoffs (default crypto's randomBytes) */
  random?: RandomSource | undefined;
}

/**
 * The broker contract on Redis: every queue operation is one Lua script run
 * atomically on the queue's slot (scripts/); blocked clients are this server's
 * own and are woken through Redis pub/sub by whichever server made a job
 * available (blocking.ts). This class holds the job commands and the life
 * cycle; queue listings live in scans.ts, dialect extras in dialects.ts.
 */
export class RedisBroker implements Broker {
  readonly nodeId: string;
  host: string;
  port: number;
  maxJobSize: number;
  /** reported to the other servers with the heartbeat (set it with setLeaving to tell them at once) */
  leaving = false;
  readonly keys: Keys;
  private readonly store: QueueStore;
  private readonly blocked: BlockedClients;
  private readonly dialects: DialectCommands;
  private readonly failures: FailureCommands;
  private readonly registry: NodeRegistry;
  private readonly schedules: RedisSchedules;
  private safety: NodeJS.Timeout | undefined;
  private closed = false;
  private started = false;

  constructor(settings: RedisBrokerSettings) {
    this.store = new QueueStore(settings);
    this.nodeId = this.store.nodeId;
    this.keys = this.store.keys;
    this.host = settings.host;
    this.port = settings.port;
    this.maxJobSize = settings.maxJobSize;
    this.blocked = new BlockedClients(this.store);
    this.dialects = new DialectCommands(this.store);
    this.failures = new FailureCommands(this.store);
    this.schedules = new RedisSchedules(this.store.conns.client, this.keys, this.store.clock, (req) =>
      this.addJob(req),
    );
    this.store.timers.schedules = this.schedules;
    this.registry = new NodeRegistry(this.store.conns.client, this.keys, this.store.clock, () => ({
      id: this.nodeId,
      host: this.host,
      port: this.port,
      priority: nodePriority(this.leaving),
    }));
  }

  /** Loads the scripts, subscribes to wake-ups, registers this server. */
  async start(): Promise<void> {
    const { conns, logger } = this.store;
    try {
      await conns.open();
    } catch (error) {
      throw new Error(`cannot connect to Redis (${conns.describe()}): ${(error as Error).message}`);
    }
    await Promise.all(
      conns.masters().flatMap((node) => [...this.store.loadScripts(node), ...this.schedules.load(node)]),
    );
    const sub = conns.subscriber;
    sub.on("message", (channel: string, message: string) => this.blocked.onMessage(channel, message));
    // wake-ups may be lost while the subscriber is away: no queue is known empty after it
    sub.on("close", () => this.store.idle.forgetAll());
    sub.on("ready", () => this.store.idle.forgetAll());
    await sub.subscribe(this.keys.wakeChannel, this.keys.goneChannel);
    await this.registry.beat();
    this.registry.start((error) => logger?.warn({ err: error.message }, "redis heartbeat failed"));
    // The safety net for lost wake-ups: blocked clients look again once a second.
    this.safety = setInterval(() => this.blocked.recheckAll(), 1000);
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
      await Promise.all(this.store.conns.masters().map((node) => node.ping()));
      return true;
    } catch {
      return false;
    }
  }

  /** "standalone" or "cluster" */
  get mode(): string {
    return this.store.conns.cluster ? "cluster" : "standalone";
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.safety) clearInterval(this.safety);
    if (this.started) await this.registry.stop().catch(() => undefined);
    await this.store.fetchNotes.flush().catch(() => undefined);
    await this.store.timers.settled();
    await this.store.conns.close();
  }

  // ------------------------------------------------------------ timers

  /**
   * Runs every timer that is due on the clock, in any queue of the
   * deployment (delays, lease re-queues, expiries), then times out this
   * server's blocked clients. Concurrent calls run one after the other.
   */
  runDue(): Promise<void> {
    return this.store.timers.runDue();
  }

  /** the earliest deadline of this server's blocked clients (ms on the clock), or Infinity */
  nextLocalDeadline(): number {
    return this.store.waiters.nextDeadline();
  }

  // ------------------------------------------------------------ recurring jobs (schedules.ts)

  upsertSchedule(def: ScheduleDefinition): Promise<ScheduleInfo> {
    return this.schedules.upsert(def);
  }

  getSchedule(name: string): Promise<ScheduleInfo | null> {
    return this.schedules.get(name);
  }

  listSchedules(cursor: string, count: number): Promise<SchedulePage> {
    return this.schedules.list(cursor, count);
  }

  removeSchedule(name: string): Promise<number> {
    return this.schedules.remove(name);
  }

  // ------------------------------------------------------------ jobs

  async addJob(req: AddJobRequest): Promise<AddJobResult> {
    const { store } = this;
    const { ttl, retry, delay, repl } = addJobSettings(req, this.maxJobSize);
    const seq = store.takeSeq() ?? (await store.nextSeq());
    const id = store.newJobId(req.queue, ttl, retry);
    // add-12.lua's ARGV from 4 on, holdUntil and the origin (the last two) aside
    const args: Array<string | number | Buffer> = [
      id,
      seq,
      req.body,
      ttl,
      retry,
      delay,
      repl,
      req.maxlen ?? 0,
      req.placement === "front" ? 1 : 0,
      req.clientKey !== undefined ? 1 : 0,
      req.clientKey ?? "",
      req.retryBudget ?? "",
      req.perQueueNumber ? 1 : 0,
      req.backoff ? formatBackoff(req.backoff) : "",
      req.runTimeoutMs ?? "",
      store.failures.retryBudget,
      req.retryOnlyBudget ? 1 : 0,
    ];
    const tail = [originLetter(req.origin), ...schedulingArgs(req)];
    const keys = req.key !== undefined ? [this.keys.idempotencyKey(req.queue, req.key)] : [];
    const added = decodeAdd(
      repl > 1
        ? await addReplicated(store, req.queue, id, args, repl, req.replicationTimeoutMs ?? 0, tail, keys)
        : keys.length > 0
          ? await store.runWithKeys("add", req.queue, keys, [...args, 0, ...tail])
          : await store.adds.add(req.queue, padded([...args, 0, ...tail], ADD_FIELDS)),
    );
    if (added.duplicate) return { ...added.duplicate, duplicate: true };
    store.directory.remember(id, req.queue);
    const now = store.clock.now();
    const noting = store.timers.note(
      req.queue,
      Math.min(now + ttl * 1000, delay > 0 ? now + delay * 1000 : Infinity),
    );
    if (added.created) await Promise.all([store.queues.register(req.queue), noting]);
    else if (noting) await noting;
    return added.eventId !== undefined ? { id, seq, clientKey: added.eventId } : { id, seq };
  }

  async getJobs(req: GetJobsRequest): Promise<Delivery[] | null> {
    checkLeaseSeconds(req.leaseSeconds);
    return this.blocked.getJobs(req, req.consume === true);
  }

  ackJobs(ids: string[], result?: Buffer): Promise<number> {
    return this.store.remove(ids, "ack", this.maxJobSize, result);
  }

  fastAck(ids: string[]): Promise<number> {
    return this.store.remove(ids, "fastack", this.maxJobSize);
  }

  deleteJobs(ids: string[]): Promise<number> {
    return this.store.remove(ids, "deljob", this.maxJobSize);
  }

  nack(ids: string[], options?: NackOptions): Promise<number> {
    checkNackOptions(options);
    return this.putBack(ids, options?.placement === "back" ? "nack-to-back" : "nack", options);
  }

  enqueue(ids: string[]): Promise<number> {
    return this.putBack(ids, "enqueue");
  }

  release(ids: string[]): Promise<number> {
    return this.putBack(ids, "release");
  }

  private async putBack(ids: string[], how: PutBackHow, options?: NackOptions): Promise<number> {
    checkIds(ids);
    return this.store.putBack(ids, how, options);
  }

  dequeue(ids: string[]): Promise<number> {
    return this.store.dequeue(ids);
  }

  working(id: string): Promise<number> {
    return this.store.working(id);
  }

  show(id: string): Promise<JobInfo | null> {
    return this.store.show(id);
  }

  /**
   * A sequence number says nothing of its queue: every tag of a known queue
   * is asked (its seq -> id index). O(queues), for TaskQ's task lookups.
   */
  async showBySeq(seq: number): Promise<JobInfo | null> {
    if (!Number.isSafeInteger(seq) || seq < 1) return null;
    const tags = new Set((await this.store.queues.all()).map(([queue]) => queueTag(queue)));
    const id = await this.store.directory.idOfSeq(seq, tags);
    return id === undefined ? null : this.show(id);
  }

  waitJob(id: string, timeoutMs: number, signal?: WaitSignal): Promise<JobWaitOutcome> {
    return this.blocked.waitJob(id, timeoutMs, signal);
  }

  // ------------------------------------------------------------ queues

  async qlen(queue: string): Promise<number> {
    return decodeCounts(await this.store.run("counts", queue, [])).ready;
  }

  async qpeek(queue: string, count: number): Promise<JobInfo[]> {
    if (count === 0) return [];
    const now = this.store.clock.now();
    const capped = Math.sign(count) * Math.min(Math.abs(count), MAX_LISTING_COUNT);
    return list(await this.store.run("peek", queue, [capped])).map((r) => decodeJobInfo(queue, r, now));
  }

  async qstat(queue: string): Promise<QueueStats | null> {
    const stat = decodeStat(await this.store.run("stat", queue, []));
    if (!stat.visible) return null;
    const now = this.store.clock.now();
    return {
      name: queue,
      len: stat.len,
      age: Math.floor((now - stat.created) / 1000),
      idle: Math.floor((now - stat.touched) / 1000),
      blocked: this.store.waiters.waitingOn(queue),
      jobsIn: stat.jobsIn,
      jobsOut: stat.jobsOut,
      pause: stat.pause,
      backingOff: stat.backingOff,
      deadLetters: stat.deadLetters,
      delayed: stat.delayed,
      inFlight: stat.inFlight,
      oldestReadyAt: stat.oldestReadyAt,
      ...(stat.rateLimit !== undefined ? { rateLimit: stat.rateLimit } : {}),
      rateLimitedUntil: stat.rateLimitedUntil,
      groups: stat.groups,
      heldBack: stat.heldBack,
    };
  }

  async pause(queue: string, ops: PauseOp[], by?: Consumer): Promise<PauseState> {
    const args = [foldPauseOps(ops) ?? "", by?.id ?? "", by?.addr ?? ""];
    const after = decodePause(await this.store.run("pause", queue, args));
    if (after.created) await this.store.queues.register(queue);
    return after.state;
  }

  explain(id: string): Promise<ExplainFacts> {
    return explainJob(this.store, this.failures, id);
  }

  jscan(cursor: number, opts: JobScanOptions): Promise<ScanResult<JobInfo>> {
    return jscan(this.store, cursor, opts);
  }

  qscan(cursor: number, opts: QueueScanOptions): Promise<ScanResult<string>> {
    return qscan(this.store, cursor, opts);
  }

  /** DEBUG FLUSHALL: every job, queue and dead letter of this prefix goes; blocked fetchers stay. */
  flushAll(): Promise<void> {
    return flushAll(this.store);
  }

  stats(): Promise<BrokerStats> {
    return storeStats(this.store);
  }

  nodes(): Promise<NodeInfo[]> {
    return this.registry.live();
  }

  whenDurable(): undefined {
    return undefined;
  }

  // ------------------------------------------------------------ dialects (dialects.ts)

  ackInQueue(queue: string, ref: string, by: JobLookup): Promise<number> {
    return this.dialects.ackInQueue(queue, ref, by);
  }

  requeueFirst(queue: string, ref: string, by: JobLookup): Promise<number> {
    return this.dialects.requeueFirst(queue, ref, by);
  }

  retryJob(queue: string, id: string): Promise<"requeued" | "deadlettered" | null> {
    return this.dialects.retryJob(queue, id);
  }

  flushQueue(queue: string): Promise<number> {
    return this.dialects.flushQueue(queue);
  }

  queueCounts(names?: string[]): Promise<QueueCounts[]> {
    return this.dialects.queueCounts(names);
  }

  registerConsumer(consumer: string, queues: string[]): void {
    this.store.registrations.set(consumer, queues);
  }

  notify(consumer: string, timeoutMs: number, signal?: WaitSignal): Promise<string | null> {
    return this.blocked.notify(consumer, timeoutMs, signal);
  }

  // ------------------------------------------------------------ failures (failures.ts)

  result(id: string): Promise<JobResult | null> {
    return this.failures.result(id);
  }

  deadLetters(queue: string, count: number): Promise<DeadLetterInfo[]> {
    return this.failures.deadLetters(queue, count);
  }

  deadLetter(id: string): Promise<DeadLetterInfo | null> {
    return this.failures.deadLetter(id);
  }

  redrive(queue: string, which: DeadLetterSelection): Promise<number> {
    return this.failures.redrive(queue, which);
  }

  purgeDeadLetters(queue: string, which: DeadLetterSelection): Promise<number> {
    return this.failures.purgeDeadLetters(queue, which);
  }

  queuePolicy(queue: string): Promise<QueuePolicy> {
    return this.failures.queuePolicy(queue);
  }

  setQueuePolicy(queue: string, policy: QueuePolicy): Promise<QueuePolicy> {
    return this.failures.setQueuePolicy(queue, policy);
  }

  configureFailures(defaults: FailureDefaults): void {
    this.store.failures = { ...defaults };
  }
}

/** the fields with '' after them up to `length` (a script's optional trailing ARGV, as absent) */
function padded(fields: Array<string | Buffer | number>, length: number): Array<string | Buffer | number> {
  while (fields.length < length) fields.push("");
  return fields;
}
