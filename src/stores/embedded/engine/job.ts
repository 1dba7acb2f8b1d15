import {
  JOB_ORIGINS,
  type Attempt,
  type BackoffPolicy,
  type JobInfo,
  type JobOrigin,
} from "../../../core/contract.js";
import { DEFAULT_PRIORITY } from "../../../core/scheduling.js";

/** Offset value meaning "not set" (time 0, or Infinity for scheduledAt): a small integer, so V8 keeps it unboxed. */
const UNSET = -1073741824; // -(2 ** 30)

/**
 * `at - createdAt` as an int32 when it fits, so V8 stores a Smi (the result of
 * subtracting two doubles is a heap number even when integral); beyond what
 * a Smi holds (±12 days with 31-bit Smis, ±24 with 32-bit) it is a double:
 * still correct, only boxed.
 */
function offset(at: number, createdAt: number): number {
  const diff = at - createdAt;
  return diff === (diff | 0) ? diff | 0 : diff;
}

/**
 * Bodies up to this size are kept as a latin1 string (16 bytes of header)
 * rather than a Buffer (a ~96-byte object plus a slice of a pool); larger
 * ones stay Buffers, outside V8's heap.
 */
export const SMALL_BODY_BYTES = 1024;
const QUEUED = 1;
const EVER_QUEUED = 2;
const BACKING_OFF = 4;
const RETRY_ONLY_BUDGET = 8;
/** three bits above the booleans: the door that added the job, JOB_ORIGINS' index + 1 (0: unknown) */
const ORIGIN_SHIFT = 4;
const ORIGIN_MASK = 7 << ORIGIN_SHIFT;

/**
 * The extras of dialect, failing and scheduled jobs (event id, retry
 * budget, backoff, attempts, priority, group, idempotency key): absent on
 * plain Disque jobs, which so pay nothing for them.
 */
interface DialectFields {
  eventId: string | undefined;
  retries: number;
  retriesLeft: number;
  backoff: BackoffPolicy | undefined;
  runTimeoutMs: number | undefined;
  attempts: Attempt[] | undefined;
  priority: number;
  round: number;
  group: string | undefined;
  key: string | undefined;
  keyExpiresAt: number;
  schedule: string | undefined;
}

/**
 * One job. Times are absolute ms on the engine's clock; 0 means "not set".
 *
 * Memory matters here (a million queued jobs is a normal day), so the class
 * keeps a fixed shape with few fields: the mutable times are stored as small
 * integer offsets from `createdAt` (V8 would box each absolute ms timestamp
 * in a 16-byte heap number, as it does `createdAt` itself; small offsets
 * are Smis), the two state booleans share one flags
 * field, and the dialect extras live in a side object only dialect jobs have.
 * Small bodies are kept as strings (see SMALL_BODY_BYTES).
 * Accessors give every reader the plain absolute values and a Buffer body.
 */
export class Job {
  /** position in the queue's ready list: creation order unless placed otherwise */
  rank: number;
  nacks = 0;
  additionalDeliveries = 0;
  private flags = 0;
  private awakeOffset = UNSET;
  private requeueOffset = UNSET;
  private scheduledOffset = UNSET;
  private dialect: DialectFields | undefined = undefined;
  private readonly payload: string | Buffer;

  constructor(
    readonly id: string,
    readonly seq: number,
    readonly queue: string,
    /** a string holds the bytes as latin1 */
    body: Buffer | string,
    readonly createdAt: number,
    /** seconds */
    readonly ttl: number,
    /** seconds */
    readonly retry: number,
    /** seconds */
    readonly delay: number,
    readonly repl: number,
  ) {
    this.rank = seq;
    if (typeof body === "string")
      this.payload = body.length <= SMALL_BODY_BYTES ? body : Buffer.from(body, "latin1");
    else this.payload = body.length <= SMALL_BODY_BYTES ? body.toString("latin1") : body;
  }

  /** The job's bytes. Small bodies are stored as a string: each read makes a fresh Buffer. */
  get body(): Buffer {
    const payload = this.payload;
    return typeof payload === "string" ? Buffer.from(payload, "latin1") : payload;
  }

  /** the body as kept, a latin1 string when small: what the journal writes, without a copy */
  get storedBody(): string | Buffer {
    return this.payload;
  }

  /** the body's length without copying it (a string holds one byte per character) */
  get bodyBytes(): number {
    return this.payload.length;
  }

  /** in its queue's ready list */
  get queued(): boolean {
    return (this.flags & QUEUED) !== 0;
  }
  set queued(value: boolean) {
    this.flags = value ? this.flags | QUEUED : this.flags & ~QUEUED;
  }

