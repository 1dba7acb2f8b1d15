/**
 * The broker contract: what every store (the in-process engine, the Redis
 * store) offers to the front doors. Front doors translate wire requests into
 * these calls and the results back into wire replies; they own no job state.
 *
 * Methods return `Awaitable<T>`: the in-process engine answers with plain
 * values (no Promise per command on the hot path), the Redis store with
 * Promises. Callers must handle both.
 */

export type Awaitable<T> = T | Promise<T>;

import type { Consumer, ExplainFacts } from "./explain.js";
import type { RateLimit } from "./scheduling.js";
import type { ScheduleDefinition, ScheduleInfo, SchedulePage } from "./schedules.js";
export type { Consumer, ExplainFacts } from "./explain.js";
export type { RateLimit } from "./scheduling.js";
export type { JobTemplate, ScheduleDefinition, ScheduleInfo, SchedulePage } from "./schedules.js";

/**
 * Job states as Disque's SHOW prints them, plus docket's `backoff`: a job
 * that failed and waits out its backoff delay before it is queued again
 * (docs/failures.md). Only jobs nacked with DELAY/BACKOFF are ever in it.
 */
export type JobState = "wait-repl" | "active" | "queued" | "acked" | "backoff";
export const JOB_STATES: readonly JobState[] = ["wait-repl", "active", "queued", "acked", "backoff"];

/** Queue pause state: `in` refuses adds, `out` stops fetches. */
export type PauseState = "none" | "in" | "out" | "all";

/** Error codes shared by every door (RESP `-CODE message`, HTTP `{error:{code}}`). */
export type BrokerErrorCode =
  | "ERR"
  | "BADID"
  | "NOREPL"
  | "MAXLEN"
  | "PAUSED"
  | "NOJOB"
  | "TOOLATE"
  | "OOM"
  | "MISCONF"
  | "DUPLICATE"
  | "TRYAGAIN";

export class BrokerError extends Error {
  constructor(
    readonly code: BrokerErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "BrokerError";
  }
}

/** Where a job is placed in its queue relative to the others. */
export type Placement = "creation" | "front";

/** Where NACK puts a job: back at its own place (Disque), or behind every job queued now (emq's /nak/). */
export type NackPlacement = "own" | "back";

/**
 * How long a failed job waits before it is queued again (docs/failures.md).
 * The n-th failure (n = 1, 2, …) waits: fixed, `delayMs`; exponential,
 * min(maxMs, delayMs × 2^(n−1)); with `jitter`, a uniform draw in [0, that)
 * (AWS's "full jitter"). core/backoff.ts computes it, parses and prints it.
 */
export interface BackoffPolicy {
  type: "fixed" | "exponential";
  delayMs: number;
  /** the cap of an exponential policy (a fixed one repeats delayMs) */
  maxMs: number;
  jitter: boolean;
}

/** What ended an attempt: a NACK (a Worker's throw), a lease that ran out, a handler past its run time-out. */
export type FailureCause = "nack" | "lease" | "timeout";

/** One failed attempt, as kept on the job (the last MAX_ATTEMPTS_KEPT of them). */
export interface Attempt {
  /** ms since the epoch */
  at: number;
  cause: FailureCause;
  /** the error text (NACK … ERROR), cut to MAX_ERROR_BYTES; "" when none was given */
  error: string;
}

/** NACK's options (docket's extensions; a plain Disque NACK gives none). */
export interface NackOptions {
  placement?: NackPlacement;
  /** NACK … DELAY ms: wait this long before being queued again (0: at once) */
  delayMs?: number;
  /** NACK … BACKOFF: wait as the job's backoff policy says (the server default when it has none) */
  backoff?: boolean;
  /** NACK … ERROR text: why the attempt failed */
  error?: string;
  /** NACK … TIMEDOUT: the handler ran past its run time-out (the attempt's cause is "timeout") */
  timedOut?: boolean;
  /**
   * NACK … RETRIES n (the Worker's `retries` option): a job without a retry
   * budget gets this one, less the failures it already had
   * (nacks + additional deliveries); a job with one keeps its own.
   */
  retries?: number;
}

