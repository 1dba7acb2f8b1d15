import { randomBytes } from "node:crypto";
import { type Consumer, MAX_FETCH_QUEUES_KEPT } from "../../core/explain.js";
import {
  BrokerError,
  type Delivery,
  type FailureDefaults,
  type JobInfo,
  type NackOptions,
} from "../../core/contract.js";
import { DEFAULT_FAILURES, formatBackoff, keptError, recordsAttempt } from "../../core/failures.js";
import { checkIds } from "../../core/job-id-check.js";
import type { Clock } from "../../core/clock.js";
import { newNodeId, ttlSuffix, type RandomSource } from "../../core/ids.js";
import { ConsumerRegistrations } from "../../core/registrations.js";
import type { Logger } from "../../log.js";
import type { Connections, Client } from "./connection.js";
import { Keys, idTag, queueTag } from "./keys.js";
import { JobDirectory } from "./directory.js";
import { QueueRegistry } from "./queues.js";
import { Timers } from "./timers.js";
import { decodePause, decodeShow, decodeTake } from "./replies.js";
import { Script, brokerError, list, num, type Argv, type Reply } from "./script.js";
import { TurnBatches } from "./turn-batches.js";
import { addManyArgv } from "./add-runs.js";
import { QUEUE_SCRIPT_NAMES, scriptSource, type QueueScriptName } from "./scripts.js";
import { LocalWaiters } from "./waiters.js";
import { IdleQueues } from "./idle-queues.js";
import { FetchNotes } from "./fetch-notes.js";
import type { Redis } from "ioredis";

/** recordsAttempt's view of a job without failure settings: what the NACK's options alone decide */
const PLAIN_JOB = { retryBudget: -1, backoff: undefined, runTimeoutMs: undefined, attempts: undefined };

/**
 * The scripts that never make a job ready (reads, takes, removals, fetch records, idle queue
 * collection): every other script run by this server moves its queue's stamp when it answers
 * (idle-queues.ts), as its wake-up may come after its reply.
 */
const NEVER_QUEUE: ReadonlySet<QueueScriptName> = new Set<QueueScriptName>([
  "take",
  "takeMany",
  "remove",
  "show",
  "peek",
  "stat",
  "counts",
  "explain",
  "scan",
  "watch",
  "working",
  "deadLetters",
  "noteFetches",
  // it changes whether a queue is known: Timers tells when it did (collected)
  "gc",
]);

/** sequence numbers are reserved from Redis in blocks of this many */
const SEQ_BLOCK = 1000;

export interface QueueStoreSettings {
  conns: Connections;
  clock: Clock;
  prefix: string;
  logger?: Logger | undefined;
  /** the jitter draws of backoffs (default crypto's randomBytes) */
  random?: RandomSource | undefined;
}

/** What goes back to a queue: see putBack-12.lua. */
export type PutBackHow = "nack" | "nack-to-back" | "enqueue" | "release";

/**
 * What every part of the Redis store shares: the connections, the scripts and
 * how they are run on a queue, the indexes kept beside the queues (registry,
 * job directory, timers), this server's blocked clients, and the job commands
 * that other parts build on (take, put back, show).
 */
