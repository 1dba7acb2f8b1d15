import { EventEmitter } from "node:events";
import { encode, parseBackoffText } from "./codec.js";
import { DocketError } from "./connection.js";
import { connect, type Client, type ClientOptions } from "./jobs.js";
import type { Backoff, Job, NackOptions } from "./types.js";

export interface WorkerOptions {
  /** jobs handled at once (default 1) */
  concurrency?: number;
  /**
   * The shortest retryAfter of the jobs this worker takes (ms, default
   * 30000): a WORKING heartbeat goes out every third of it while a handler
   * runs, then every third of what the server reports for that job.
   */
  leaseMs?: number;
  /** the client to use; default: connect(...servers, clientOptions) */
  client?: Client;
  /** server addresses when no client is given (default 127.0.0.1:7711) */
  servers?: string[];
  clientOptions?: ClientOptions;
  /** ms each GETJOB blocks before it is sent again (default 5000) */
  pollMs?: number;
  /** start fetching at once (default true); else call run() */
  autorun?: boolean;
  /**
   * A job without a retry budget of its own (or its queue's) gets this one
   * (NACK … RETRIES n): after that many failures it is dead-lettered.
   * Default: none (unlimited, Disque's behaviour).
   */
  retries?: number;
  /**
   * How a failed job waits before it is queued again. `true` (default): as
   * its own policy says, else the server's default (NACK … BACKOFF);
   * `false`: at once; a policy (or its text form): this one, computed here
   * from the job's failures (NACK … DELAY), over the job's own.
   */
  backoff?: boolean | Backoff | string;
  /**
   * ms a handler may run (default: none). A job's own run time-out wins. At
   * the deadline the handler's signal is aborted and the job is nacked as
   * timed out; the worker does not wait for a handler that ignores it.
   */
  runTimeout?: number;
}