/** A queue's failure settings: the defaults its new jobs get when their add does not say. */
export interface QueuePolicy {
  retryBudget?: number;
  backoff?: BackoffPolicy;
  runTimeoutMs?: number;
  /** dead letters kept; beyond it the oldest are evicted */
  deadLetterCap?: number;
  /** QPOLICY … RATE: at most this many deliveries per period (core/scheduling.ts, GCRA) */
  rateLimit?: RateLimit;
  /** QPOLICY … GROUPLIMIT: at most this many jobs of one group in flight at once */
  groupLimit?: number;
}

/** The server's failure settings (CONFIG SET default-retries, default-backoff, dead-letter-cap, result-ttl). */
export interface FailureDefaults {
  /** the budget of a job whose add and queue give none; -1: unlimited (Disque's behaviour) */
  retryBudget: number;
  /** NACK … BACKOFF of a job with no policy of its own */
  backoff: BackoffPolicy;
  /** dead letters kept per queue without a cap of its own */
  deadLetterCap: number;
  /** ms a job's result is kept after its ACKJOB … RESULT */
  resultTtlMs: number;
}

/** What ACKJOB … RESULT left behind: returned by WAITJOB … WITHRESULT, RESULT, GET /v1/jobs/<id>/result. */
export interface JobResult {
  id: string;
  queue: string;
  body: Buffer;
  /** ms since the epoch */
  completedAt: number;
  expiresAt: number;
}

/** Which dead letters a redrive or purge takes: the oldest `count`, or these ids. */
export type DeadLetterSelection = { count: number } | { ids: string[] };

/**
 * Which door added a job: RESP (Disque, okq, takeanumber), HTTP (native,
 * emq, TaskQ over HTTP) or TaskQ's TCP protocol. Absent: unknown (a job
 * journaled or stored before it was recorded, or added by the engine's own callers).
 */
export type JobOrigin = "resp" | "http" | "taskq" | "schedule";
/** The origins in a fixed order: the embedded store keeps and journals one as its index + 1 (0: unknown). */
export const JOB_ORIGINS: readonly JobOrigin[] = ["resp", "http", "taskq", "schedule"];

/**
 * docket's scheduling options of an add (docs/scheduling.md; rules in
 * core/scheduling.ts). A plain Disque ADDJOB sends none of them.
 */
export interface SchedulingOptions {
  /** 0 = most urgent … 2^32-1; absent: DEFAULT_PRIORITY */
  priority?: number;
  /** idempotency key: a second add with it (same queue) while it lives returns the first job */
  key?: string;
  /** seconds the key lives after the add (absent: DEFAULT_KEY_TTL_SECONDS) */
  keyTtl?: number;
  /** the tenant: jobs of a queue are served round-robin across groups, GROUPLIMIT in flight each */
  group?: string;
  /** the schedule that made it (set by the stores' schedule runner only) */
  schedule?: string;
}

export interface AddJobRequest extends SchedulingOptions {
  queue: string;
  body: Buffer;
  /** seconds */
  ttl?: number;
  /** seconds; 0 = at-most-once */
  retry?: number;
  /** seconds */
  delay?: number;
  replicate?: number;
  maxlen?: number;
  /** ms the producer waits for replication (0 = forever); the engine ignores it. */
  replicationTimeoutMs?: number;
  /** "front": served before every job already queued (okq QRPUSH). */
  placement?: Placement;
  /** okq: a client-chosen id, unique among the queue's live jobs (`ERR duplicate event <eventId>`) */
  clientKey?: string;
  /**
   * TaskQ: the job's event id is its queue's next task number (1, 2, …; see
   * engine/task-numbers.ts), instead of `eventId`.
   */
  perQueueNumber?: boolean;
  /**
   * failures (NACK, takeanumber RETRY, a lease that ran out) allowed before
   * the job is dead-lettered; absent: the queue's policy, else the server
   * default (-1: unlimited)
   */
  retryBudget?: number;
  /**
   * takeanumber: the budget counts RETRY commands only, as the original's
   * does; a lease that runs out queues the job again and spends nothing
   */
  retryOnlyBudget?: boolean;
  /** NACK … BACKOFF's policy; absent: the queue's, else the server default at failure time */
  backoff?: BackoffPolicy;
  /** ms a Worker lets its handler run (delivered with GETJOB … WITHDETAILS); absent: the queue's, else none */
  runTimeoutMs?: number;
  /** the door it came through (absent: unknown) */
  origin?: JobOrigin;
}