export class QueueStore {
  readonly nodeId = newNodeId();
  readonly keys: Keys;
  readonly conns: Connections;
  readonly clock: Clock;
  readonly logger: Logger | undefined;
  readonly waiters = new LocalWaiters();
  /** queues this server knows empty: GETJOB blocks there without a take (blocking.ts) */
  readonly idle = new IdleQueues();
  /** EXPLAIN's records of the fetches that blocked without a take */
  readonly fetchNotes = new FetchNotes((queue, args) => this.run("noteFetches", queue, args));
  readonly queues: QueueRegistry;
  readonly timers: Timers;
  readonly directory: JobDirectory;
  /** okq QREGISTER: consumer -> queues */
  readonly registrations = new ConsumerRegistrations();
  /**
   * Adds without an idempotency key or REPLICATE, gathered per queue over one event-loop turn
   * into one addMany-12.lua run (each item: add-12.lua's ARGV 4..27, ADD_FIELDS of them).
   */
  readonly adds = new TurnBatches<Argv, Reply>(async (queue, _variant, jobs) =>
    list(await this.runParts(this.conns.client, "addMany", queue, addManyArgv(jobs))).map((reply) =>
      reply instanceof Error ? (brokerError(reply) as Error) : reply,
    ),
  );
  /**
   * ACKJOB, FASTACK, DELJOB without a kept result, gathered per queue and reason (the variant)
   * over one event-loop turn into one remove-12.lua run; each item is one request's ids of that
   * queue, its result how many of them were removed.
   */
  readonly removals = new TurnBatches<string[], number>(async (queue, reason, requests) => {
    const parts = [[reason, 0, 0, ""], ...requests];
    const removed = list(await this.runParts(this.conns.client, "remove", queue, parts)).map(num);
    let at = 0;
    return requests.map((ids) => sum(removed.slice(at, (at += ids.length))));
  });
  /**
   * Fetches for one consumer (GETJOB), gathered per queue and lease and NOACK (the variant:
   * `<lease> <consume 0/1>`) over one event-loop turn into one takeMany-12.lua run; each item
   * is one fetch's fields there, its result take-12.lua's reply for it.
   */
  readonly takes = new TurnBatches<Array<string | number>, Reply>(async (queue, variant, fetches) => {
    // the variant is takeMany-12.lua's ARGV 4..5: lease, consume
    return list(await this.runParts(this.conns.client, "takeMany", queue, [variant.split(" "), ...fetches]));
  });
  /** the server's failure settings (configureFailures): passed to the scripts that need them */
  failures: FailureDefaults = DEFAULT_FAILURES;
  private readonly random: RandomSource;
  private readonly scripts = new Map<QueueScriptName, Script>();
  private randomPool = Buffer.alloc(0);
  private randomOffset = 0;
  private readonly nodePrefix = this.nodeId.slice(0, 8);
  private seqNext = 0;
  private seqEnd = 0;
  private seqRefill: Promise<void> | undefined;

  constructor(settings: QueueStoreSettings) {
    this.conns = settings.conns;
    this.clock = settings.clock;
    this.keys = new Keys(settings.prefix);
    this.logger = settings.logger;
    this.random = settings.random ?? randomBytes;
    for (const name of QUEUE_SCRIPT_NAMES) this.scripts.set(name, new Script(scriptSource(name)));
    this.queues = new QueueRegistry(this.conns.client, this.keys);
    this.directory = new JobDirectory(this.conns.client, this.keys);
    this.timers = new Timers({
      client: this.conns.client,
      keys: this.keys,
      clock: this.clock,
      waiters: this.waiters,
      queues: this.queues,
      run: (name, queue, args) => this.run(name, queue, args),
      deadLetterCap: () => this.failures.deadLetterCap,
      collected: (queue) => this.idle.unknown(queue),
    });
  }

  /** Loads every script on one master. */
  loadScripts(node: Redis): Promise<void>[] {
    return [...[...this.scripts.values()].map((s) => s.load(node)), this.directory.load(node)];
  }

  /** Runs a queue script on the queue's keys with the ARGV every queue script starts with. */
  run(name: QueueScriptName, queue: string, args: Array<string | Buffer | number>): Promise<Reply> {
    return this.runOn(this.conns.client, name, queue, args);
  }

  /** `run` with keys declared after the queue's twelve (remove-12.lua's result keys, add-12.lua's idempotency key) */
  runWithKeys(
    name: QueueScriptName,
    queue: string,
    extraKeys: string[],
    args: Array<string | Buffer | number>,
  ): Promise<Reply> {
    return this.runOn(this.conns.client, name, queue, args, extraKeys);
  }

  /** A uniform draw in [0, 1) for a backoff's jitter (48 random bits). */
  draw(): number {
    return this.random(6).readUIntBE(0, 6) / 2 ** 48;
  }

  /** `run` on a given connection (REPLICATE n's own connection to the queue's master). */
  runOn(
    client: Client | Redis,
    name: QueueScriptName,
    queue: string,
    args: Argv,
    extraKeys: string[] = [],
  ): Promise<Reply> {
    return this.runParts(client, name, queue, [args], extraKeys);
  }

