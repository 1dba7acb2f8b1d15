import type { AddJobRequest, QueuePolicy, RateLimit } from "../../core/contract.js";
import { DEFAULT_KEY_TTL_SECONDS, checkGroupLimit, checkRateLimit } from "../../core/scheduling.js";
import { num, str, type Reply } from "./script.js";

/**
 * The Redis store's wire forms of docket's scheduling options (docs/scheduling.md):
 * what add-12.lua reads after the origin, and how a rate limit sits in the policy
 * hash and the meta (`count periodMs`, scripts/includes/rate.lua).
 */

/** add-12.lua's ARGV 23..27: priority, group, idempotency key, its TTL in seconds, the schedule ('' = none) */
export function schedulingArgs(req: AddJobRequest): Array<string | number> {
  if (
    req.priority === undefined &&
    req.group === undefined &&
    req.key === undefined &&
    req.schedule === undefined
  )
    return [];
  return [
    req.priority ?? "",
    req.group ?? "",
    req.key ?? "",
    req.keyTtl ?? DEFAULT_KEY_TTL_SECONDS,
    req.schedule ?? "",
  ];
}

/** a rate limit as the scripts keep it */
export function rateText(limit: RateLimit | undefined): string {
  return limit === undefined ? "" : `${limit.count} ${limit.periodMs}`;
}

/** a `count periodMs` reply, or undefined for nil */
export function decodeRate(reply: Reply | undefined): RateLimit | undefined {
  if (!Buffer.isBuffer(reply)) return undefined;
  const [count, periodMs] = str(reply).split(" ").map(Number);
  return { count: count!, periodMs: periodMs! };
}

/** policy-12.lua's ARGV 9..10 */
export function policyLimitArgs(policy: QueuePolicy): Array<string | number> {
  if (policy.rateLimit !== undefined) checkRateLimit(policy.rateLimit);
  if (policy.groupLimit !== undefined) checkGroupLimit(policy.groupLimit);
  return [rateText(policy.rateLimit), policy.groupLimit ?? ""];
}

/** policy-12.lua's reply 5..6 into the policy */
export function decodePolicyLimits(
  policy: QueuePolicy,
  rate: Reply | undefined,
  limit: Reply | undefined,
): void {
  const rateLimit = decodeRate(rate);
  if (rateLimit !== undefined) policy.rateLimit = rateLimit;
  if (Buffer.isBuffer(limit)) policy.groupLimit = num(limit);
}