export interface AddJobResult {
  id: string;
  seq: number;
  /** the job's event id, when it has one (a `numbered` job's task number) */
  clientKey?: string;
  /**
   * the add's idempotency key was already taken: `id` is the first job's,
   * nothing was added, and `state` is that job's now ("acked" once it is
   * done or gone while the key lives)
   */
  duplicate?: boolean;
  state?: JobState;
}

/**
 * What a blocking call's cancellation needs of an AbortSignal: an AbortSignal is one, and a
 * door may pass a lighter one (the RESP door's, doors/resp/wait.ts: a blocked GETJOB is
 * made and dropped per job under load). `abort` listeners are called once.
 */
export interface WaitSignal {
  readonly aborted: boolean;
  addEventListener(type: "abort", listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: "abort", listener: () => void): void;
}

export interface GetJobsRequest {
  queues: string[];
  count: number;
  /** answer null at once when nothing is available */
  nohang: boolean;
  /** ms to block; 0 = forever */
  timeoutMs: number;
  /** aborting releases the wait; nothing is taken */
  signal?: WaitSignal;
  /** seconds before an un-acked delivered job is queued again, instead of the job's RETRY (okq EX) */
  leaseSeconds?: number;
  /** fetch-and-delete: the jobs are removed as they are delivered (okq NOACK) */
  consume?: boolean;
  /**
   * Disque's GETJOB: each queue the fetch looks at is created if missing
   * (QSCAN then lists it), even when the fetch does not block. A fetch that
   * blocks creates its queues anyway.
   */
  createQueues?: boolean;
  /** who fetches (the door's client): EXPLAIN tells whom a job is leased to and who fetched last */
  consumer?: Consumer;
}

/** One delivered job, as GETJOB returns it. */
export interface Delivery {
  queue: string;
  id: string;
  seq: number;
  body: Buffer;
  nacks: number;
  additionalDeliveries: number;
  /** okq event id, when the job was added with one */
  clientKey?: string | undefined;
  /** failures left before dead-lettering, when the job has a budget */
  retryBudgetLeft?: number;
  /** the job's run time-out, when it has one */
  runTimeoutMs?: number;
  /** its priority, when not the default */
  priority?: number;
  /** its group, when it has one */
  group?: string;
}

/** Everything SHOW reports about a job. Times are ms since the epoch. */
export interface JobInfo {
  id: string;
  seq: number;
  queue: string;
  state: JobState;
  repl: number;
  /** seconds of TTL configured at creation */
  ttl: number;
  createdAt: number;
  expiresAt: number;
  /** seconds */
  delay: number;
  /** seconds */
  retry: number;
  nacks: number;
  additionalDeliveries: number;
  /** absolute ms of the next re-queue, or null */
  requeueAt: number | null;
  /** absolute ms of the job's next timer event (delay end, re-queue, expiry), or null */
  awakeAt: number | null;
  /** absolute ms when a delayed job is first queued, null once it has been (or had no delay) */
  delayedUntil: number | null;
  /** the engine's clock when this snapshot was taken: relative times derive from it */
  observedAt: number;
  body: Buffer;
  /** okq event id, when the job was added with one */
  clientKey?: string | undefined;
  /** failures left before dead-lettering; absent = unlimited */
  retryBudgetLeft?: number;
  /** the budget it was given; absent = unlimited */
  retryBudget?: number;
  backoff?: BackoffPolicy;
  runTimeoutMs?: number;
  /** absolute ms a job in state `backoff` is queued again, else null */
  backoffUntil: number | null;
  /** its last failed attempts, oldest first (absent: none) */
  attempts?: Attempt[];
  /** the door that added it (absent: unknown, e.g. journaled before this was kept) */
  origin?: JobOrigin;
  /** its priority; absent: DEFAULT_PRIORITY */
  priority?: number;
  group?: string;
  /** its idempotency key, and when the key is forgotten (ms since the epoch) */
  key?: string;
  keyExpiresAt?: number;
  /** the schedule that added it */
  schedule?: string;
}

