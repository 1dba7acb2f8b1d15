import { EventEmitter } from "node:events";
import { DocketError } from "./connection.js";
import { connect, type Client, type ClientOptions, type Job } from "./jobs.js";

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
}

export type Handler<T = unknown, R = unknown> = (job: Job<T>, signal: AbortSignal) => Promise<R> | R;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Fetches jobs from `queues` (left-most first), runs `handler` on up to
 * `concurrency` of them at once, acks on success and nacks on a throw, sends
 * WORKING heartbeats while a handler runs, and rides out connection losses.
 *
 * Events: `completed` (job, result), `failed` (job, error), `error` (error)
 * for connection and protocol trouble (the worker keeps going).
 */
export class Worker<T = unknown, R = unknown> extends EventEmitter {
  readonly client: Client;
  private readonly ownsClient: boolean;
  private readonly concurrency: number;
  private readonly leaseMs: number;
  private readonly pollMs: number;
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
      for (const job of jobs) {
        if (signal.aborted) {
          // Taken while closing: hand it straight back.
          void this.settle(job, "nack");
          continue;
        }
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
    try {
      const result = await this.handler(job, abort.signal);
      clearTimeout(timer);
      abort.abort();
      await this.settle(job, "ack");
      this.emit("completed", job, result);
    } catch (error) {
      clearTimeout(timer);
      abort.abort();
      await this.settle(job, "nack");
      this.emit("failed", job, error);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Acks or nacks, retrying through connection losses so no job is dropped silently. */
  private async settle(job: Job<T>, how: "ack" | "nack"): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        if (how === "ack") await this.client.ack(job);
        else await this.client.nack(job);
        return;
      } catch (error) {
        this.emitError(error);
        // A refusal is final (the job is re-delivered after its retry); -TRYAGAIN (the server's
        // store is unreachable for now) is retried like a lost connection: ~18 s of patience.
        const refused = error instanceof DocketError && error.code !== "TRYAGAIN";
        if (refused || attempt >= 20) return;
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
