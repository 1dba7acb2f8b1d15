import {
  JOB_ORIGINS,
  type Attempt,
  type BackoffPolicy,
  type JobInfo,
  type JobOrigin,
} from "../../../core/contract.js";
import { DEFAULT_PRIORITY } from "../../../core/scheduling.js";
import type { JobTable } from "./job-table.js";
import { PAGE_BITS, PAGE_MASK, type JobPage } from "./job-page.js";
import type { BodyRange } from "./body-arena.js";

const QUEUED = 1;
const EVER_QUEUED = 2;
const BACKING_OFF = 4;
const RETRY_ONLY_BUDGET = 8;
/** three bits above the booleans: the door that added the job, JOB_ORIGINS' index + 1 (0: unknown) */
const ORIGIN_SHIFT = 4;
const ORIGIN_MASK = 7 << ORIGIN_SHIFT;

/**
 * The extras of dialect, failing and scheduled jobs (event id, retry
 * budget, backoff, attempts, group, idempotency key): absent on plain
 * Disque jobs, which so pay nothing for them. Priority and round, which
 * every ready-list comparison reads, are columns of the table instead.
 */
export interface DialectFields {
  eventId: string | undefined;
  retries: number;
  retriesLeft: number;
  backoff: BackoffPolicy | undefined;
  runTimeoutMs: number | undefined;
  attempts: Attempt[] | undefined;
  group: string | undefined;
  key: string | undefined;
  keyExpiresAt: number;
  schedule: string | undefined;
}

/**
 * One job, as the engine's code sees it: a view of its slot in the job
 * table (job-table.ts), where its fields live as columns. Views are made
 * when a command needs a job and dropped after it; the indexes hold slot
 * numbers, so two views of one job are equal by `slot`, not by identity.
 * Times are absolute ms on the engine's clock; 0 means "not set".
 */
export class Job {
  /** the slot's page of columns, and its place there */
  private readonly page: JobPage;
  private readonly at: number;

  constructor(
    readonly table: JobTable,
    readonly slot: number,
    /** the id, when the caller has it already (a lookup by id, a new job): saves making the string again */
    private knownId?: string,
  ) {
    this.page = table.pages[slot >>> PAGE_BITS]!;
    this.at = slot & PAGE_MASK;
  }

  get id(): string {
    return (this.knownId ??= this.table.idOf(this.slot));
  }

  get seq(): number {
    return this.page.seq[this.at]!;
  }

  get queue(): string {
    return this.table.names.name(this.page.queueNumber[this.at]!);
  }

  get createdAt(): number {
    return this.page.createdAt[this.at]!;
  }

  /** seconds */
  get ttl(): number {
    return this.page.ttl[this.at]!;
  }

  /** seconds */
  get retry(): number {
    return this.page.retry[this.at]!;
  }

  /** seconds */
  get delay(): number {
    return this.page.delay[this.at]!;
  }

  get repl(): number {
    return this.page.repl[this.at]!;
  }

  /** position in the queue's ready list: creation order unless placed otherwise */
  get rank(): number {
    return this.page.rank[this.at]!;
  }
  set rank(value: number) {
    this.page.rank[this.at] = value;
  }

  get nacks(): number {
    return this.page.nacks[this.at]!;
  }
  set nacks(value: number) {
    this.page.nacks[this.at] = value;
  }

  get additionalDeliveries(): number {
    return this.page.additionalDeliveries[this.at]!;
  }
  set additionalDeliveries(value: number) {
    this.page.additionalDeliveries[this.at] = value;
  }

  /** The job's bytes: a fresh copy of a small body (kept in its page's arena), a large one's own Buffer. */
  get body(): Buffer {
    return this.page.bodies.read(this.at);
  }

  /** the body where it is kept, for the journal to copy without a Buffer made for it (valid until the next one) */
  get bodyRange(): BodyRange {
    return this.page.bodies.rangeOf(this.at, this.table.bodyScratch);
  }

  /** the body's length without copying it */
  get bodyBytes(): number {
    return this.page.bodies.length(this.at);
  }

  private flag(bit: number): boolean {
    return (this.page.flags[this.at]! & bit) !== 0;
  }

  private setFlag(bit: number, on: boolean): void {
    const flags = this.page.flags;
    flags[this.at] = on ? flags[this.at]! | bit : flags[this.at]! & ~bit;
  }

  /** in its queue's ready list */
  get queued(): boolean {
    return this.flag(QUEUED);
  }
  set queued(value: boolean) {
    this.setFlag(QUEUED, value);
  }

