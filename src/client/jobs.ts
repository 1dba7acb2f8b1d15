import { Connection, DocketError, type ConnectionOptions } from "./connection.js";
import { backoffText, decode, encode, errorText, keyTtlSeconds, seconds, text } from "./codec.js";
import { DEAD_LETTERS_LISTED, listDeadLetters, showDeadLetter, takeDeadLetters } from "./dead-letters.js";
import { countQueues, deleteJobs, explainJob, pauseQueue } from "./operator.js";
import { queuePolicy } from "./policy.js";
import { deliveredJob, jobDetails, peekedJob, queueStats } from "./replies.js";
import { Schedules } from "./schedules.js";
import {
  TimeoutError,
  type AckOptions,
  type Backoff,
  type DeadLetter,
  type DeadLetterDetails,
  type DeadLetterSelection,
  type Decode,
  type Explanation,
  type Job,
  type JobConfig,
  type JobDetails,
  type JobState,
  type NackOptions,
  type PauseState,
  type QueueCounts,
  type QueuePolicy,
  type QueuePolicyChange,
  type QueueStats,
  type WaitOutcome,
  type WaitResult,
} from "./types.js";

/**
 * docket's TypeScript client: the API of the Disque client seed
 * (DIALECTS.md section 5) in TypeScript's idiom, with docket's failure
 * handling (docs/failures.md). See docs/client.md.
 */

export interface ClientOptions extends ConnectionOptions {
  /** the global config, as `use()` sets it */
  config?: JobConfig;
  /**
   * "auto" (default): JSON when the body parses as JSON, else a UTF-8
   * string; "string": always a string; "buffer": the raw bytes.
   */
  decode?: Decode;
}

type JobRef = Pick<Job, "id"> | string;
type Arg = string | Buffer | number;

const idOf = (job: JobRef): string => (typeof job === "string" ? job : job.id);

/** Splits `(...jobs, options?)`: a trailing plain object without an `id` is the options. */
function jobsAndOptions<O extends object>(
  args: Array<JobRef | O>,
): { ids: string[]; options: O | undefined } {
  const last = args[args.length - 1];
  const isOptions = typeof last === "object" && last !== null && !("id" in last);
  const refs = (isOptions ? args.slice(0, -1) : args) as JobRef[];
  return { ids: refs.map(idOf), options: isOptions ? (last as O) : undefined };
}

/** ms sent on the wire: whole, never negative */
const wholeMs = (ms: number): number => Math.max(0, Math.ceil(ms));

interface Shared {
  conn: Connection;
  global: JobConfig;
  decode: Decode;
}

/**
 * A handle on the servers with a config. `with()` and the chain methods
 * return new handles sharing the connections; `use()` changes the global
 * config every handle sees. Precedence: global < with < chain.
 */
export class Client {
  /** @internal */
  constructor(
    private readonly shared: Shared,
    private readonly withConfig: JobConfig = {},
    private readonly chainConfig: JobConfig = {},
  ) {}

  /** The config a call made through this handle uses. */
  get config(): JobConfig {
    return { ...this.shared.global, ...this.withConfig, ...this.chainConfig };
  }

  /** Sets options globally, for every handle on these connections. */
  use(config: JobConfig): this {
    Object.assign(this.shared.global, config);
    return this;
  }

  /** A handle whose calls use these options (over the global ones). */
  with(config: JobConfig): Client {
    return new Client(this.shared, { ...this.withConfig, ...config }, this.chainConfig);
  }

  private chain(config: JobConfig): Client {
    return new Client(this.shared, this.withConfig, { ...this.chainConfig, ...config });
  }

  timeout(ms: number): Client {
    return this.chain({ timeout: ms });
  }
  replicate(n: number): Client {
    return this.chain({ replicate: n });
  }
  delay(ms: number): Client {
    return this.chain({ delay: ms });
  }
  retryAfter(ms: number): Client {
    return this.chain({ retryAfter: ms });
  }
  ttl(ms: number): Client {
    return this.chain({ ttl: ms });
  }
  maxLen(n: number): Client {
    return this.chain({ maxLen: n });
  }
  retries(n: number): Client {
    return this.chain({ retries: n });
  }
  backoff(policy: Backoff | string): Client {
    return this.chain({ backoff: policy });
  }
  runTimeout(ms: number): Client {
    return this.chain({ runTimeout: ms });
  }
  /** 0 is served first (up to 4294967295; default 1024) */
  priority(p: number): Client {
    return this.chain({ priority: p });
  }
  /** an idempotency key: a second add with it, while it lives, adds nothing and answers the first job */
  key(k: string): Client {
    return this.chain({ key: k });
  }
  /** how long (ms) the key is remembered (whole seconds, rounded up; at most 30 days) */
  keyTtl(ms: number): Client {
    keyTtlSeconds(ms);
    return this.chain({ keyTtl: ms });
  }
  /** the job's group: groups are served round-robin; a queue's groupLimit caps each one's jobs in flight */
  group(g: string): Client {
    return this.chain({ group: g });
  }

