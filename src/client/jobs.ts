import { Connection, DocketError, type ConnectionOptions } from "./connection.js";

/**
 * docket's TypeScript client: the API of the Disque client seed
 * (DIALECTS.md section 5) in TypeScript's idiom. See docs/client.md.
 */

/** Options for add/get/wait. Durations are milliseconds; the wire gets seconds, rounded up. */
export interface JobConfig {
  /** each operation fails after this long (ms); by default operations block */
  timeout?: number;
  /** add: the job must be on this many nodes before add returns */
  replicate?: number;
  /** add: enqueue only after this long (ms) */
  delay?: number;
  /** ms between get and ack before the job is handed out again; 0 = at most once */
  retryAfter?: number;
  /** ms after which the job is removed, whatever its state */
  ttl?: number;
  /** add fails (MAXLEN) when the queue already holds this many jobs */
  maxLen?: number;
}

/** How bodies are turned into `Job.data`. */
export type Decode = "auto" | "string" | "buffer";

export interface ClientOptions extends ConnectionOptions {
  /** the global config, as `use()` sets it */
  config?: JobConfig;
  /**
   * "auto" (default): JSON when the body parses as JSON, else a UTF-8
   * string; "string": always a string; "buffer": the raw bytes.
   */
  decode?: Decode;
}

export interface Job<T = unknown> {
  id: string;
  queue: string;
  data: T;
  /** the body's bytes as stored */
  body: Buffer;
  /** set on jobs from get(): times the job was nacked */
  nacks?: number;
  /** set on jobs from get(): deliveries beyond the first */
  additionalDeliveries?: number;
}

/** What `show()` reports. Times are ms. */
export interface JobDetails<T = unknown> extends Job<T> {
  state: "wait-repl" | "active" | "queued" | "acked";
  replicate: number;
  /** ms of TTL left */
  ttl: number;
  /** ms since the epoch */
  createdAt: number;
  delay: number;
  retryAfter: number;
  nacks: number;
  additionalDeliveries: number;
  /** ms until the next re-queue, or null */
  nextRequeueIn: number | null;
}

/** How a `wait()` ended (WAITJOB's reply): what removed the job, or "gone" if it was not known. */
export type WaitOutcome = "acked" | "deleted" | "expired" | "gone";

/** An operation ran past its `timeout`. */
export class TimeoutError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "TimeoutError";
  }
}

export interface QueueStats {
  name: string;
  len: number;
  /** seconds */
  age: number;
  /** seconds */
  idle: number;
  blocked: number;
  jobsIn: number;
  jobsOut: number;
  pause: string;
}

type JobRef = Job | string;

/** Buffers and strings as they are, everything else as JSON. */
export function encode(data: unknown): Buffer | string {
  if (Buffer.isBuffer(data) || typeof data === "string") return data;
  if (data instanceof Uint8Array) return Buffer.from(data);
  const json = JSON.stringify(data);
  if (json === undefined) throw new TypeError(`cannot encode ${typeof data} as a job body`);
  return json;
}