/** How the dialects name a job inside a queue. */
export type JobLookup = "id" | "event" | "seq";

/** One job that exhausted its retries, kept in its queue's dead-letter list. */
export interface DeadLetterInfo {
  id: string;
  seq: number;
  queue: string;
  body: Buffer;
  clientKey?: string | undefined;
  /** why it was dead-lettered, e.g. "retries exhausted" */
  reason: string;
  /** ms since the epoch */
  at: number;
  /** the budget it had (a redrive gives it afresh); -1 = unlimited */
  retryBudget: number;
  /** its last failed attempts, oldest first: the last one's error is why it died */
  attempts: Attempt[];
}

/** Per-queue counts for takeanumber LEN and okq QSTATUS. */
export interface QueueCounts {
  name: string;
  /** jobs not done: waiting plus reserved (delivered, not acked; delayed) */
  total: number;
  waiting: number;
  processing: number;
  /** connections registered for QNOTIFY plus blocked fetchers */
  consumers: number;
}

export interface QueueStats {
  name: string;
  len: number;
  /** seconds since the queue was created */
  age: number;
  /** seconds since the queue was last used */
  idle: number;
  blocked: number;
  jobsIn: number;
  jobsOut: number;
  pause: PauseState;
  /** jobs waiting out a backoff (state `backoff`) */
  backingOff: number;
  deadLetters: number;
  /** jobs waiting out their DELAY (not a backoff) */
  delayed: number;
  /** jobs delivered and not yet acked, nacked or re-queued */
  inFlight: number;
  /** createdAt of the job at the head of the ready list (served next), or null when none is ready */
  oldestReadyAt: number | null;
  /** QPOLICY … RATE, when set */
  rateLimit?: RateLimit;
  /** when a rate-limited queue's next delivery is allowed, if later than now; else null */
  rateLimitedUntil: number | null;
  /** groups with jobs queued or in flight */
  groups: number;
  /** ready jobs held back because their group is at its GROUPLIMIT */
  heldBack: number;
}

export interface ScanResult<T> {
  cursor: number;
  items: T[];
}

export interface JobScanOptions {
  count: number;
  busyloop: boolean;
  queue?: string;
  states?: JobState[];
}

export interface QueueScanOptions {
  count: number;
  busyloop: boolean;
  minlen?: number;
  maxlen?: number;
  importrate?: number;
}

/** pause operations, read left to right (see DISQUE.md, PAUSE) */
export type PauseOp = "in" | "out" | "all" | "none" | "state" | "bcast";

export interface BrokerStats {
  jobs: number;
  queues: number;
  jobsByState: Record<JobState, number>;
  blockedClients: number;
  /** totals since start */
  added: number;
  delivered: number;
  acked: number;
  expired: number;
  requeued: number;
  /** failures that queued a job again (NACK, RETRY, lease), and those that dead-lettered it */
  retried: number;
  deadLettered: number;
  /** failures whose cause was "timeout" (NACK … TIMEDOUT) */
  timedOut: number;
  /** dead letters dropped because their queue's list was at its cap */
  deadLettersEvicted: number;
  /** results kept now, and their bytes */
  results: number;
  resultBytes: number;
}

export interface NodeInfo {
  id: string;
  host: string;
  port: number;
  /** Disque's: NODE_PRIORITY_OK, or NODE_PRIORITY_LEAVING while the node leaves */
  priority: number;
}

/** HELLO's priority of a healthy node, and of one leaving the cluster (Disque's values). */
export const NODE_PRIORITY_OK = 1;
export const NODE_PRIORITY_LEAVING = 100;