  /** Recurring jobs: upsert, get, list, remove (docs/schedules.md). */
  get schedules(): Schedules {
    return new Schedules((b, a) => this.call(b, a), this.shared.decode);
  }

  private call(binary: boolean, args: Arg[]): Promise<unknown> {
    return this.shared.conn.call(binary, args);
  }

  /** Sends any command; errors become DocketError. */
  command(...args: Arg[]): Promise<unknown> {
    return this.call(false, args);
  }

  /**
   * Adds a job; resolves once the server has it (as durable as its fsync
   * policy promises). With a key (`.key(k)`), the job carries `duplicate`
   * and `state`: a duplicate's `id` and `state` are the first job's (its
   * `data` and `body` are what this call sent).
   */
  async add<T = unknown>(data: T, queue: string): Promise<Job<T>> {
    const c = this.config;
    const body = encode(data);
    const args: Arg[] = ["ADDJOB", queue, body, c.timeout ?? 0];
    if (c.replicate !== undefined) args.push("REPLICATE", c.replicate);
    if (c.delay !== undefined) args.push("DELAY", seconds(c.delay));
    if (c.retryAfter !== undefined) args.push("RETRY", seconds(c.retryAfter));
    if (c.ttl !== undefined) args.push("TTL", seconds(c.ttl));
    if (c.maxLen !== undefined) args.push("MAXLEN", c.maxLen);
    if (c.retries !== undefined) args.push("RETRIES", c.retries);
    if (c.backoff !== undefined) args.push("BACKOFF", backoffText(c.backoff));
    if (c.runTimeout !== undefined) args.push("RUNTIMEOUT", wholeMs(c.runTimeout));
    if (c.priority !== undefined) args.push("PRIORITY", c.priority);
    if (c.group !== undefined) args.push("GROUP", c.group);
    if (c.key !== undefined) {
      args.push("KEY", c.key);
      // KEYTTL alone is an error on the wire: a keyTtl set with use()/with() applies to the adds that have a key
      if (c.keyTtl !== undefined) args.push("KEYTTL", keyTtlSeconds(c.keyTtl));
      args.push("WITHDETAILS");
    }
    const reply = await this.call(false, args);
    const job: Job<T> = { id: "", queue, data, body: Buffer.isBuffer(body) ? body : Buffer.from(body) };
    if (Array.isArray(reply)) {
      // [id, "added" | "duplicate", state]
      job.id = text(reply[0])!;
      job.duplicate = text(reply[1]) === "duplicate";
      job.state = text(reply[2]) as JobState;
    } else {
      job.id = reply as string;
    }
    return job;
  }

  /**
   * Takes one job, blocking until one is available; the left-most queue that
   * has one wins. With a `timeout`, rejects with TimeoutError after it.
   */
  async get<T = unknown>(...queues: string[]): Promise<Job<T>> {
    const jobs = await this.fetch<T>(queues, { count: 1 });
    if (jobs.length === 0)
      throw new TimeoutError(`no job in ${queues.join(", ")} within ${this.config.timeout} ms`);
    return jobs[0]!;
  }

  /**
   * Takes up to `count` jobs (in rounds over the queues, left to right).
   * When none is ready it blocks for `timeout` ms (0 = forever; default the
   * config's timeout) and returns the first that arrives, or [] on time-out.
   * `nohang` returns [] at once instead. `signal` ends the wait early.
   * Jobs carry their counters, retries left and run time-out (WITHDETAILS).
   */
  async fetch<T = unknown>(
    queues: string[],
    options: { count?: number; timeout?: number; nohang?: boolean; signal?: AbortSignal } = {},
  ): Promise<Job<T>[]> {
    if (queues.length === 0) throw new TypeError("get needs at least one queue");
    const timeout = options.timeout ?? this.config.timeout ?? 0;
    const args: Arg[] = ["GETJOB"];
    if (options.nohang) args.push("NOHANG");
    else args.push("TIMEOUT", timeout);
    args.push("COUNT", options.count ?? 1, "WITHDETAILS", "FROM", ...queues);
    const reply = options.nohang
      ? await this.call(true, args)
      : await this.shared.conn.blocking(true, args, options.signal);
    if (!Array.isArray(reply)) return [];
    return (reply as unknown[][]).map((entry) => deliveredJob<T>(entry, this.shared.decode));
  }