export function decode(body: Buffer, how: Decode): unknown {
  if (how === "buffer") return body;
  const text = body.toString("utf8");
  if (how === "string") return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** ms → whole seconds, rounded up (1 ms is 1 s, not 0). */
const seconds = (ms: number): number => Math.ceil(ms / 1000);

const idOf = (job: JobRef): string => (typeof job === "string" ? job : job.id);

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

  /** Sends any command; errors become DocketError. */
  command(...args: Array<string | Buffer | number>): Promise<unknown> {
    return this.shared.conn.call(false, args);
  }

  /** Adds a job; resolves once the server has it (as durable as its fsync policy promises). */
  async add<T = unknown>(data: T, queue: string): Promise<Job<T>> {
    const c = this.config;
    const body = encode(data);
    const args: Array<string | Buffer | number> = ["ADDJOB", queue, body, c.timeout ?? 0];
    if (c.replicate !== undefined) args.push("REPLICATE", c.replicate);
    if (c.delay !== undefined) args.push("DELAY", seconds(c.delay));
    if (c.retryAfter !== undefined) args.push("RETRY", seconds(c.retryAfter));
    if (c.ttl !== undefined) args.push("TTL", seconds(c.ttl));
    if (c.maxLen !== undefined) args.push("MAXLEN", c.maxLen);
    const id = (await this.shared.conn.call(false, args)) as string;
    return { id, queue, data, body: Buffer.isBuffer(body) ? body : Buffer.from(body) };
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
   */
  async fetch<T = unknown>(
    queues: string[],
    options: { count?: number; timeout?: number; nohang?: boolean; signal?: AbortSignal } = {},
  ): Promise<Job<T>[]> {
    if (queues.length === 0) throw new TypeError("get needs at least one queue");
    const timeout = options.timeout ?? this.config.timeout ?? 0;
    const args: Array<string | number> = ["GETJOB"];
    if (options.nohang) args.push("NOHANG");
    else args.push("TIMEOUT", timeout);
    args.push("COUNT", options.count ?? 1, "WITHCOUNTERS", "FROM", ...queues);
    const reply = options.nohang
      ? await this.shared.conn.call(true, args)
      : await this.shared.conn.blocking(true, args, options.signal);
    if (!Array.isArray(reply)) return [];
    return (reply as unknown[][]).map((entry) => {
      const body = entry[2] as Buffer;
      return {
        queue: String(entry[0]),
        id: String(entry[1]),
        data: decode(body, this.shared.decode) as T,
        body,
        nacks: Number(entry[4]),
        additionalDeliveries: Number(entry[6]),
      };
    });
  }

  /** Acknowledges jobs: done, removed. Resolves with how many were known. */
  async ack(...jobs: JobRef[]): Promise<number> {
    return (await this.shared.conn.call(false, ["ACKJOB", ...jobs.map(idOf)])) as number;
  }

  /** Puts delivered jobs back in their queue at once. Resolves with how many moved. */
  async nack(...jobs: JobRef[]): Promise<number> {
    return (await this.shared.conn.call(false, ["NACK", ...jobs.map(idOf)])) as number;
  }

  /**
   * Tells the server the job is still being worked on: its re-delivery is
   * postponed by its retryAfter. Resolves with that postponement in ms
   * (0 for at-most-once jobs). Rejects with DocketError NOJOB / TOOLATE.
   */
  async working(job: JobRef): Promise<number> {
    return ((await this.shared.conn.call(false, ["WORKING", idOf(job)])) as number) * 1000;
  }

  /** Everything the server knows about a job, or null when it does not know it. */
  async show<T = unknown>(job: JobRef): Promise<JobDetails<T> | null> {
    const reply = await this.shared.conn.call(true, ["SHOW", idOf(job)]);
    if (!Array.isArray(reply)) return null;
    const fields = new Map<string, unknown>();
    for (let i = 0; i + 1 < reply.length; i += 2) fields.set(String(reply[i]), reply[i + 1]);
    const num = (name: string) => Number(fields.get(name));
    const body = fields.get("body") as Buffer;
    const requeue = fields.get("next-requeue-within");
    return {
      id: String(fields.get("id")),
      queue: String(fields.get("queue")),
      data: decode(body, this.shared.decode) as T,
      body,
      state: String(fields.get("state")) as JobDetails["state"],
      replicate: num("repl"),
      ttl: num("ttl") * 1000,
      createdAt: Math.floor(num("ctime") / 1e6),
      delay: num("delay") * 1000,
      retryAfter: num("retry") * 1000,
      nacks: num("nacks"),
      additionalDeliveries: num("additional-deliveries"),
      nextRequeueIn: requeue === null || requeue === undefined ? null : Number(requeue),
    };
  }

  /** Jobs ready in the queue. */
  async len(queue: string): Promise<number> {
    return (await this.shared.conn.call(false, ["QLEN", queue])) as number;
  }

  /** Up to `count` ready jobs without taking them: oldest first, newest first when count < 0. */
  async peek<T = unknown>(queue: string, count = 1): Promise<Job<T>[]> {
    const reply = (await this.shared.conn.call(true, ["QPEEK", queue, count])) as unknown[][];
    return reply.map((entry) => {
      const body = entry[2] as Buffer;
      return {
        queue: String(entry[0]),
        id: String(entry[1]),
        data: decode(body, this.shared.decode) as T,
        body,
      };
    });
  }

  /** QSTAT: a queue's counters, or null for an unknown queue. */
  async stats(queue: string): Promise<QueueStats | null> {
    const reply = await this.shared.conn.call(false, ["QSTAT", queue]);
    if (!Array.isArray(reply)) return null;
    const f = new Map<string, unknown>();
    for (let i = 0; i + 1 < reply.length; i += 2) f.set(String(reply[i]), reply[i + 1]);
    return {
      name: String(f.get("name")),
      len: Number(f.get("len")),
      age: Number(f.get("age")),
      idle: Number(f.get("idle")),
      blocked: Number(f.get("blocked")),
      jobsIn: Number(f.get("jobs-in")),
      jobsOut: Number(f.get("jobs-out")),
      pause: String(f.get("pause")),
    };
  }

  /** Every queue name (QSCAN to the end). */
  async queues(): Promise<string[]> {
    const names: string[] = [];
    let cursor = "0";
    do {
      const reply = (await this.shared.conn.call(false, ["QSCAN", cursor, "COUNT", 1000])) as [
        string,
        string[],
      ];
      cursor = String(reply[0]);
      names.push(...reply[1].map(String));
    } while (cursor !== "0");
    return names;
  }

  /**
   * Blocks until the job is acknowledged (or deleted, or expires) by anyone:
   * the server's WAITJOB, no polling. Resolves with what removed it ("gone":
   * it was not known when asked). With a `timeout`, rejects with TimeoutError.
   */
  async wait(job: JobRef, options: { signal?: AbortSignal } = {}): Promise<WaitOutcome> {
    const timeout = this.config.timeout ?? 0;
    const reply = await this.shared.conn.blocking(false, ["WAITJOB", idOf(job), timeout], options.signal);
    if (reply === null) {
      if (options.signal?.aborted) throw new TimeoutError("wait aborted");
      throw new TimeoutError(`job ${idOf(job)} still pending after ${timeout} ms`);
    }
    return reply as WaitOutcome;
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
