import { BrokerError, type AddJobRequest } from "./contract.js";
import { MAX_COUNT, MAX_DELAY_MS, inRange, parseInteger } from "./limits.js";

/**
 * The rules of docket's scheduling options (docs/scheduling.md), shared by
 * every store and door: priorities, idempotency keys, groups (fair sharing)
 * and rate limits. Schedules (recurring jobs) are in core/schedules.ts.
 *
 * Delivery order inside one queue: by priority (0 first), then by round,
 * then by rank (the Disque order: creation, or the front for okq QRPUSH;
 * a put-back keeps its rank). A job's round is 0 unless it has a group: the
 * n-th job of a group queued behind others of the same group gets a later
 * round, so one ready job of every group is served before a second of any
 * (round-robin), and a group that floods cannot delay a group that has one.
 */

/** 0 is the most urgent; beanstalkd's 32-bit range */
export const MAX_PRIORITY = 4_294_967_295;
/** the priority of a job added without one: in the middle, as beanstalkd's clients default to 1024 */
export const DEFAULT_PRIORITY = 1024;

/** idempotency keys: 1..256 bytes of UTF-8 */
export const MAX_KEY_BYTES = 256;
/** a key is remembered this long after its add unless KEYTTL says otherwise (24 h) */
export const DEFAULT_KEY_TTL_SECONDS = 86_400;
/** the longest KEYTTL: 30 days */
export const MAX_KEY_TTL_SECONDS = 30 * 86_400;

/** a group (tenant) key: 1..128 printable ASCII characters; it is a label of the store, not of metrics */
export const MAX_GROUP_BYTES = 128;
const GROUP_TEXT = /^[\x21-\x7e]{1,128}$/;

/** a rate limit: `count` jobs delivered per `periodMs` */
export interface RateLimit {
  count: number;
  periodMs: number;
}
/** the longest rate-limit period: one day */
export const MAX_RATE_PERIOD_MS = 86_400_000;

function fail(message: string): never {
  throw new BrokerError("ERR", message);
}

export function checkPriority(priority: number): number {
  return inRange(
    priority,
    "PRIORITY",
    0,
    MAX_PRIORITY,
    `PRIORITY must be an integer between 0 and ${MAX_PRIORITY}`,
  );
}

export function checkIdempotencyKey(key: string): string {
  if (key.length === 0 || key.length > MAX_KEY_BYTES || Buffer.byteLength(key, "utf8") > MAX_KEY_BYTES) {
    fail(`KEY must be 1 to ${MAX_KEY_BYTES} bytes`);
  }
  return key;
}

export function checkKeyTtl(seconds: number): number {
  return inRange(seconds, "KEYTTL", 1, MAX_KEY_TTL_SECONDS, "KEYTTL must be a positive number of seconds");
}

export function checkGroup(group: string): string {
  if (!GROUP_TEXT.test(group)) fail(`GROUP must be 1 to ${MAX_GROUP_BYTES} printable ASCII characters`);
  return group;
}

export function checkGroupLimit(limit: number): number {
  return inRange(limit, "GROUPLIMIT", 1, MAX_COUNT, "GROUPLIMIT must be a positive integer");
}

/** The scheduling options of an add, checked where every store checks the rest of an ADDJOB. */
export function checkSchedulingOptions(req: AddJobRequest): void {
  if (req.priority !== undefined) checkPriority(req.priority);
  if (req.key !== undefined) checkIdempotencyKey(req.key);
  if (req.keyTtl !== undefined) {
    if (req.key === undefined) fail("KEYTTL needs KEY");
    checkKeyTtl(req.keyTtl);
  }
  if (req.group !== undefined) checkGroup(req.group);
}

const RATE_RULE =
  "a rate limit is <count>/<period>, the period in ms, s, m or h (e.g. 100/1s, 5/500ms, 1000/1m)";
const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Reads a rate limit's text form (RESP, HTTP, CLI): `100/1s`, `5/500ms`; a bare period means 1 of it. */
export function parseRateLimit(text: string): RateLimit {
  const match = /^([0-9]{1,10})\/([0-9]{0,10})(ms|s|m|h)$/.exec(text.trim().toLowerCase());
  if (match === null) fail(RATE_RULE);
  const count = parseInteger(match[1]!) ?? 0;
  const amount = match[2] === "" ? 1 : (parseInteger(match[2]!) ?? 0);
  const periodMs = amount * UNIT_MS[match[3]!]!;
  inRange(count, "rate count", 1, MAX_COUNT, RATE_RULE);
  inRange(periodMs, "rate period", 1, MAX_RATE_PERIOD_MS, RATE_RULE, `the rate period is at most 24h`);
  return { count, periodMs };
}

export function checkRateLimit(limit: RateLimit): RateLimit {
  inRange(limit.count, "rate count", 1, MAX_COUNT, RATE_RULE);
  inRange(limit.periodMs, "rate period", 1, MAX_RATE_PERIOD_MS, RATE_RULE, `the rate period is at most 24h`);
  return limit;
}

/** The text form parseRateLimit reads back: the largest whole unit. */
export function formatRateLimit(limit: RateLimit): string {
  const { periodMs } = limit;
  for (const unit of ["h", "m", "s"]) {
    const ms = UNIT_MS[unit]!;
    if (periodMs % ms === 0) return `${limit.count}/${periodMs / ms}${unit}`;
  }
  return `${limit.count}/${periodMs}ms`;
}

/**
 * Rate limits are GCRA (the generic cell rate algorithm, as redis-cell and
 * Stripe use): a queue keeps one number, its theoretical arrival time
 * `tat`; each delivery moves it on by `periodMs / count`, and a delivery is
 * allowed while `tat` is at most one period ahead of now, so up to `count`
 * jobs may go at once after a quiet period (the burst), then one per
 * interval. Both stores use these two functions (the Lua mirrors them in
 * scripts/includes/rate.lua), so they agree to the millisecond.
 */
export function rateIntervalMs(limit: RateLimit): number {
  return limit.periodMs / limit.count;
}

/** The earliest time a delivery is allowed: now or later. */
export function rateSlotAt(tat: number, now: number, limit: RateLimit): number {
  const allowedAt = tat - limit.periodMs + rateIntervalMs(limit);
  return allowedAt > now ? Math.ceil(allowedAt) : now;
}

/** The queue's `tat` after one delivery at `now` (which rateSlotAt allowed). */
export function rateTatAfter(tat: number, now: number, limit: RateLimit): number {
  return Math.max(tat, now) + rateIntervalMs(limit);
}

/** ms a delivery waits for a slot: 0 when one is free now */
export function rateWaitMs(tat: number, now: number, limit: RateLimit): number {
  return rateSlotAt(tat, now, limit) - now;
}

/** longest wait a rate limit can impose, for range checks of derived times */
export const MAX_RATE_WAIT_MS = Math.min(MAX_RATE_PERIOD_MS, MAX_DELAY_MS);
