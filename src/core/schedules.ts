import { Cron } from "croner";
import { BrokerError, type AddJobRequest } from "./contract.js";
import { MAX_DELAY_MS, MAX_QUEUE_NAME_BYTES, checkQueueName, inRange } from "./limits.js";
import { MAX_LISTING_COUNT } from "./listing-limits.js";
import { addJobSettings } from "./validate.js";

/**
 * Recurring jobs (docs/schedules.md): named schedules, each a cron
 * expression (croner: seconds optional, time zones) or a fixed interval,
 * and a job template. Both stores share these rules; how a store makes
 * "exactly one job per due time" hold is its own (the embedded engine is one
 * process; the Redis store claims each due time in one script).
 *
 * Policy for missed runs (the server was down, or the schedule was just
 * created with a past start): a schedule whose due time has passed produces
 * ONE job for the latest due time that passed (a catch-up run, made up once),
 * then continues from the next due time after now. It never replays every
 * tick it missed.
 */

/** schedule names: 1..200 printable ASCII characters */
export const MAX_SCHEDULE_NAME_BYTES = 200;
const SCHEDULE_NAME = /^[\x21-\x7e]{1,200}$/;
/** schedules per server (a bounded table: SCHEDULE LIST pages through it) */
export const MAX_SCHEDULES = 10_000;
/** the shortest fixed interval: 1 s */
export const MIN_INTERVAL_MS = 1000;
/** cron text is at most this long */
export const MAX_CRON_BYTES = 256;
/** the job body of a template, at most (a template is kept in memory and journaled per change) */
export const MAX_TEMPLATE_BODY_BYTES = 65_536;

/** What a schedule adds at each due time: an ADDJOB without the key (each run gets its own). */
export interface JobTemplate {
  queue: string;
  body: Buffer;
  ttl?: number;
  retry?: number;
  priority?: number;
  group?: string;
  retryBudget?: number;
  runTimeoutMs?: number;
}

/** A schedule as its owner declares it (upsert). Exactly one of `cron` and `everyMs`. */
export interface ScheduleDefinition {
  name: string;
  /** croner syntax: 5 or 6 fields (seconds first when 6), or @hourly etc. */
  cron?: string;
  /** IANA time zone of the cron expression (default UTC) */
  timezone?: string;
  /** a fixed interval instead of a cron expression */
  everyMs?: number;
  template: JobTemplate;
}

/** A schedule as a store keeps it: the definition plus its progress. */
export interface ScheduleInfo extends ScheduleDefinition {
  /** ms since the epoch of the next due time */
  nextRunAt: number;
  /** the last due time that produced a job, or null */
  lastRunAt: number | null;
  /** the id of the job that run produced, or null */
  lastJobId: string | null;
  /** jobs produced so far */
  runs: number;
  createdAt: number;
}

function fail(message: string): never {
  throw new BrokerError("ERR", message);
}

function cronOf(def: Pick<ScheduleDefinition, "cron" | "timezone">): Cron {
  try {
    return new Cron(def.cron!, { paused: true, timezone: def.timezone ?? "UTC", mode: "5-or-6-parts" });
  } catch (err) {
    fail(`invalid cron expression: ${(err as Error).message}`);
  }
}

/** Refuses a definition no store should keep, with the rule in the error. */
export function checkScheduleDefinition(def: ScheduleDefinition): void {
  if (!SCHEDULE_NAME.test(def.name)) {
    fail(`a schedule name is 1 to ${MAX_SCHEDULE_NAME_BYTES} printable ASCII characters`);
  }
  if ((def.cron === undefined) === (def.everyMs === undefined)) fail("a schedule needs either CRON or EVERY");
  if (def.cron !== undefined) {
    if (def.cron.length === 0 || Buffer.byteLength(def.cron) > MAX_CRON_BYTES) {
      fail(`cron text is 1 to ${MAX_CRON_BYTES} bytes`);
    }
    if (def.timezone !== undefined) {
      try {
        new Intl.DateTimeFormat("en-US", { timeZone: def.timezone });
      } catch {
        fail(`unknown time zone: ${def.timezone}`);
      }
    }
    if (cronOf(def).nextRun(new Date(0)) === null) fail("the cron expression never fires");
  } else {
    if (def.timezone !== undefined) fail("TZ applies to CRON only");
    inRange(
      def.everyMs!,
      "EVERY",
      MIN_INTERVAL_MS,
      MAX_DELAY_MS,
      `EVERY must be at least ${MIN_INTERVAL_MS} ms`,
    );
  }
  const t = def.template;
  checkQueueName(t.queue);
  if (Buffer.byteLength(t.queue) > MAX_QUEUE_NAME_BYTES) fail("queue name too long");
  if (t.body.length > MAX_TEMPLATE_BODY_BYTES)
    fail(`a schedule's job body is at most ${MAX_TEMPLATE_BODY_BYTES} bytes`);
  // the add each run makes: refused now rather than at every due time
  const add = templateAdd(t);
  addJobSettings(add, MAX_TEMPLATE_BODY_BYTES);
}

/**
 * The first due time strictly after `after` (ms). An interval schedule is
 * anchored at its creation time: due at createdAt + k × everyMs.
 */
export function nextDueAfter(def: ScheduleDefinition, after: number, createdAt: number): number {
  if (def.everyMs !== undefined) {
    const k = Math.floor((after - createdAt) / def.everyMs) + 1;
    return createdAt + Math.max(1, k) * def.everyMs;
  }
  const next = cronOf(def).nextRun(new Date(after));
  // a cron that fires no more (a one-off date in the past): never again
  return next === null ? Number.MAX_SAFE_INTEGER : next.getTime();
}