  /** true once the job has been queued at least once (RETRY 0 jobs refuse a second time) */
  get everQueued(): boolean {
    return (this.flags & EVER_QUEUED) !== 0;
  }
  set everQueued(value: boolean) {
    this.flags = value ? this.flags | EVER_QUEUED : this.flags & ~EVER_QUEUED;
  }

  /** waiting out a backoff until awakeAt (state `backoff`), not a delay */
  get backingOff(): boolean {
    return (this.flags & BACKING_OFF) !== 0;
  }
  set backingOff(value: boolean) {
    this.flags = value ? this.flags | BACKING_OFF : this.flags & ~BACKING_OFF;
  }

  /** takeanumber's budget: spent by RETRY only, not by a lease that runs out */
  get retryOnlyBudget(): boolean {
    return (this.flags & RETRY_ONLY_BUDGET) !== 0;
  }
  set retryOnlyBudget(value: boolean) {
    this.flags = value ? this.flags | RETRY_ONLY_BUDGET : this.flags & ~RETRY_ONLY_BUDGET;
  }

  /** the door that added it, kept in the flags so it costs no memory per job */
  get origin(): JobOrigin | undefined {
    const code = (this.flags & ORIGIN_MASK) >> ORIGIN_SHIFT;
    return code === 0 ? undefined : JOB_ORIGINS[code - 1];
  }
  set origin(value: JobOrigin | undefined) {
    const code = value === undefined ? 0 : JOB_ORIGINS.indexOf(value) + 1;
    this.flags = (this.flags & ~ORIGIN_MASK) | (code << ORIGIN_SHIFT);
  }

  /** when a delayed job becomes queued */
  get awakeAt(): number {
    return this.awakeOffset === UNSET ? 0 : this.createdAt + this.awakeOffset;
  }
  set awakeAt(at: number) {
    this.awakeOffset = at === 0 ? UNSET : offset(at, this.createdAt);
  }

  /** when an unacknowledged job is queued again */
  get requeueAt(): number {
    return this.requeueOffset === UNSET ? 0 : this.createdAt + this.requeueOffset;
  }
  set requeueAt(at: number) {
    this.requeueOffset = at === 0 ? UNSET : offset(at, this.createdAt);
  }

  /** the earliest time this job has an entry in the timer heap (Infinity: none) */
  get scheduledAt(): number {
    return this.scheduledOffset === UNSET ? Infinity : this.createdAt + this.scheduledOffset;
  }
  set scheduledAt(at: number) {
    this.scheduledOffset = at === Infinity ? UNSET : offset(at, this.createdAt);
  }

  /** okq: the client-chosen event id, unique among the queue's live jobs */
  get clientKey(): string | undefined {
    return this.dialect?.eventId;
  }
  set clientKey(value: string | undefined) {
    if (value !== undefined || this.dialect) this.dialectFields().eventId = value;
  }

  /** takeanumber: RETRY budget given at ADD (-1: unlimited, Disque jobs) */
  get retryBudget(): number {
    return this.dialect?.retries ?? -1;
  }
  set retryBudget(value: number) {
    if (value !== -1 || this.dialect) this.dialectFields().retries = value;
  }

  /** RETRYs left before the job goes to the dead-letter list (-1: unlimited) */
  get retryBudgetLeft(): number {
    return this.dialect?.retriesLeft ?? -1;
  }
  set retryBudgetLeft(value: number) {
    if (value !== -1 || this.dialect) this.dialectFields().retriesLeft = value;
  }

  /** NACK … BACKOFF's policy, when the job has its own (else the server default at failure time) */
  get backoff(): BackoffPolicy | undefined {
    return this.dialect?.backoff;
  }
  set backoff(value: BackoffPolicy | undefined) {
    if (value !== undefined || this.dialect) this.dialectFields().backoff = value;
  }

  /** ms a Worker lets its handler run, when set */
  get runTimeoutMs(): number | undefined {
    return this.dialect?.runTimeoutMs;
  }
  set runTimeoutMs(value: number | undefined) {
    if (value !== undefined || this.dialect) this.dialectFields().runTimeoutMs = value;
  }

  /** the last failed attempts, oldest first */
  get attempts(): Attempt[] | undefined {
    return this.dialect?.attempts;
  }
  set attempts(value: Attempt[] | undefined) {
    if (value !== undefined || this.dialect) this.dialectFields().attempts = value;
  }

  /** 0 is the most urgent (core/scheduling.ts); DEFAULT_PRIORITY unless set */
  get priority(): number {
    return this.dialect?.priority ?? DEFAULT_PRIORITY;
  }
  set priority(value: number) {
    if (value !== DEFAULT_PRIORITY || this.dialect) this.dialectFields().priority = value;
  }

  /** its fair-sharing round (core/scheduling.ts): 0 without a group; fixed while it is queued */
  get round(): number {
    return this.dialect?.round ?? 0;
  }
  set round(value: number) {
    if (value !== 0 || this.dialect) this.dialectFields().round = value;
  }

