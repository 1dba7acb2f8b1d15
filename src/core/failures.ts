import {
  BrokerError,
  type Attempt,
  type BackoffPolicy,
  type FailureCause,
  type FailureDefaults,
  type NackOptions,
  type QueuePolicy,
} from "./contract.js";
import { MAX_ATTEMPTS_KEPT, MAX_COUNT, MAX_DELAY_MS, MAX_ERROR_BYTES, inRange } from "./limits.js";

/**
 * The rules of a failing job (docs/failures.md), shared by every store and
 * door: backoff policies (their text form, their delays), the attempts kept
 * on a job, the defaults. The Redis store's Lua mirrors backoffDelayMs in
 * scripts/includes/failure.lua; the conformance suite holds both to it.
 */

/** one hour: the cap of an exponential policy written without one, and the result TTL */
export const HOUR_MS = 3_600_000;

export const DEFAULT_BACKOFF: BackoffPolicy = {
  type: "exponential",
  delayMs: 1000,
  maxMs: HOUR_MS,
  jitter: true,
};

export const DEFAULT_FAILURES: FailureDefaults = {
  retryBudget: -1,
  backoff: DEFAULT_BACKOFF,
  deadLetterCap: 10_000,
  resultTtlMs: HOUR_MS,
};

/** why a job that ran out of retries was dead-lettered */
export const RETRIES_EXHAUSTED = "retries exhausted";

function fail(message: string): never {
  throw new BrokerError("ERR", message);
}

const BACKOFF_RULE =
  "backoff is fixed:<ms> or exponential:<ms>[:<max-ms>][:jitter] (e.g. exponential:1000:60000:jitter)";

function backoffMs(text: string | undefined): number {
  if (text === undefined || !/^(0|[1-9][0-9]{0,14})$/.test(text)) fail(BACKOFF_RULE);
  return inRange(Number(text), "backoff", 0, MAX_DELAY_MS, BACKOFF_RULE);
}

/** Reads a policy's text form (RESP, HTTP, CLI, CONFIG SET all use it); ERR with the rule otherwise. */
export function parseBackoff(text: string): BackoffPolicy {
  const parts = text.split(":");
  const type = parts[0]?.toLowerCase();
  if (type === "fixed" && parts.length === 2) {
    const delayMs = backoffMs(parts[1]);
    return { type: "fixed", delayMs, maxMs: delayMs, jitter: false };
  }
  if (type !== "exponential" || parts.length < 2 || parts.length > 4) fail(BACKOFF_RULE);
  const jitter = parts.length > 2 && parts[parts.length - 1]!.toLowerCase() === "jitter";
  const numbers = parts.slice(1, jitter ? -1 : undefined);
  if (numbers.length > 2) fail(BACKOFF_RULE);
  const delayMs = backoffMs(numbers[0]);
  const maxMs = numbers.length === 2 ? backoffMs(numbers[1]) : Math.max(HOUR_MS, delayMs);
  if (maxMs < delayMs) fail("backoff max-ms must be at least its ms");
  return { type: "exponential", delayMs, maxMs, jitter };
}

/** The text form parseBackoff reads back. */
export function formatBackoff(policy: BackoffPolicy): string {
  if (policy.type === "fixed") return `fixed:${policy.delayMs}`;
  return `exponential:${policy.delayMs}:${policy.maxMs}${policy.jitter ? ":jitter" : ""}`;
}

/**
 * The wait before the `failures`-th failure's job is queued again (1 = the
 * first failure). `draw` is uniform in [0, 1), used only with jitter (AWS's
 * full jitter: a uniform wait between 0 and the exponential delay).
 */
export function backoffDelayMs(policy: BackoffPolicy, failures: number, draw: number): number {
  if (policy.type === "fixed") return policy.delayMs;
  // 2^40 is already beyond every cap; bounding the exponent keeps the product finite.
  const exponent = Math.min(Math.max(failures, 1) - 1, 40);
  const delay = Math.min(policy.maxMs, policy.delayMs * 2 ** exponent);
  return policy.jitter ? Math.floor(draw * delay) : delay;
}

/** An error text as kept: at most MAX_ERROR_BYTES of UTF-8, cut at a character boundary. */
export function keptError(text: string | undefined): string {
  if (text === undefined) return "";
  if (text.length * 3 <= MAX_ERROR_BYTES) return text;
  const bytes = Buffer.from(text, "utf8");
  if (bytes.length <= MAX_ERROR_BYTES) return text;
  let end = MAX_ERROR_BYTES;
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--; // not inside a multi-byte character
  return bytes.subarray(0, end).toString("utf8");
}