export type Handler<T = unknown, R = unknown> = (job: Job<T>, signal: AbortSignal) => Promise<R> | R;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** A handler ran past its run time-out: its signal's reason and the `failed` event's error. */
export class RunTimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`);
    this.name = "RunTimeoutError";
  }
}

/** The wait before the n-th failure's retry (docs/failures.md), as the server computes it. */
export function backoffDelay(policy: Backoff, failures: number): number {
  if (policy.type === "fixed") return policy.delay;
  const exponent = Math.min(Math.max(failures, 1) - 1, 40);
  const delay = Math.min(policy.max ?? Math.max(3_600_000, policy.delay), policy.delay * 2 ** exponent);
  return policy.jitter ? Math.floor(Math.random() * delay) : delay;
}

/** An option that must be a whole number of at least `min` (the server would refuse every nack). */
function checked(value: number | undefined, name: string, min: number): number | undefined {
  if (value !== undefined && !(Number.isSafeInteger(value) && value >= min))
    throw new TypeError(`${name} must be a whole number of at least ${min}`);
  return value;
}

/** failures the job had before this delivery */
const failuresOf = (job: Job): number => (job.nacks ?? 0) + (job.additionalDeliveries ?? 0);

function backoffOption(value: boolean | Backoff | string | undefined): boolean | Backoff {
  if (typeof value !== "string") return value ?? true;
  const policy = parseBackoffText(value);
  if (!policy)
    throw new TypeError(`backoff '${value}' is not fixed:<ms> or exponential:<ms>[:<max-ms>][:jitter]`);
  return policy;
}

/**
 * Fetches jobs from `queues` (left-most first), runs `handler` on up to
 * `concurrency` of them at once, acks on success (keeping the handler's
 * return value as the job's result) and nacks on a throw or a run
 * time-out (with the error, a backoff and the retry budget), sends WORKING
 * heartbeats while a handler runs, and rides out connection losses.
 *
 * Events: `completed` (job, result), `failed` (job, error), then, once the
 * server took the nack, `retrying` (job, error) or `dead` (job, error) when
 * that failure spent the job's last retry; `error` (error) for connection
 * and protocol trouble (the worker keeps going).
 */
export class Worker<T = unknown, R = unknown> extends EventEmitter {
  readonly client: Client;
  private readonly ownsClient: boolean;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
  private readonly retries: number | undefined;
  private readonly backoff: boolean | Backoff;
  private readonly runTimeout: number | undefined;
  /**
   * Jobs in hand, one entry per delivery: not keyed by job id, because a
   * nacked job can be delivered again before its nack has been answered.
   */
  private readonly running = new Set<Promise<void>>();
  private readonly stopFetching = new AbortController();
  private loop: Promise<void> | undefined;
  private slotFreed: (() => void) | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    readonly queues: string[],
    private readonly handler: Handler<T, R>,
    options: WorkerOptions = {},
  ) {
    super();
    if (queues.length === 0) throw new TypeError("a Worker needs at least one queue");
    this.concurrency = Math.max(1, options.concurrency ?? 1);
    this.leaseMs = options.leaseMs ?? 30_000;
    this.pollMs = options.pollMs ?? 5000;
    this.retries = checked(options.retries, "retries", 0);
    this.backoff = backoffOption(options.backoff);
    this.runTimeout = checked(options.runTimeout, "runTimeout", 1);
    this.ownsClient = options.client === undefined;
    this.client = options.client ?? connect(...(options.servers ?? []), options.clientOptions ?? {});
    if (options.autorun ?? true) this.run();
  }

  /** Starts fetching (once). */
  run(): void {
    this.loop ??= this.fetchLoop();
  }

  /** How many jobs are being handled now. */
  get active(): number {
    return this.running.size;
  }

  private emitError(error: unknown): void {
    if (this.listenerCount("error") > 0) this.emit("error", error);
  }

  private async fetchLoop(): Promise<void> {
    const signal = this.stopFetching.signal;
    let backoff = 50;
    while (!signal.aborted) {
      const free = this.concurrency - this.running.size;
      if (free <= 0) {
        await new Promise<void>((resolve) => (this.slotFreed = resolve));
        continue;
      }
      let jobs: Job<T>[];
      try {
        jobs = await this.client.fetch<T>(this.queues, { count: free, timeout: this.pollMs, signal });
        backoff = 50;
      } catch (error) {
        if (signal.aborted) break;
        this.emitError(error);
        await sleep(backoff);
        backoff = Math.min(backoff * 2, 1000);
        continue;
      }
      // Jobs taken while closing are handled too: close() waits for them, and handing them
      // back (NACK) would count a failure against their retry budgets.
      for (const job of jobs) {
        const done: Promise<void> = this.handle(job).finally(() => {
          this.running.delete(done);
          this.slotFreed?.();
          this.slotFreed = undefined;
        });
        this.running.add(done);
      }
    }
  }

  private async handle(job: Job<T>): Promise<void> {
    const abort = new AbortController();
    let interval = this.leaseMs / 3;
    let timer: NodeJS.Timeout | undefined;
    const beat = () => {
      timer = setTimeout(() => {
        this.client.working(job).then(
          (retryMs) => {
            if (retryMs === 0 || abort.signal.aborted) return; // at-most-once: nothing to postpone
            interval = Math.max(100, Math.min(this.leaseMs, retryMs) / 3);
            beat();
          },
          (error: unknown) => {
            this.emitError(error);
            if (error instanceof DocketError) return; // NOJOB, TOOLATE: postponing is over
            if (!abort.signal.aborted) beat();
          },
        );
      }, interval);
    };
    beat();
    // a job's own run time-out wins over the worker's
    const limit = job.runTimeout !== undefined && job.runTimeout > 0 ? job.runTimeout : this.runTimeout;
    let deadline: NodeJS.Timeout | undefined;
    try {
      const running = new Promise<R>((resolve) => resolve(this.handler(job, abort.signal)));
      running.catch(() => undefined); // a handler that fails after its deadline is already nacked
      const outcome = await (limit === undefined
        ? running
        : Promise.race([
            running,
            new Promise<never>((_, reject) => {
              deadline = setTimeout(() => reject(new RunTimeoutError(limit)), limit);
            }),
          ]));
      clearTimeout(timer);
      clearTimeout(deadline);
      abort.abort();
      await this.settle(job, "ack", this.resultBody(outcome));
      this.emit("completed", job, outcome);
    } catch (error) {
      clearTimeout(timer);
      clearTimeout(deadline);
      abort.abort(error);
      const settled = await this.settle(job, "nack", this.nackOptions(job, error));
      this.emit("failed", job, error);
      if (settled) this.emit(this.spendsLastRetry(job) ? "dead" : "retrying", job, error);
    } finally {
      clearTimeout(timer);
      clearTimeout(deadline);
    }
  }

  /** The handler's return value as ACKJOB … RESULT sends it; one that cannot be encoded is dropped (an `error`). */
  private resultBody(outcome: unknown): Buffer | string | undefined {
    if (outcome === undefined) return undefined;
    try {
      return encode(outcome);
    } catch (error) {
      this.emitError(error);
      return undefined;
    }
  }

  /** The nack of a failed handler: why, how long to wait, the budget for a job without one. */
  private nackOptions(job: Job<T>, error: unknown): NackOptions {
    const options: NackOptions = { error: error instanceof Error ? error : String(error) };
    if (error instanceof RunTimeoutError) {
      options.timedOut = true;
      options.error = error.message;
    }
    if (this.backoff === true) options.backoff = true;
    else if (this.backoff !== false) options.delay = backoffDelay(this.backoff, failuresOf(job) + 1);
    if (this.retries !== undefined) options.retries = this.retries;
    return options;
  }

  /** Whether the failure just reported dead-lettered the job (the server's spendRetry, seen from here). */
  private spendsLastRetry(job: Job<T>): boolean {
    const left = job.retriesLeft;
    if (left !== undefined && left >= 0) return left === 0;
    return this.retries !== undefined && this.retries - failuresOf(job) <= 0;
  }

  /**
   * Acks (with the handler's result unless it is undefined) or nacks,
   * retrying through connection losses so no job is dropped silently.
   * Resolves with whether the server took it.
   */
  private async settle(job: Job<T>, how: "ack" | "nack", with_?: unknown): Promise<boolean> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (how === "ack") await this.client.ack(job, { result: with_ });
        else await this.client.nack(job, (with_ ?? {}) as NackOptions);
        return true;
      } catch (error) {
        this.emitError(error);
        // A refusal is final (the job is re-delivered after its retry); -TRYAGAIN (the server's
        // store is unreachable for now) is retried like a lost connection: ~18 s of patience.
        const refused = error instanceof DocketError && error.code !== "TRYAGAIN";
        if (refused && how === "ack" && with_ !== undefined) {
          // a result the server refuses (too big) must not undo the work: ack without it
          with_ = undefined;
          continue;
        }
        if (refused || attempt >= 20) return false;
        await sleep(Math.min(50 * 2 ** attempt, 1000));
      }
    }
  }

  /**
   * Stops fetching, waits for the jobs in hand to finish (acked or nacked),
   * then closes the client if the worker made it.
   */
  close(): Promise<void> {
    this.closing ??= (async () => {
      this.stopFetching.abort();
      this.slotFreed?.();
      await this.loop;
      await Promise.all(this.running);
      if (this.ownsClient) this.client.close();
    })();
    return this.closing;
  }
}