/**
 * The latest due time at or before `now`, for a schedule whose next due time
 * `from` has come (from ≤ now): `from` itself unless later ones passed too.
 */
function latestDueUpTo(def: ScheduleDefinition, from: number, now: number, createdAt: number): number {
  let latest: number;
  if (def.everyMs !== undefined) {
    latest = createdAt + Math.floor((now - createdAt) / def.everyMs) * def.everyMs;
  } else {
    // croner's previousRuns looks strictly before the reference's whole second
    const previous = cronOf(def).previousRuns(1, new Date(Math.floor(now / 1000) * 1000 + 1000))[0];
    latest = previous?.getTime() ?? from;
  }
  return latest >= from && latest <= now ? latest : from;
}

/**
 * Where a schedule stands at `now` when its due time has come: the due time
 * to produce one job for (the latest that passed: missed ones are made up
 * once, by this one) and the next due time after now.
 */
export function advanceSchedule(info: ScheduleInfo, now: number): { dueAt: number; nextRunAt: number } {
  const dueAt = latestDueUpTo(info, info.nextRunAt, now, info.createdAt);
  return { dueAt, nextRunAt: nextDueAfter(info, Math.max(now, dueAt), info.createdAt) };
}

/**
 * An upsert of an existing schedule keeps its progress when its timing is
 * unchanged (only the template changed): the next run stays where it was.
 */
export function sameTiming(a: ScheduleDefinition, b: ScheduleDefinition): boolean {
  return a.cron === b.cron && (a.timezone ?? "UTC") === (b.timezone ?? "UTC") && a.everyMs === b.everyMs;
}

/** The idempotency key of one due time's job: two servers (or a restart) that both try it add it once. */
export function scheduleRunKey(name: string, dueAt: number): string {
  return `schedule:${name}:${dueAt}`;
}

/** The add a due time makes. Its key lives a day (KEYTTL's default) past the add, more than any server's clock skew. */
export function scheduledAdd(info: ScheduleInfo, dueAt: number): AddJobRequest {
  return {
    ...templateAdd(info.template),
    key: scheduleRunKey(info.name, dueAt),
    origin: "schedule",
    schedule: info.name,
  };
}

function templateAdd(t: JobTemplate): AddJobRequest {
  return {
    queue: t.queue,
    body: t.body,
    ...(t.ttl !== undefined && { ttl: t.ttl }),
    ...(t.retry !== undefined && { retry: t.retry }),
    ...(t.priority !== undefined && { priority: t.priority }),
    ...(t.group !== undefined && { group: t.group }),
    ...(t.retryBudget !== undefined && { retryBudget: t.retryBudget }),
    ...(t.runTimeoutMs !== undefined && { runTimeoutMs: t.runTimeoutMs }),
  };
}

/**
 * What an upsert keeps: a new schedule starts now (its first due time after
 * now); a replaced one keeps its creation time, runs and last run, and its
 * next run too when the timing is unchanged (only the template changed).
 */
export function upsertedSchedule(
  old: ScheduleInfo | null,
  def: ScheduleDefinition,
  now: number,
): ScheduleInfo {
  const createdAt = old?.createdAt ?? now;
  const keep = old !== null && sameTiming(old, def);
  return {
    name: def.name,
    ...(def.cron !== undefined && { cron: def.cron }),
    ...(def.timezone !== undefined && { timezone: def.timezone }),
    ...(def.everyMs !== undefined && { everyMs: def.everyMs }),
    template: def.template,
    nextRunAt: keep ? old.nextRunAt : nextDueAfter(def, now, createdAt),
    lastRunAt: old?.lastRunAt ?? null,
    lastJobId: old?.lastJobId ?? null,
    runs: old?.runs ?? 0,
    createdAt,
  };
}

/** A schedule after the run of `dueAt` (`jobId`: the job it added, null when the add was refused). */
export function ranSchedule(
  info: ScheduleInfo,
  dueAt: number,
  nextRunAt: number,
  jobId: string | null,
): ScheduleInfo {
  return jobId === null
    ? { ...info, nextRunAt }
    : { ...info, nextRunAt, lastRunAt: dueAt, lastJobId: jobId, runs: info.runs + 1 };
}

export function tooManySchedules(): BrokerError {
  return new BrokerError("ERR", `too many schedules (at most ${MAX_SCHEDULES}): remove one first`);
}

/** One page of SCHEDULE LIST. */
export interface SchedulePage {
  /** "0" at the end, else where the next page starts */
  cursor: string;
  items: ScheduleInfo[];
}

/**
 * SCHEDULE LIST's cursor: opaque, the hex of the last name listed (so no
 * name, not even "0", can be mistaken for the start). "0": from the start.
 * Returns the name to list after ("" for the start).
 */
export function listAfter(cursor: string): string {
  if (cursor === "0" || cursor === "") return "";
  if (!/^(?:[0-9a-f]{2}){1,200}$/.test(cursor)) fail("invalid SCHEDULE LIST cursor");
  return Buffer.from(cursor, "hex").toString("latin1");
}

export function listCursor(lastName: string): string {
  return Buffer.from(lastName, "latin1").toString("hex");
}

export function checkListCount(count: number): void {
  inRange(count, "COUNT", 1, MAX_LISTING_COUNT, `COUNT must be 1 to ${MAX_LISTING_COUNT}`);
}

/**
 * A due time's add refused by its queue (paused, MAXLEN, a template the
 * queue rejects): the queue's answer for that due time, so it makes no job
 * and the schedule moves on. Any other failure (journal, memory, Redis
 * unreachable) leaves the schedule due, to be tried again.
 */
export function isRunRefusal(error: unknown): boolean {
  return (
    error instanceof BrokerError &&
    (error.code === "PAUSED" || error.code === "MAXLEN" || error.code === "ERR")
  );
}