/** The attempts kept after `attempt`: the last MAX_ATTEMPTS_KEPT, oldest first (a new array). */
export function withAttempt(attempts: readonly Attempt[] | undefined, attempt: Attempt): Attempt[] {
  // array literals are allocated at their exact size (a push would grow the backing store to 17)
  return attempts ? [...attempts.slice(-(MAX_ATTEMPTS_KEPT - 1)), attempt] : [attempt];
}

/** The attempt a NACK records. */
export function nackAttempt(at: number, options: NackOptions | undefined): Attempt {
  const cause: FailureCause = options?.timedOut ? "timeout" : "nack";
  return { at, cause, error: keptError(options?.error) };
}

/** The checks of NACK's options that need no store state. */
export function checkNackOptions(options: NackOptions | undefined): void {
  if (!options) return;
  if (options.delayMs !== undefined) {
    inRange(options.delayMs, "DELAY", 0, MAX_DELAY_MS, "DELAY must be a non negative number of ms");
  }
  if (options.retries !== undefined) {
    inRange(options.retries, "RETRIES", 0, MAX_COUNT, "RETRIES must be a non negative integer");
  }
}

/** The checks of a policy's numbers (the text form is checked by parseBackoff). */
export function checkQueuePolicy(policy: QueuePolicy): void {
  if (policy.retryBudget !== undefined) {
    inRange(policy.retryBudget, "RETRIES", 0, MAX_COUNT, "RETRIES must be a non negative integer");
  }
  if (policy.runTimeoutMs !== undefined) {
    inRange(policy.runTimeoutMs, "RUNTIMEOUT", 1, MAX_DELAY_MS, "RUNTIMEOUT must be a positive number of ms");
  }
  if (policy.deadLetterCap !== undefined) {
    inRange(
      policy.deadLetterCap,
      "DEADLETTER-CAP",
      0,
      MAX_COUNT,
      "DEADLETTER-CAP must be a non negative integer",
    );
  }
}

/**
 * The failure settings a new job gets: what its add says, else its queue's
 * policy, else (the budget only) the server default. A backoff policy left
 * unset is the server default's at failure time.
 */
export function jobFailureSettings(
  req: { retryBudget?: number; backoff?: BackoffPolicy; runTimeoutMs?: number },
  queue: QueuePolicy | undefined,
  defaults: FailureDefaults,
): { retryBudget: number; backoff: BackoffPolicy | undefined; runTimeoutMs: number | undefined } {
  return {
    retryBudget: req.retryBudget ?? queue?.retryBudget ?? defaults.retryBudget,
    backoff: req.backoff ?? queue?.backoff,
    runTimeoutMs: req.runTimeoutMs ?? queue?.runTimeoutMs,
  };
}

/**
 * What a failure does to a job's budget: "deadletter" when none is left,
 * else the budget left after spending one (-1 stays unlimited). `retries`
 * is NACK … RETRIES: the budget of a job that has none, less its earlier
 * failures.
 */
export function spendRetry(
  budget: number,
  left: number,
  earlierFailures: number,
  retries: number | undefined,
): { budget: number; left: number } | "deadletter" {
  if (budget < 0 && retries !== undefined) {
    budget = retries;
    left = Math.max(0, retries - earlierFailures);
  }
  if (budget < 0) return { budget: -1, left: -1 };
  if (left <= 0) return "deadletter";
  return { budget, left: left - 1 };
}

/**
 * Whether a failure is recorded as an attempt (and journaled as one): always
 * for a job with failure settings (a budget, a policy, a run time-out) or
 * earlier attempts, or when the NACK says anything docket adds. A bare NACK
 * or a lease that ran out on a plain Disque job keeps nothing, as Disque.
 */
export function recordsAttempt(
  job: { retryBudget: number; backoff: unknown; runTimeoutMs: unknown; attempts: unknown },
  options: NackOptions | undefined,
): boolean {
  if (job.retryBudget >= 0 || job.backoff !== undefined) return true;
  if (job.runTimeoutMs !== undefined || job.attempts !== undefined) return true;
  if (!options) return false;
  return (
    options.delayMs !== undefined ||
    options.backoff === true ||
    options.error !== undefined ||
    options.timedOut === true ||
    options.retries !== undefined
  );
}

/**
 * The wait before a failed job is queued again: NACK … DELAY, else with
 * NACK … BACKOFF the job's policy (the server default when it has none) for
 * its `failures`-th failure, else 0 (at once).
 */
export function failureWaitMs(
  options: NackOptions | undefined,
  policy: BackoffPolicy | undefined,
  defaults: FailureDefaults,
  failures: number,
  draw: () => number,
): number {
  if (options?.delayMs !== undefined) return options.delayMs;
  if (options?.backoff !== true) return 0;
  const used = policy ?? defaults.backoff;
  return backoffDelayMs(used, failures, used.jitter ? draw() : 0);
}
