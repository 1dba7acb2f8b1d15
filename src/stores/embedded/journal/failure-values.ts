import type { Attempt, FailureCause, QueuePolicy, RateLimit } from "../../../core/contract.js";
import { formatRateLimit, parseRateLimit } from "../../../core/scheduling.js";
import { formatBackoff, parseBackoff } from "../../../core/failures.js";
import { RecordFormatError } from "./format.js";

/**
 * The journal's encodings of the failure values (docs/persistence.md):
 * attempts and queue policies as compact JSON, a backoff policy as its text
 * form. Small and bounded: at most MAX_ATTEMPTS_KEPT attempts of at most
 * MAX_ERROR_BYTES of error each. A value that does not read back is a
 * format error (the record is refused, as any corrupt one).
 */

const CAUSES: readonly FailureCause[] = ["nack", "lease", "timeout"];

export function attemptJson(attempt: Attempt): unknown[] {
  return [attempt.at, attempt.cause, attempt.error];
}

export function encodeAttempts(attempts: readonly Attempt[]): string {
  return JSON.stringify(attempts.map(attemptJson));
}

export function encodeAttempt(attempt: Attempt): string {
  return JSON.stringify(attemptJson(attempt));
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new RecordFormatError(`unreadable ${what}`);
  }
}

function attemptOf(value: unknown): Attempt {
  if (!Array.isArray(value) || value.length !== 3) throw new RecordFormatError("bad attempt");
  const [at, cause, error] = value as unknown[];
  if (typeof at !== "number" || typeof error !== "string" || !CAUSES.includes(cause as FailureCause)) {
    throw new RecordFormatError("bad attempt");
  }
  return { at, cause: cause as FailureCause, error };
}

export function decodeAttempts(text: string): Attempt[] {
  const value = parseJson(text, "attempts");
  if (!Array.isArray(value)) throw new RecordFormatError("bad attempts");
  return value.map(attemptOf);
}

export function decodeAttempt(text: string): Attempt {
  return attemptOf(parseJson(text, "attempt"));
}

export function encodePolicy(policy: QueuePolicy): string {
  const { backoff, rateLimit, ...rest } = policy;
  const out: Record<string, unknown> = { ...rest };
  if (backoff) out.backoff = formatBackoff(backoff);
  // as its text form, as the backoff (core/scheduling.ts reads it back)
  if (rateLimit) out.rateLimit = formatRateLimit(rateLimit);
  return JSON.stringify(out);
}

export function decodePolicy(text: string): QueuePolicy {
  const value = parseJson(text, "queue policy");
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new RecordFormatError("bad queue policy");
  }
  const raw = value as Record<string, unknown>;
  const policy: QueuePolicy = {};
  for (const key of ["retryBudget", "runTimeoutMs", "deadLetterCap", "groupLimit"] as const) {
    const n = raw[key];
    if (n === undefined) continue;
    if (typeof n !== "number") throw new RecordFormatError(`bad queue policy ${key}`);
    policy[key] = n;
  }
  if (raw.backoff !== undefined) policy.backoff = decodeBackoff(raw.backoff);
  if (raw.rateLimit !== undefined) policy.rateLimit = decodeRateLimit(raw.rateLimit);
  return policy;
}

function decodeRateLimit(text: unknown): RateLimit {
  if (typeof text !== "string") throw new RecordFormatError("bad rate limit");
  try {
    return parseRateLimit(text);
  } catch {
    throw new RecordFormatError(`bad rate limit ${JSON.stringify(text)}`);
  }
}

export function decodeBackoff(text: unknown): QueuePolicy["backoff"] & object {
  if (typeof text !== "string") throw new RecordFormatError("bad backoff policy");
  try {
    return parseBackoff(text);
  } catch {
    throw new RecordFormatError(`bad backoff policy ${JSON.stringify(text)}`);
  }
}