  /** `runOn` with the script's own ARGV (after the three every queue script starts with) in parts */
  private runParts(
    client: Client | Redis,
    name: QueueScriptName,
    queue: string,
    parts: Argv[],
    extraKeys: string[] = [],
  ): Promise<Reply> {
    const keys = extraKeys.length > 0 ? [...this.keys.queue(queue), ...extraKeys] : this.keys.queue(queue);
    const head = [queue, this.clock.now(), this.keys.wakeChannel];
    const reply = this.scripts.get(name)!.run(client, keys, head, ...parts);
    if (NEVER_QUEUE.has(name)) return reply;
    const changed = name === "flushQueue" ? () => this.idle.unknown(queue) : () => this.idle.changed(queue);
    changed();
    // also when it failed: it may have run
    return reply.finally(changed);
  }

  /**
   * Sequence numbers come from one deployment-wide counter, reserved in
   * blocks: consecutive on one server, unique across servers. `takeSeq`
   * is the next one when the reserved block has one (no Promise, no wait),
   * else undefined; `nextSeq` reserves a block first when it must.
   */
  takeSeq(): number | undefined {
    return this.seqNext < this.seqEnd ? this.seqNext++ : undefined;
  }

  async nextSeq(): Promise<number> {
    for (let seq = this.takeSeq(); ; seq = this.takeSeq()) {
      if (seq !== undefined) return seq;
      this.seqRefill ??= (async () => {
        const end = await this.conns.client.incrby(this.keys.seq, SEQ_BLOCK);
        this.seqNext = end - SEQ_BLOCK + 1;
        this.seqEnd = end + 1;
      })().finally(() => (this.seqRefill = undefined));
      await this.seqRefill;
    }
  }

  /** `D-<node8>-<queue tag (3)><21 random>-<ttl4>`: the tag leads from the id to the queue's slot. */
  newJobId(queue: string, ttl: number, retry: number, suffix = ttlSuffix(ttl, retry)): string {
    // Random bytes drawn 1024 ids at a time, as the engine's IdGenerator does.
    if (this.randomOffset + 16 > this.randomPool.length) {
      this.randomPool = randomBytes(16 * 1024);
      this.randomOffset = 0;
    }
    const random = this.randomPool.toString("base64", this.randomOffset, this.randomOffset + 16).slice(0, 21);
    this.randomOffset += 16;
    return `D-${this.nodePrefix}-${queueTag(queue)}${random}-${suffix}`;
  }

  /** Makes the queue known (QSTAT shows it) without changing it. */
  async ensureQueue(queue: string): Promise<void> {
    if (decodePause(await this.run("pause", queue, [""])).created) await this.queues.register(queue);
  }

  async take(
    queue: string,
    count: number,
    leaseSeconds: number | undefined,
    consume: boolean,
    ensure: boolean,
    fetch: TakeFetch,
  ): Promise<Delivery[]> {
    const who = fetch.consumers.length > 0 ? fetch.consumers : [undefined];
    const queues = fetch.queues.slice(0, MAX_FETCH_QUEUES_KEPT);
    const stamp = this.idle.stamp(queue);
    let reply: Reply;
    if (who.length === 1) {
      // one consumer (a GETJOB): gathered with the turn's other fetches of this queue (takeMany-12.lua)
      const [consumer] = who;
      const fields = [count, ensure ? 1 : 0, fetch.note ? 1 : 0, consumer?.id ?? "", consumer?.addr ?? ""];
      const variant = `${leaseSeconds ?? 0} ${consume ? 1 : 0}`;
      reply = await this.takes.add(queue, [...fields, queues.length, ...queues], variant);
    } else {
      const args: Array<string | number> = [count, leaseSeconds ?? 0, consume ? 1 : 0, ensure ? 1 : 0];
      args.push(fetch.note ? 1 : 0, who.length);
      for (const consumer of who) args.push(consumer?.id ?? "", consumer?.addr ?? "");
      reply = await this.run("take", queue, [...args, ...queues]);
    }
    const taken = decodeTake(queue, reply);
    if (taken.created) await this.queues.register(queue);
    // what the next fetches that may block need to know to block without a take (idle-queues.ts)
    const now = this.clock.now();
    if (ensure || taken.deliveries.length > 0) this.idle.madeKnown(queue, now);
    if (taken.empty) this.idle.foundEmpty(queue, stamp, now);
    // held back by the rate limit: the timer run at the slot wakes the queue's fetchers (due-12.lua)
    if (taken.rateSlotAt > 0) await this.timers.note(queue, taken.rateSlotAt);
    if (taken.deliveries.length === 0) return [];
    for (const job of taken.deliveries) this.directory.remember(job.id, queue);
    if (!consume) await this.timers.note(queue, Math.min(...taken.wakeAts));
    return taken.deliveries;
  }

