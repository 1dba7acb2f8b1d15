import { isUtf8 } from "node:buffer";
import type { JobInfo, QueuePolicy, QueueStats, RateLimit } from "../../core/contract.js";
import { MAX_INTEGER_TEXT, integerText } from "../../core/limits.js";
import {
  DEFAULT_PRIORITY,
  MAX_GROUP_BYTES,
  MAX_KEY_BYTES,
  checkGroup,
  checkGroupLimit,
  checkIdempotencyKey,
  checkKeyTtl,
  checkPriority,
  formatRateLimit,
  parseRateLimit,
} from "../../core/scheduling.js";
import { SYNTAX_ERROR, errorOf } from "./args.js";
import type { Reply } from "./transport/reply.js";

/**
 * The arguments and reply fields of docket's scheduling options
 * (docs/scheduling.md): ADDJOB … PRIORITY/KEY/KEYTTL/GROUP, QPOLICY …
 * RATE/GROUPLIMIT. Each value is checked by core/scheduling.ts, the rules
 * every door and store share, so RESP's errors are HTTP's and the CLI's.
 */

const GROUP_RULE = `GROUP must be 1 to ${MAX_GROUP_BYTES} printable ASCII characters`;
const KEY_RULE = `KEY must be 1 to ${MAX_KEY_BYTES} bytes of UTF-8`;
/** no rate limit's text is longer: refused before decoding a large argument */
const MAX_RATE_TEXT = 32;

/** An integer argument, then the core rule's check (whose message names the option). */
function integerArg(arg: Buffer | undefined, notInteger: string, check: (n: number) => number): number {
  if (arg === undefined) throw errorOf(SYNTAX_ERROR);
  const value = integerText(arg.toString("latin1", 0, MAX_INTEGER_TEXT + 1));
  if (value === undefined) throw errorOf(notInteger);
  return check(value);
}

export function priorityArg(arg: Buffer | undefined): number {
  return integerArg(arg, `PRIORITY must be an integer between 0 and 4294967295`, checkPriority);
}

export function keyTtlArg(arg: Buffer | undefined): number {
  return integerArg(arg, "KEYTTL must be a positive number of seconds", checkKeyTtl);
}

export function groupLimitArg(arg: Buffer | undefined): number {
  return integerArg(arg, "GROUPLIMIT must be a positive integer", checkGroupLimit);
}

/** An idempotency key: its bytes as UTF-8 (two different byte strings never become one key). */
export function keyArg(arg: Buffer | undefined): string {
  if (arg === undefined) throw errorOf(SYNTAX_ERROR);
  if (arg.length === 0 || arg.length > MAX_KEY_BYTES || !isUtf8(arg)) throw errorOf(KEY_RULE);
  return checkIdempotencyKey(arg.toString("utf8"));
}

export function groupArg(arg: Buffer | undefined): string {
  if (arg === undefined) throw errorOf(SYNTAX_ERROR);
  if (arg.length > MAX_GROUP_BYTES) throw errorOf(GROUP_RULE);
  return checkGroup(arg.toString("latin1"));
}

/** `100/1s`, `5/500ms` (core/scheduling.ts parseRateLimit states the rule when it fails). */
export function rateArg(arg: Buffer | undefined): RateLimit {
  if (arg === undefined) throw errorOf(SYNTAX_ERROR);
  return parseRateLimit(arg.length > MAX_RATE_TEXT ? "-" : arg.toString("latin1"));
}

/**
 * SHOW's (and JSCAN … REPLY all's) scheduling fields: only those with a
 * value other than the default, so a plain Disque job's SHOW stays Disque's.
 */
export function schedulingFields(
  job: Pick<JobInfo, "priority" | "group" | "key" | "keyExpiresAt" | "schedule">,
): Reply[] {
  const out: Reply[] = [];
  if (job.priority !== undefined && job.priority !== DEFAULT_PRIORITY) out.push("priority", job.priority);
  if (job.group !== undefined) out.push("group", job.group);
  if (job.key !== undefined) out.push("key", job.key);
  if (job.keyExpiresAt !== undefined) out.push("key-expires-at", job.keyExpiresAt);
  if (job.schedule !== undefined) out.push("schedule", job.schedule);
  return out;
}

/** Whether QSTAT shows its scheduling pairs: a queue that uses none answers as Disque's. */
export function usesScheduling(stats: QueueStats): boolean {
  return stats.rateLimit !== undefined || stats.groups > 0 || stats.heldBack > 0;
}

/** QSTAT's scheduling pairs, after the failure pairs. */
export function schedulingStats(stats: QueueStats): Reply[] {
  return [
    "rate-limit",
    stats.rateLimit === undefined ? null : formatRateLimit(stats.rateLimit),
    "rate-limited-until",
    stats.rateLimitedUntil,
    "groups",
    stats.groups,
    "held-back",
    stats.heldBack,
  ];
}

/** QPOLICY's scheduling pairs, written as the options that set them. */
export function schedulingPolicy(policy: QueuePolicy): Reply[] {
  const out: Reply[] = [];
  if (policy.rateLimit !== undefined) out.push("rate", formatRateLimit(policy.rateLimit));
  if (policy.groupLimit !== undefined) out.push("grouplimit", policy.groupLimit);
  return out;
}