  /** its group (tenant), when it has one */
  get group(): string | undefined {
    return this.dialect?.group;
  }
  set group(value: string | undefined) {
    if (value !== undefined || this.dialect) this.dialectFields().group = value;
  }

  /** its idempotency key, when added with one */
  get key(): string | undefined {
    return this.dialect?.key;
  }
  set key(value: string | undefined) {
    if (value !== undefined || this.dialect) this.dialectFields().key = value;
  }

  /** when its key is forgotten (absolute ms; 0 without a key) */
  get keyExpiresAt(): number {
    return this.dialect?.keyExpiresAt ?? 0;
  }
  set keyExpiresAt(value: number) {
    if (value !== 0 || this.dialect) this.dialectFields().keyExpiresAt = value;
  }

  /** the schedule that added it */
  get schedule(): string | undefined {
    return this.dialect?.schedule;
  }
  set schedule(value: string | undefined) {
    if (value !== undefined || this.dialect) this.dialectFields().schedule = value;
  }

  private dialectFields(): DialectFields {
    return (this.dialect ??= {
      eventId: undefined,
      retries: -1,
      retriesLeft: -1,
      backoff: undefined,
      runTimeoutMs: undefined,
      attempts: undefined,
      priority: DEFAULT_PRIORITY,
      round: 0,
      group: undefined,
      key: undefined,
      keyExpiresAt: 0,
      schedule: undefined,
    });
  }

  get expiresAt(): number {
    return this.createdAt + this.ttl * 1000;
  }

  /** the next time anything happens to this job on its own */
  wakeAt(): number {
    let at = this.expiresAt;
    if (this.awakeAt !== 0 && this.awakeAt < at) at = this.awakeAt;
    // A queued job's re-queue timer is rolled forward lazily, so it needs no wake-up.
    if (!this.queued && this.requeueAt !== 0 && this.requeueAt < at) at = this.requeueAt;
    return at;
  }

  /**
   * The re-queue time as Disque would report it: re-armed every RETRY seconds
   * while the job waits in the queue, so never in the past.
   */
  nextRequeueAt(now: number): number {
    if (this.requeueAt === 0 || this.requeueAt > now) return this.requeueAt;
    const period = this.retry * 1000;
    return this.requeueAt + Math.ceil((now - this.requeueAt + 1) / period) * period;
  }

  /** its SHOW state */
  get state(): "queued" | "backoff" | "active" {
    return this.queued ? "queued" : this.backingOff ? "backoff" : "active";
  }

  info(now: number): JobInfo {
    const wake = this.wakeAt();
    const info: JobInfo = {
      id: this.id,
      seq: this.seq,
      queue: this.queue,
      state: this.state,
      repl: this.repl,
      ttl: this.ttl,
      createdAt: this.createdAt,
      expiresAt: this.expiresAt,
      delay: this.delay,
      retry: this.retry,
      nacks: this.nacks,
      additionalDeliveries: this.additionalDeliveries,
      requeueAt: this.requeueAt === 0 ? null : this.nextRequeueAt(now),
      awakeAt: Number.isFinite(wake) ? wake : null,
      delayedUntil: this.awakeAt === 0 || this.backingOff ? null : this.awakeAt,
      backoffUntil: this.backingOff ? this.awakeAt : null,
      body: this.body,
      observedAt: now,
    };
    if (this.clientKey !== undefined) info.clientKey = this.clientKey;
    const origin = this.origin;
    if (origin !== undefined) info.origin = origin;
    if (this.dialect) {
      const side = this.dialect;
      if (side.retries >= 0) info.retryBudget = side.retries;
      if (side.retriesLeft >= 0) info.retryBudgetLeft = side.retriesLeft;
      if (side.backoff !== undefined) info.backoff = side.backoff;
      if (side.runTimeoutMs !== undefined) info.runTimeoutMs = side.runTimeoutMs;
      if (side.attempts !== undefined) info.attempts = side.attempts.slice();
      if (side.priority !== DEFAULT_PRIORITY) info.priority = side.priority;
      if (side.group !== undefined) info.group = side.group;
      if (side.key !== undefined) {
        info.key = side.key;
        info.keyExpiresAt = side.keyExpiresAt;
      }
      if (side.schedule !== undefined) info.schedule = side.schedule;
    }
    return info;
  }
}

/**
 * Delivery order inside a queue (core/scheduling.ts): priority, then round,
 * then rank. Ranks are unique in a queue, so two jobs compare equal only
 * when they are the same job.
 */
export function compareJobs(a: Job, b: Job): number {
  const pa = a.priority;
  const pb = b.priority;
  if (pa !== pb) return pa - pb;
  const ra = a.round;
  const rb = b.round;
  if (ra !== rb) return ra - rb;
  return a.rank - b.rank;
}