  /** putBack-12.lua; a NACK (how nack, nack-to-back) is a failure with these options */
  async putBack(ids: string[], how: PutBackHow, options?: NackOptions): Promise<number> {
    const groups = await this.directory.groupByQueue(ids);
    const nacking = how === "nack" || how === "nack-to-back";
    const head = [
      how,
      options?.delayMs ?? -1,
      options?.backoff ? 1 : 0,
      keptError(options?.error),
      options?.timedOut ? "timeout" : "nack",
      options?.retries ?? -1,
      formatBackoff(this.failures.backoff),
      this.failures.deadLetterCap,
      recordsAttempt(PLAIN_JOB, options) ? 1 : 0,
    ];
    let moved = 0;
    await Promise.all(
      [...groups].map(async ([queue, group]) => {
        const pairs = [...new Set(group)].flatMap((id) => [id, nacking ? this.draw() : 0]);
        const n = num(await this.run("putBack", queue, [...head, ...pairs]));
        moved += n;
        if (n > 0) await this.timers.noteEarliest(queue);
      }),
    );
    return moved;
  }

  /** remove-12.lua per queue; with a result (ACKJOB … RESULT) each acked job's is kept for the result TTL */
  async remove(
    ids: string[],
    reason: "ack" | "fastack" | "deljob",
    maxJobSize: number,
    result?: Buffer,
  ): Promise<number> {
    if (result !== undefined && result.length > maxJobSize) {
      throw new BrokerError("ERR", `result too big: ${result.length} bytes, the limit is ${maxJobSize}`);
    }
    checkIds(ids);
    const ttlMs = this.failures.resultTtlMs;
    const keep = result !== undefined && ttlMs > 0;
    const groups = await this.directory.groupByQueue(ids);
    let removed = 0;
    await Promise.all(
      [...groups].map(async ([queue, group]) => {
        const unique = [...new Set(group)];
        let n: number;
        if (keep) {
          const resultKeys = unique.map((id) => this.keys.result(id, idTag(id) ?? queueTag(queue)));
          const args = [reason, 1, ttlMs, result, ...unique];
          n = sum(list(await this.runWithKeys("remove", queue, resultKeys, args)).map(num));
        } else {
          n = await this.removals.add(queue, unique, reason);
        }
        removed += n;
        for (const id of group) this.directory.forget(id);
        // the timer run that drops the results from the counts
        if (keep && n > 0) await this.timers.note(queue, this.clock.now() + ttlMs);
      }),
    );
    return removed;
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
    if (queue === undefined) throw noJob();
    const seconds = num(await this.run("working", queue, [id]));
    await this.timers.noteEarliest(queue);
    return seconds;
  }

  async show(id: string): Promise<JobInfo | null> {
    checkIds([id]);
    const [queue] = await this.directory.queuesOf([id]);
    if (queue === undefined) return null;
    return decodeShow(queue, await this.run("show", queue, [id]), this.clock.now());
  }
}

/**
 * EXPLAIN's part of a take: to whom the jobs taken are leased (the i-th job to
 * the i-th consumer, the last for the rest; none: unnamed), and whether to
 * remember the fetch (on which queues) in the queue's meta.
 */
export interface TakeFetch {
  consumers: Array<Consumer | undefined>;
  note: boolean;
  queues: string[];
}

/** WORKING's answer for a job this store does not hold */
export function noJob(): BrokerError {
  return new BrokerError("NOJOB", "Job not known in the context of this node.");
}

function sum(xs: number[]): number {
  let total = 0;
  for (const x of xs) total += x;
  return total;
}
