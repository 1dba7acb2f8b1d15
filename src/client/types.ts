/**
 * The shapes the client hands out and takes. Durations are milliseconds
 * everywhere; the wire's seconds are converted in jobs.ts.
 */

/**
 * How a failed job waits before it is queued again (docs/failures.md): the
 * n-th failure waits `delay` (fixed) or `min(max, delay × 2^(n−1))`
 * (exponential), a uniform draw below that with `jitter`. The text form
 * (`"fixed:500"`, `"exponential:1000:60000:jitter"`) is accepted too.
 */
export interface Backoff {
  type: "fixed" | "exponential";
  /** ms */
  delay: number;
  /** ms; the cap of an exponential policy (default one hour) */
  max?: number;
  jitter?: boolean;
}

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
  /** add: failures the job may have before it is dead-lettered (default: its queue's, else unlimited) */
  retries?: number;
  /** add: how the job waits after a failure (default: its queue's, else the server's) */
  backoff?: Backoff | string;
  /** add: ms a Worker lets its handler run before aborting it (default: its queue's, else the Worker's) */
  runTimeout?: number;
  /** add: 0 is served first, up to 4294967295 (default 1024); FIFO within a priority */
  priority?: number;
  /** add: an idempotency key (1..256 bytes, per queue): a second add with a live key adds nothing */
  key?: string;
  /** add: ms the key is remembered after the add (sent in whole seconds, rounded up; default 24 h, at most 30 d); only sent with a key */
  keyTtl?: number;
  /** add: the job's group (1..128 printable ASCII): groups are served round-robin, a queue's groupLimit caps each */
  group?: string;
}

/** How bodies are turned into `Job.data`. */
export type Decode = "auto" | "string" | "buffer";

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
  /** set on jobs from get(): failures left before it is dead-lettered; -1 = unlimited */
  retriesLeft?: number;
  /** set on jobs from get(): its run time-out in ms; 0 = none */
  runTimeout?: number;
  /** set on jobs from get() and show() when not the default (1024) */
  priority?: number;
  /** set on jobs from get() and show() when the job has a group */
  group?: string;
  /** set by add() with a key: true when the key was live, so nothing was added (`id` is the first job's) */
  duplicate?: boolean;
  /** set by add() with a key: the state of the job `id` names ("acked" when it is done or gone while the key lives) */
  state?: JobState;
}

/** A job's state as SHOW (and ADDJOB … WITHDETAILS) words it. */
export type JobState = "wait-repl" | "active" | "queued" | "acked" | "backoff";

/** What ended a failed attempt: a nack, a lease that ran out, a handler past its run time-out. */
export type FailureCause = "nack" | "lease" | "timeout";

/** One failed attempt kept on a job (the last 10). */
export interface Attempt {
  /** ms since the epoch */
  at: number;
  cause: FailureCause;
  /** the error text of the nack, "" when none was given */
  error: string;
}

/** What `show()` reports. Times are ms. */
export interface JobDetails<T = unknown> extends Job<T> {
  state: JobState;
  /** 0 is served first; 1024 unless it was added with another */
  priority: number;
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
  /** the retry budget it was given (absent: unlimited) */
  retries?: number;
  /** its own backoff policy (absent: the server's default applies) */
  backoff?: Backoff;
  /** ms since the epoch a job in state `backoff` is queued again */
  backoffUntil?: number;
  /** its last failed attempts, oldest first (absent: none) */
  attempts?: Attempt[];
  /** the idempotency key it was added with, if any */
  key?: string;
  /** ms since the epoch its key expires */
  keyExpiresAt?: number;
  /** the schedule that added it, if any */
  schedule?: string;
}

/** How a `wait()` ended (WAITJOB's reply): what removed the job, or "gone" if it was not known. */
export type WaitOutcome = "acked" | "deleted" | "expired" | "gone";

/** What `wait()` resolves with: the outcome and, when the job was acked with one, its result. */
export interface WaitResult<R = unknown> {
  outcome: WaitOutcome;
  /** the decoded result of `ack(job, {result})`; absent when none is kept */
  result?: R;
}

/** `nack()`'s options (docs/failures.md). Without any, the job is queued again at once (Disque). */
export interface NackOptions {
  /** ms to wait before the job is queued again */
  delay?: number;
  /** wait as the job's backoff policy says (the server's default when it has none) */
  backoff?: boolean;
  /** why it failed, kept on the job's attempts (an Error gives its message and first stack lines) */
  error?: string | Error;
  /** the handler ran past its run time-out */
  timedOut?: boolean;
  /** a job without a retry budget gets this one (less its earlier failures) */
  retries?: number;
}

/** `ack()`'s options. */
export interface AckOptions {
  /** kept for the server's result-ttl and returned by wait() and result(); encoded like add's data */
  result?: unknown;
}

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
  /** jobs waiting out a backoff */
  backoff: number;
  /** jobs in the queue's dead-letter list */
  deadLetters: number;
  /** the queue's rate limit, or null */
  rateLimit: RateLimit | null;
  /** ms since the epoch the rate limit lets the next job go, while it holds deliveries back; else null */
  rateLimitedUntil: number | null;
  /** groups with jobs in the queue (ungrouped jobs count as one) */
  groups: number;
  /** ready jobs not delivered because their group is at the queue's groupLimit */
  heldBack: number;
}

