import { BrokerError } from "../broker.js";

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
  if (!Number.isInteger(ttl) || ttl <= 0) fail("TTL must be a number > 0");
  if (!Number.isInteger(retry) || retry < 0) fail("RETRY time must be a non negative number");
  if (!Number.isInteger(delay) || delay < 0) fail("DELAY time must be a non negative number");
  if (retry === 0 && repl > 1) {
    fail("With RETRY set to 0 please explicitly set  REPLICATE to 1 (at-most-once delivery)");
  }
  if (delay >= ttl)
    fail("The specified DELAY is greater than TTL. Job refused since would never be delivered");
}
