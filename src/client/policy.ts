import {
  type Call,
  backoffText,
  num,
  pairs,
  parseBackoffText,
  parseRateLimitText,
  rateLimitText,
  text,
} from "./codec.js";
import type { QueuePolicy, QueuePolicyChange } from "./types.js";

/**
 * A queue's policy (QPOLICY): what its new jobs get when their add does not
 * say (retries, backoff, run time-out), its dead-letter cap, and how it
 * delivers (rate limit, group limit). Client delegates to these.
 */

/** QPOLICY's key/value reply; keys may come as run-timeout or runtimeout, nil, "default" or absent when unset. */
function policyOf(reply: unknown): QueuePolicy {
  const policy: QueuePolicy = {};
  if (!Array.isArray(reply)) return policy;
  const f = new Map([...pairs(reply)].map(([key, value]) => [key.replace(/[-_]/g, ""), value]));
  const setting = (key: string): unknown => {
    const value = f.get(key);
    const t = text(value);
    return t === undefined || t === "" || t.toLowerCase() === "default" ? undefined : value;
  };
  const retries = num(setting("retries"));
  if (retries !== undefined && retries >= 0) policy.retries = retries;
  const backoff = text(setting("backoff"));
  const parsed = backoff === undefined ? undefined : parseBackoffText(backoff);
  if (parsed) policy.backoff = parsed;
  const runTimeout = num(setting("runtimeout"));
  if (runTimeout !== undefined && runTimeout > 0) policy.runTimeout = runTimeout;
  const cap = num(setting("deadlettercap"));
  if (cap !== undefined && cap >= 0) policy.deadLetterCap = cap;
  const rate = text(setting("rate"));
  const rateLimit = rate === undefined ? undefined : parseRateLimitText(rate);
  if (rateLimit) policy.rateLimit = rateLimit;
  const groupLimit = num(setting("grouplimit"));
  if (groupLimit !== undefined && groupLimit > 0) policy.groupLimit = groupLimit;
  return policy;
}

/** QPOLICY queue [changes…]: the policy after the changes. */
export async function queuePolicy(
  call: Call,
  queue: string,
  change: QueuePolicyChange = {},
): Promise<QueuePolicy> {
  const args: Array<string | number> = ["QPOLICY", queue];
  const put = <V>(keyword: string, value: V | null | undefined, wire: (v: V) => string | number) => {
    if (value !== undefined) args.push(keyword, value === null ? "DEFAULT" : wire(value));
  };
  const same = (v: number) => v;
  put("RETRIES", change.retries, same);
  put("BACKOFF", change.backoff, backoffText);
  put("RUNTIMEOUT", change.runTimeout, same);
  put("DEADLETTER-CAP", change.deadLetterCap, same);
  put("RATE", change.rateLimit, rateLimitText);
  put("GROUPLIMIT", change.groupLimit, same);
  return policyOf(await call(false, args));
}
