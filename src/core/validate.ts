import { BrokerError, type AddJobRequest } from "./contract.js";
import { MAX_COUNT, MAX_DELAY_MS, MAX_RETRY_SECONDS, MAX_TTL_SECONDS, inRange } from "./limits.js";
import { checkSchedulingOptions } from "./scheduling.js";

export const DEFAULT_TTL_SECONDS = 86_400;

/** Disque's default: a tenth of the TTL, clamped to 1..300 seconds. */
export function defaultRetrySeconds(ttlSeconds: number): number {
  return Math.max(1, Math.min(300, Math.floor(ttlSeconds / 10)));
}

function fail(message: string): never {
  throw new BrokerError("ERR", message);
}

/** The value checks of ADDJOB that every door shares, in Disque's order. */
export function validateAddJob(ttl: number, retry: number, delay: number, repl: number): void {
  if (!Number.isInteger(repl) || repl < 1 || repl > 65535) fail("REPLICATE must be between 1 and 65535");
  inRange(ttl, "TTL", 1, MAX_TTL_SECONDS, "TTL must be a number > 0");
  inRange(retry, "RETRY", 0, MAX_RETRY_SECONDS, "RETRY time must be a non negative number");
  // below TTL (checked last, as Disque does), so within its range too
  inRange(delay, "DELAY", 0, MAX_TTL_SECONDS, "DELAY time must be a non negative number");
  if (retry === 0 && repl > 1) {
    fail("With RETRY set to 0 please explicitly set  REPLICATE to 1 (at-most-once delivery)");
  }
  if (delay >= ttl)
    fail("The specified DELAY is greater than TTL. Job refused since would never be delivered");
}

/** An ADDJOB's settings once defaults are applied. */
export interface AddJobSettings {
  /** seconds */
  ttl: number;
  /** seconds */
  retry: number;
  /** seconds */
  delay: number;
  repl: number;
}

/**
 * ADDJOB's defaults and the checks that need no store state (the
 * scheduling options' too), shared by every store so that both refuse the
 * same requests with the same errors.
 */
export function addJobSettings(req: AddJobRequest, maxJobSize: number): AddJobSettings {
  const ttl = req.ttl ?? DEFAULT_TTL_SECONDS;
  const retry = req.retry ?? defaultRetrySeconds(ttl);
  const delay = req.delay ?? 0;
  const repl = req.replicate ?? 1;
  validateAddJob(ttl, retry, delay, repl);
  if (req.body.length > maxJobSize) {
    fail(`job body too big: ${req.body.length} bytes, the limit is ${maxJobSize}`);
  }
  if (req.retryBudget !== undefined) {
    inRange(req.retryBudget, "retries", 0, MAX_COUNT, "retries must be a non negative integer");
  }
  if (req.runTimeoutMs !== undefined) {
    inRange(req.runTimeoutMs, "RUNTIMEOUT", 1, MAX_DELAY_MS, "RUNTIMEOUT must be a positive number of ms");
  }
  if (req.maxlen !== undefined) {
    inRange(req.maxlen, "MAXLEN", 1, MAX_COUNT, "MAXLEN must be a positive number");
  }
  checkSchedulingOptions(req);
  return { ttl, retry, delay, repl };
}