  /**
   * Acknowledges jobs: done, removed. `{result}` (last argument) is kept for
   * the server's result-ttl, for wait() and result(); it is encoded like
   * add's data. Resolves with how many were known.
   */
  async ack(...args: Array<JobRef | AckOptions>): Promise<number> {
    const { ids, options } = jobsAndOptions(args);
    const wire: Arg[] = ["ACKJOB", ...ids];
    if (options?.result !== undefined) wire.push("RESULT", encode(options.result));
    return (await this.call(false, wire)) as number;
  }

  /**
   * Hands delivered jobs back as failed. Without options they are queued
   * again at once (Disque). Options (last argument): `delay` ms, `backoff`
   * (wait as the job's policy says), `error` (kept on its attempts),
   * `timedOut`, `retries` (a budget for a job without one). A job whose
   * budget is spent goes to its queue's dead letters. Resolves with how many
   * were known.
   */
  async nack(...args: Array<JobRef | NackOptions>): Promise<number> {
    const { ids, options: o } = jobsAndOptions(args);
    const wire: Arg[] = ["NACK", ...ids];
    if (o?.delay !== undefined) wire.push("DELAY", wholeMs(o.delay));
    if (o?.backoff) wire.push("BACKOFF");
    if (o?.error !== undefined) wire.push("ERROR", errorText(o.error));
    if (o?.timedOut) wire.push("TIMEDOUT");
    if (o?.retries !== undefined) wire.push("RETRIES", o.retries);
    return (await this.call(false, wire)) as number;
  }

  /**
   * Tells the server the job is still being worked on: its re-delivery is
   * postponed by its retryAfter. Resolves with that postponement in ms
   * (0 for at-most-once jobs). Rejects with DocketError NOJOB / TOOLATE.
   */
  async working(job: JobRef): Promise<number> {
    return ((await this.call(false, ["WORKING", idOf(job)])) as number) * 1000;
  }

  /** Everything the server knows about a job, or null when it does not know it. */
  async show<T = unknown>(job: JobRef): Promise<JobDetails<T> | null> {
    const reply = await this.call(true, ["SHOW", idOf(job)]);
    return Array.isArray(reply) ? jobDetails<T>(reply, this.shared.decode) : null;
  }

  /** Jobs ready in the queue. */
  async len(queue: string): Promise<number> {
    return (await this.call(false, ["QLEN", queue])) as number;
  }

  /** Up to `count` ready jobs without taking them: oldest first, newest first when count < 0. */
  async peek<T = unknown>(queue: string, count = 1): Promise<Job<T>[]> {
    const reply = (await this.call(true, ["QPEEK", queue, count])) as unknown[][];
    return reply.map((entry) => peekedJob<T>(entry, this.shared.decode));
  }

  /** QSTAT: a queue's counters, or null for an unknown queue. */
  async stats(queue: string): Promise<QueueStats | null> {
    const reply = await this.call(false, ["QSTAT", queue]);
    return Array.isArray(reply) ? queueStats(reply) : null;
  }

  /** Every queue name (QSCAN to the end). */
  async queues(): Promise<string[]> {
    const names: string[] = [];
    let cursor = "0";
    do {
      const reply = (await this.call(false, ["QSCAN", cursor, "COUNT", 1000])) as [string, string[]];
      cursor = String(reply[0]);
      names.push(...reply[1].map(String));
    } while (cursor !== "0");
    return names;
  }

  /**
   * Blocks until the job is acknowledged (or deleted, or expires) by anyone:
   * the server's WAITJOB, no polling. Resolves with what removed it ("gone":
   * it was not known when asked) and, when it was acked with a result that
   * is still kept, that result decoded. A job acked earlier whose result is
   * kept answers "acked" at once. With a `timeout`, rejects with TimeoutError.
   */
  async wait<R = unknown>(job: JobRef, options: { signal?: AbortSignal } = {}): Promise<WaitResult<R>> {
    const timeout = this.config.timeout ?? 0;
    const args = ["WAITJOB", idOf(job), timeout, "WITHRESULT"];
    const reply = await this.shared.conn.blocking(true, args, options.signal);
    // a time-out answers [nil, nil] (an aborted call, nil)
    const outcome = Array.isArray(reply) ? (text(reply[0]) as WaitOutcome | undefined) : undefined;
    if (outcome === undefined) {
      if (options.signal?.aborted) throw new TimeoutError("wait aborted");
      throw new TimeoutError(`job ${idOf(job)} still pending after ${timeout} ms`);
    }
    const body = (reply as unknown[])[1];
    if (!Buffer.isBuffer(body)) return { outcome };
    return { outcome, result: decode(body, this.shared.decode) as R };
  }