/**
 * A rate limit: at most `count` deliveries per `periodMs` (GCRA: a burst of
 * `count` after a quiet period, then one per `periodMs / count`). Its text
 * form is `<count>/<period>` with the period in ms, s, m or h: `"100/1s"`.
 */
export interface RateLimit {
  count: number;
  periodMs: number;
}

/** One entry of `deadLetters(queue)`. */
export interface DeadLetter<T = unknown> {
  id: string;
  queue: string;
  data: T;
  body: Buffer;
  /** e.g. "retries exhausted" */
  reason: string;
  /** ms since the epoch it was dead-lettered */
  at: number;
}

/** `deadLetter(id)`: a dead letter with its budget and its last attempts. */
export interface DeadLetterDetails<T = unknown> extends DeadLetter<T> {
  /** the retry budget it had (a redrive gives it afresh); -1 = unlimited */
  retries: number;
  /** oldest first: the last one's error is why it died */
  attempts: Attempt[];
}

/** Which dead letters a redrive or purge takes: the oldest `count`, these `ids`, or all. */
export type DeadLetterSelection = { count: number } | { ids: string[] } | "all";

/** A queue's failure policy: what its new jobs get when their add does not say. Absent = the server's default. */
export interface QueuePolicy {
  retries?: number;
  backoff?: Backoff;
  /** ms */
  runTimeout?: number;
  /** dead letters kept; beyond it the oldest are evicted */
  deadLetterCap?: number;
  /** deliveries per period from the queue */
  rateLimit?: RateLimit;
  /** jobs of one group in flight at most */
  groupLimit?: number;
}

/** `setPolicy()`'s changes: a value sets it, `null` goes back to the server's default, absent leaves it. */
export interface QueuePolicyChange {
  retries?: number | null;
  backoff?: Backoff | string | null;
  runTimeout?: number | null;
  deadLetterCap?: number | null;
  /** `{count, periodMs}` or its text form (`"100/1s"`) */
  rateLimit?: RateLimit | string | null;
  groupLimit?: number | null;
}

/** A queue's pause: `in` refuses adds, `out` stops fetches, `all` both. */
export type PauseState = "none" | "in" | "out" | "all";

/** okq's QSTATUS counts of one queue. */
export interface QueueCounts {
  name: string;
  /** jobs not done: ready plus the rest (delivered, delayed, backing off) */
  total: number;
  /** jobs not ready: delivered and not acked, delayed, backing off */
  processing: number;
  /** fetches blocked on it plus okq consumers registered for it */
  consumers: number;
}

/** A connection that fetched or paused: its CLIENT ID and address. */
export interface ExplainConsumer {
  id: string;
  addr: string;
}

/**
 * EXPLAIN's answer (docs/explain.md): why the job is (not) running, in the
 * server's one wording (`text`), with the facts it was worded from. The
 * same object as HTTP's `GET /v1/jobs/:id/explain`. Times are ms since the
 * epoch on the server's clock; which facts are there depends on `cause`.
 */
export interface Explanation {
  text: string;
  id: string;
  cause: "unknown" | "done" | "dead" | "wait-repl" | "leased" | "backoff" | "delayed" | "paused" | "ready";
  /** when the server read the facts */
  observedAt: number;
  queue?: string;
  /** delayed/backoff: when it is queued; leased: when the lease runs out (0: never, at-most-once) */
  until?: number;
  leasedTo?: ExplainConsumer | null;
  leasedAt?: number;
  lastWorkingAt?: number | null;
  /** backoff, dead: the last failed attempt's number and error */
  attempt?: number;
  error?: string;
  pause?: PauseState;
  pausedSince?: number | null;
  pausedBy?: ExplainConsumer | null;
  /** ready, paused: 1-based place in the ready list, of `ready` jobs */
  position?: number;
  ready?: number;
  /** distinct consumers that fetched from its queue in the last 5 min (at most 64) */
  recentFetchers?: number;
  lastFetch?: { at: number; consumer: ExplainConsumer; queues: string[] } | null;
  deadReason?: string;
  deadAt?: number;
  completedAt?: number;
}

/** When a schedule runs: a cron expression (croner: 5 or 6 fields, seconds first; @hourly …) in a time zone, or every `every` ms. */
export type ScheduleTiming = { cron: string; timezone?: string } | { every: number };

/** The job a schedule adds at each due time. Durations in ms (ttl and retryAfter go in whole seconds, rounded up). */
export interface ScheduleTemplate<T = unknown> {
  queue: string;
  /** the body, encoded like add()'s data */
  data: T;
  ttl?: number;
  retryAfter?: number;
  priority?: number;
  group?: string;
  retries?: number;
  runTimeout?: number;
}

/** A schedule as the server keeps it: its timing, its template and its progress. Times are ms since the epoch. */
export interface Schedule<T = unknown> {
  name: string;
  timing: ScheduleTiming;
  template: ScheduleTemplate<T> & { body: Buffer };
  nextRunAt: number;
  /** the last due time that added a job */
  lastRunAt: number | null;
  lastJobId: string | null;
  /** jobs it has added */
  runs: number;
  createdAt: number;
}
