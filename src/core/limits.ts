import { BrokerError } from "./contract.js";

/**
 * The limits of every value a client sends, in one place: each door parses
 * its arguments with these, and the store-independent checks
 * (validate.ts) apply them again, so no value reaches the journal that
 * its record fields cannot hold (u32 seconds, f64 absolute ms times).
 * docs/disque.md ("Limits") lists them.
 */

/** 2^31-1: the largest count, TTL, RETRY, MAXLEN, lease or retries budget (Disque's C int) */
export const MAX_INT32 = 2_147_483_647;

/** seconds; 68 years: createdAt + ttl*1000 stays a safe integer, and the TTL a u32 record field */
export const MAX_TTL_SECONDS = MAX_INT32;
/** seconds */
export const MAX_RETRY_SECONDS = MAX_INT32;
/** jobs per request, MAXLEN, retries budgets, lease seconds */
export const MAX_COUNT = MAX_INT32;
/** ms: a time-out may be as long as the longest TTL */
export const MAX_TIMEOUT_MS = MAX_TTL_SECONDS * 1000;

/** a queue name is 1 to this many bytes of UTF-8, without NUL */
export const MAX_QUEUE_NAME_BYTES = 1024;
export const QUEUE_NAME_RULE = `a queue name is 1 to ${MAX_QUEUE_NAME_BYTES} bytes, without NUL`;

/** nesting of JSON request bodies (arrays and objects) on the HTTP door */
export const MAX_JSON_DEPTH = 64;

const INTEGER_TEXT = /^-?(0|[1-9][0-9]*)$/;
/** longer integer text is not read at all: "not an integer" (it is far out of every range anyway) */
export const MAX_INTEGER_TEXT = 400;

/**
 * Reads integer text as strictly as Redis's string2ll: an optional "-",
 * digits, no leading zero; no "+", "1e3", "0x10", "NaN" or blanks. The
 * value may be beyond the safe integers (a 40-digit number is a number, only
 * out of range); undefined when the text is no integer.
 */
export function integerText(text: string): number | undefined {
  if (text.length === 0 || text.length > MAX_INTEGER_TEXT || !INTEGER_TEXT.test(text)) return undefined;
  return Number(text);
}

/** integerText limited to the safe integers */
export function parseInteger(text: string): number | undefined {
  const value = integerText(text);
  return value !== undefined && Number.isSafeInteger(value) ? value : undefined;
}

function fail(message: string): never {
  throw new BrokerError("ERR", message);
}

export function badQueueName(): BrokerError {
  return new BrokerError("ERR", `invalid queue name: ${QUEUE_NAME_RULE}`);
}

/**
 * Refuses an empty, overlong or NUL-bearing queue name, with the rule in the
 * error. The doors apply it to what clients send; the stores themselves take
 * any name (the journal can hold any), so the rule is a door's policy.
 */
export function checkQueueName(name: string): void {
  // A UTF-16 unit is at most 3 bytes of UTF-8: names under a third of the limit need no counting.
  const tooLong =
    name.length > MAX_QUEUE_NAME_BYTES ||
    (name.length * 3 > MAX_QUEUE_NAME_BYTES && Buffer.byteLength(name, "utf8") > MAX_QUEUE_NAME_BYTES);
  if (name.length === 0 || tooLong || name.includes("\0")) throw badQueueName();
}

/**
 * `value` unless it is not an integer in min..max. `tooLow` is the error
 * below the range (Disque's own wording where it has one); above it the
 * error names the argument and its limit, unless `tooHigh` is given.
 */
export function inRange(
  value: number,
  name: string,
  min: number,
  max: number,
  tooLow: string,
  tooHigh?: string,
): number {
  // the default message is made only when it is needed: ADDJOB checks several numbers on every call
  if (value > max) fail(tooHigh ?? `${name} must be at most ${max}`);
  if (!Number.isInteger(value) || value < min) fail(tooLow);
  return value;
}

/** failed attempts kept on a job (SHOW, dead letters): the last ones */
export const MAX_ATTEMPTS_KEPT = 10;
/** bytes of an attempt's error text kept (NACK … ERROR); longer text is cut, not refused */
export const MAX_ERROR_BYTES = 1024;
/** ms of a NACK … DELAY, a backoff delay or cap, a run time-out */
export const MAX_DELAY_MS = MAX_TIMEOUT_MS;
/** queues that may have a failure policy of their own (QPOLICY): a bounded table */
export const MAX_QUEUE_POLICIES = 100_000;

/** the default of --redis-timeout: about what Redis clients use as their command timeout */
export const DEFAULT_REDIS_TIMEOUT_MS = 1000;
/** a bound above a minute would no longer be "fail fast" */
export const MAX_REDIS_TIMEOUT_MS = 60_000;