  /** The result a job was acked with (decoded), or undefined when none is kept (or it expired). */
  async result<R = unknown>(job: JobRef): Promise<R | undefined> {
    const body = await this.call(true, ["RESULT", idOf(job)]);
    return Buffer.isBuffer(body) ? (decode(body, this.shared.decode) as R) : undefined;
  }

  /** A queue's dead letters, oldest first: up to `count` (default 1000). */
  deadLetters<T = unknown>(queue: string, count = DEAD_LETTERS_LISTED): Promise<DeadLetter<T>[]> {
    return listDeadLetters<T>((b, a) => this.call(b, a), this.shared.decode, queue, count);
  }

  /** One dead letter with its retry budget and last attempts, or null when there is none by that id. */
  deadLetter<T = unknown>(id: string): Promise<DeadLetterDetails<T> | null> {
    return showDeadLetter<T>((b, a) => this.call(b, a), this.shared.decode, id);
  }

  /**
   * Queues dead letters again as fresh jobs (new ids, a fresh retry budget):
   * the oldest `count`, these `ids`, or "all" (the default). Resolves with how many.
   */
  redrive(queue: string, which: DeadLetterSelection = "all"): Promise<number> {
    return takeDeadLetters((b, a) => this.call(b, a), "REDRIVE", queue, which);
  }

  /** Drops dead letters: the oldest `count`, these `ids`, or "all". Resolves with how many. */
  purgeDeadLetters(queue: string, which: DeadLetterSelection): Promise<number> {
    return takeDeadLetters((b, a) => this.call(b, a), "DEADPURGE", queue, which);
  }

  /**
   * A queue's policy (absent fields: the server's defaults): failures,
   * dead-letter cap, rate limit and group limit. With a change, as setPolicy.
   */
  policy(queue: string, change: QueuePolicyChange = {}): Promise<QueuePolicy> {
    return queuePolicy((b, a) => this.call(b, a), queue, change);
  }

  /**
   * Changes a queue's policy (`null`: back to the server's default); resolves
   * with the policy after it. `rateLimit` is `{count, periodMs}` or `"100/1s"`.
   */
  setPolicy(queue: string, change: QueuePolicyChange): Promise<QueuePolicy> {
    return queuePolicy((b, a) => this.call(b, a), queue, change);
  }

  /**
   * Pauses a queue: `in` refuses adds (PAUSED), `out` stops fetches, `all`
   * both. The state replaces the one it had (Disque's PAUSE); resolves with it.
   */
  pause(queue: string, state: "in" | "out" | "all"): Promise<PauseState> {
    return pauseQueue((b, a) => this.call(b, a), queue, state);
  }

  /** Ends a queue's pause (both ways); blocked fetches go on. */
  resume(queue: string): Promise<PauseState> {
    return pauseQueue((b, a) => this.call(b, a), queue, "none");
  }

  /** A queue's pause state. */
  pauseState(queue: string): Promise<PauseState> {
    return pauseQueue((b, a) => this.call(b, a), queue, "state");
  }

  /** Deletes jobs whatever their state (DELJOB); resolves with how many were known. */
  delete(...jobs: JobRef[]): Promise<number> {
    return deleteJobs((b, a) => this.call(b, a), jobs.map(idOf));
  }

  /** QSTATUS: jobs not done and not ready, and consumers, of up to 1000 queues. */
  counts(queues: string[]): Promise<QueueCounts[]> {
    return countQueues((b, a) => this.call(b, a), queues);
  }

  /** EXPLAIN: why the job is (not) running, as the server words it, with the facts. */
  explain(job: JobRef): Promise<Explanation> {
    return explainJob((b, a) => this.call(b, a), idOf(job));
  }

  /** Closes every connection of this client (all handles share them). */
  close(): void {
    this.shared.conn.close();
  }
}

/**
 * Connects to one or several docket servers (`"host:port"`; any of them
 * serves every request). Nodes are learnt from HELLO, healthy ones are
 * preferred, and a lost connection fails over to the next. Connections open
 * lazily, on the first call. The last argument may be the options.
 */
export function connect(...args: Array<string | ClientOptions>): Client {
  const addresses = args.filter((a): a is string => typeof a === "string");
  const options = (args.find((a) => typeof a !== "string") ?? {}) as ClientOptions;
  const conn = new Connection(addresses, options);
  return new Client({ conn, global: { ...options.config }, decode: options.decode ?? "auto" });
}

export { DocketError };