/** A node's HELLO priority. */
export function nodePriority(leaving: boolean): number {
  return leaving ? NODE_PRIORITY_LEAVING : NODE_PRIORITY_OK;
}

/**
 * How a WAITJOB ended: the job was acked, deleted (FASTACK, DELJOB, DEBUG
 * FLUSHALL, okq QFLUSH, dead-lettered by takeanumber RETRY) or expired while
 * waited on; "gone" when it was not known when
 * the wait began; null on time-out or abort.
 */
export type JobWaitOutcome = "acked" | "deleted" | "expired" | "gone" | null;

export interface Broker {
  /** 40 hex characters; its first 8 are embedded in every job id */
  readonly nodeId: string;
  /** Whether the store answers now (the Redis store: a PING within --redis-timeout); absent = always. */
  storeAnswers?(): Promise<boolean>;
  /**
   * CLUSTER LEAVING: this node is leaving (HELLO gives it priority 100). Not
   * job state: a restarted node is not leaving, and it is not journaled.
   */
  leaving: boolean;

  addJob(req: AddJobRequest): Awaitable<AddJobResult>;
  getJobs(req: GetJobsRequest): Awaitable<Delivery[] | null>;
  /**
   * ACKJOB: count of known jobs not already acked. With `result` (ACKJOB …
   * RESULT), each acked job's result is kept for the result TTL.
   */
  ackJobs(ids: string[], result?: Buffer): Awaitable<number>;
  /** FASTACK: count deleted */
  fastAck(ids: string[]): Awaitable<number>;
  /**
   * NACK: each job's failure (docs/failures.md): one retry spent, queued
   * again (after DELAY/BACKOFF when asked), or dead-lettered when none was
   * left. Counts the jobs failed (dead-lettered ones included).
   */
  nack(ids: string[], options?: NackOptions): Awaitable<number>;
  /**
   * Delivered jobs a door took but never handed over (its client went away
   * first): back at their own place with no counter changed, as if they had
   * not been taken. Their count.
   */
  release(ids: string[]): Awaitable<number>;
  enqueue(ids: string[]): Awaitable<number>;
  dequeue(ids: string[]): Awaitable<number>;
  /** WORKING: seconds the re-queue was postponed by; throws NOJOB/TOOLATE */
  working(id: string): Awaitable<number>;
  deleteJobs(ids: string[]): Awaitable<number>;
  show(id: string): Awaitable<JobInfo | null>;
  /** the job with this sequence number */
  showBySeq(seq: number): Awaitable<JobInfo | null>;

  /**
   * WAITJOB: blocks until the job is no longer known; timeoutMs 0 = forever.
   * A job no longer known whose result is still kept answers "acked".
   */
  waitJob(id: string, timeoutMs: number, signal?: WaitSignal): Awaitable<JobWaitOutcome>;
  /** the result an ACKJOB … RESULT left, while it is kept */
  result(id: string): Awaitable<JobResult | null>;

  qlen(queue: string): Awaitable<number>;
  /** count > 0 oldest first, < 0 newest first */
  qpeek(queue: string, count: number): Awaitable<JobInfo[]>;
  qstat(queue: string): Awaitable<QueueStats | null>;
  /** `by`: the client that asked, remembered (not journaled) for EXPLAIN's "paused since … by …" */
  pause(queue: string, ops: PauseOp[], by?: Consumer): Awaitable<PauseState>;
  /** EXPLAIN: the facts of why the job is (not) running now; core/explain.ts words them */
  explain(id: string): Awaitable<ExplainFacts>;
  jscan(cursor: number, opts: JobScanOptions): Awaitable<ScanResult<JobInfo>>;
  qscan(cursor: number, opts: QueueScanOptions): Awaitable<ScanResult<string>>;

  flushAll(): Awaitable<void>;
  stats(): Awaitable<BrokerStats>;
  nodes(): Awaitable<NodeInfo[]>;

  // ------------------------------------------------ dialects (okq, takeanumber, TaskQ)