  /** true once the job has been queued at least once (RETRY 0 jobs refuse a second time) */
  get everQueued(): boolean {
    return this.flag(EVER_QUEUED);
  }
  set everQueued(value: boolean) {
    this.setFlag(EVER_QUEUED, value);
  }

  /** waiting out a backoff until awakeAt (state `backoff`), not a delay */
  get backingOff(): boolean {
    return this.flag(BACKING_OFF);
  }
  set backingOff(value: boolean) {
    this.setFlag(BACKING_OFF, value);
  }

  /** takeanumber's budget: spent by RETRY only, not by a lease that runs out */
  get retryOnlyBudget(): boolean {
    return this.flag(RETRY_ONLY_BUDGET);
  }
  set retryOnlyBudget(value: boolean) {
    this.setFlag(RETRY_ONLY_BUDGET, value);
  }

  /** the door that added it, kept in the flags so it costs no memory per job */
  get origin(): JobOrigin | undefined {
    const code = (this.page.flags[this.at]! & ORIGIN_MASK) >> ORIGIN_SHIFT;
    return code === 0 ? undefined : JOB_ORIGINS[code - 1];
  }
  set origin(value: JobOrigin | undefined) {
    const code = value === undefined ? 0 : JOB_ORIGINS.indexOf(value) + 1;
    const flags = this.page.flags;
    flags[this.at] = (flags[this.at]! & ~ORIGIN_MASK) | (code << ORIGIN_SHIFT);
  }

  /** when a delayed job becomes queued */
  get awakeAt(): number {
    return this.page.awakeAt[this.at]!;
  }
  set awakeAt(at: number) {
    this.page.awakeAt[this.at] = at;
  }

  /** when an unacknowledged job is queued again */
  get requeueAt(): number {
    return this.page.requeueAt[this.at]!;
  }
  set requeueAt(at: number) {
    this.page.requeueAt[this.at] = at;
  }

  /** the earliest time this job has an entry in the timer heap (Infinity: none) */
  get scheduledAt(): number {
    return this.page.scheduledAt[this.at]!;
  }
  set scheduledAt(at: number) {
    this.page.scheduledAt[this.at] = at;
  }

  private get dialect(): DialectFields | undefined {
    const extras = this.table.extras;
    return extras.size === 0 ? undefined : extras.get(this.slot);
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
    return this.page.priority[this.at]!;
  }
  set priority(value: number) {
    this.page.priority[this.at] = value;
  }

  /** its fair-sharing round (core/scheduling.ts): 0 without a group; fixed while it is queued */
  get round(): number {
    return this.page.round[this.at]!;
  }
  set round(value: number) {
    this.page.round[this.at] = value;
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
    let fields = this.dialect;
    if (fields) return fields;
    fields = {
      eventId: undefined,
      retries: -1,
      retriesLeft: -1,
      backoff: undefined,
      runTimeoutMs: undefined,
      attempts: undefined,
      group: undefined,
      key: undefined,
      keyExpiresAt: 0,
      schedule: undefined,
    };
    this.table.extras.set(this.slot, fields);
    return fields;
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
    if (this.priority !== DEFAULT_PRIORITY) info.priority = this.priority;
    const side = this.dialect;
    if (side) {
      if (side.retries >= 0) info.retryBudget = side.retries;
      if (side.retriesLeft >= 0) info.retryBudgetLeft = side.retriesLeft;
      if (side.backoff !== undefined) info.backoff = side.backoff;
      if (side.runTimeoutMs !== undefined) info.runTimeoutMs = side.runTimeoutMs;
      if (side.attempts !== undefined) info.attempts = side.attempts.slice();
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
 * Delivery order inside a queue (core/scheduling.ts) between two slots:
 * priority, then round, then rank. Ranks are unique in a queue, so two
 * jobs compare equal only when they are the same job.
 */
export function slotOrder(table: JobTable): (a: number, b: number) => number {
  const pages = table.pages;
  return (a, b) => {
    const pageA = pages[a >>> PAGE_BITS]!;
    const pageB = pages[b >>> PAGE_BITS]!;
    const atA = a & PAGE_MASK;
    const atB = b & PAGE_MASK;
    const pa = pageA.priority[atA]!;
    const pb = pageB.priority[atB]!;
    if (pa !== pb) return pa - pb;
    const ra = pageA.round[atA]!;
    const rb = pageB.round[atB]!;
    if (ra !== rb) return ra - rb;
    return pageA.rank[atA]! - pageB.rank[atB]!;
  };
}