  /** Removes the job named `ref` in `queue` (by job id, okq event id / TaskQ task number, or seq): 0 or 1. */
  ackInQueue(queue: string, ref: string, by: JobLookup): Awaitable<number>;
  /**
   * takeanumber RETRY: the job goes back to its own place in its queue
   * (served before the jobs queued behind it) with one retry
   * less, or to the dead-letter list when none is left. null: unknown job.
   */
  retryJob(queue: string, id: string): Awaitable<"requeued" | "deadlettered" | null>;
  /**
   * okq QACK … REDO: the job named `ref` in `queue` (in flight or waiting) is
   * queued again ahead of every job queued, so it is served next: 0 or 1.
   */
  requeueFirst(queue: string, ref: string, by: JobLookup): Awaitable<number>;
  /** okq QFLUSH: every job of the queue (queued or in flight) and its dead letters go. */
  flushQueue(queue: string): Awaitable<number>;
  /** counts per queue; every known queue (sorted by name) when `names` is absent */
  queueCounts(names?: string[]): Awaitable<QueueCounts[]>;
  /** okq QREGISTER: `consumer` now waits on exactly these queues (empty: none) */
  registerConsumer(consumer: string, queues: string[]): Awaitable<void>;
  /**
   * okq QNOTIFY: resolves with the name of a registered queue that has a
   * waiting job (nothing is taken), or null after `timeoutMs` (0 = forever)
   * or on abort. A consumer registered on nothing just waits.
   */
  notify(consumer: string, timeoutMs: number, signal?: WaitSignal): Awaitable<string | null>;
  /** oldest first, at most `count` */
  deadLetters(queue: string, count: number): Awaitable<DeadLetterInfo[]>;
  /** one dead letter by its (dead) job id, in any queue */
  deadLetter(id: string): Awaitable<DeadLetterInfo | null>;
  /**
   * moves the selected dead letters back into the queue as fresh jobs (new
   * ids, their budget given afresh, no attempts); their count
   */
  redrive(queue: string, which: DeadLetterSelection): Awaitable<number>;
  /** drops the selected dead letters; their count */
  purgeDeadLetters(queue: string, which: DeadLetterSelection): Awaitable<number>;
  /** the queue's failure policy ({} when it has none) */
  queuePolicy(queue: string): Awaitable<QueuePolicy>;
  /** replaces the queue's failure policy ({}: none); jobs added from now on get it */
  setQueuePolicy(queue: string, policy: QueuePolicy): Awaitable<QueuePolicy>;
  /** the server's failure settings (CONFIG SET); applies from the next add or failure */
  configureFailures(defaults: FailureDefaults): void;

  // ------------------------------------------------ recurring jobs (docs/schedules.md, core/schedules.ts)

  /**
   * SCHEDULE SET: creates or replaces the named schedule. A replacement with
   * the same timing keeps its progress (the next run stays); MAX_SCHEDULES
   * per deployment (ERR when full). Due times are run by the store's timer path.
   */
  upsertSchedule(def: ScheduleDefinition): Awaitable<ScheduleInfo>;
  getSchedule(name: string): Awaitable<ScheduleInfo | null>;
  /** at most `count` schedules in name order after `cursor` ("0": from the start); next cursor "0": the end */
  listSchedules(cursor: string, count: number): Awaitable<SchedulePage>;
  /** SCHEDULE DEL: 0 or 1 */
  removeSchedule(name: string): Awaitable<number>;

  /**
   * Resolves when every change made so far is as durable as the fsync policy
   * promises; undefined when nothing is pending. Write replies wait on it.
   */
  whenDurable(): Promise<void> | undefined;
}

/** Disque job ids: `D-` + 8 hex + `-` + 24 base64 chars + `-` + 4 hex. */
export function isValidJobId(id: string): boolean {
  return (
    id.length === 40 &&
    id.charCodeAt(0) === 68 /* D */ &&
    id.charCodeAt(1) === 45 /* - */ &&
    id.charCodeAt(10) === 45 &&
    id.charCodeAt(35) === 45
  );
}

export function badIdError(): BrokerError {
  return new BrokerError("BADID", "Invalid Job ID format.");
}
