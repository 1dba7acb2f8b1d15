import { decode, num, pairs, parseAttempts, parseBackoffText, parseRateLimitText, text } from "./codec.js";
import type { Decode, Job, JobDetails, QueueStats } from "./types.js";

/** The server's replies read into the client's shapes (GETJOB, SHOW, QSTAT). */

/** the priority of a job added without one (core/scheduling.ts DEFAULT_PRIORITY; the server omits it) */
export const DEFAULT_PRIORITY = 1024;

/** The scheduling fields GETJOB … WITHDETAILS and SHOW send only when the job has them. */
function schedulingFields(job: Job<unknown>, f: Map<string, unknown>): void {
  const priority = num(f.get("priority"));
  if (priority !== undefined) job.priority = priority;
  const group = text(f.get("group"));
  if (group !== undefined) job.group = group;
}

/** One GETJOB … WITHDETAILS entry: `[queue, id, body, "nacks", n, "additional-deliveries", n, "retries-left", n, "run-timeout", ms]`. */
export function deliveredJob<T>(entry: unknown[], how: Decode): Job<T> {
  const body = entry[2] as Buffer;
  const f = pairs(entry, 3);
  const job: Job<T> = {
    queue: text(entry[0])!,
    id: text(entry[1])!,
    data: decode(body, how) as T,
    body,
    nacks: num(f.get("nacks")) ?? 0,
    additionalDeliveries: num(f.get("additional-deliveries")) ?? 0,
  };
  const left = num(f.get("retries-left"));
  if (left !== undefined) job.retriesLeft = left;
  const runTimeout = num(f.get("run-timeout"));
  if (runTimeout !== undefined) job.runTimeout = runTimeout;
  schedulingFields(job, f);
  return job;
}

/** A QPEEK entry: `[queue, id, body]`. */
export function peekedJob<T>(entry: unknown[], how: Decode): Job<T> {
  const body = entry[2] as Buffer;
  return { queue: text(entry[0])!, id: text(entry[1])!, data: decode(body, how) as T, body };
}

/** SHOW's key/value reply; the failure fields only when the job has them. */
export function jobDetails<T>(reply: unknown[], how: Decode): JobDetails<T> {
  const fields = pairs(reply);
  const n = (name: string) => num(fields.get(name)) ?? 0;
  const body = fields.get("body") as Buffer;
  const requeue = num(fields.get("next-requeue-within"));
  const details: JobDetails<T> = {
    id: text(fields.get("id"))!,
    queue: text(fields.get("queue"))!,
    data: decode(body, how) as T,
    body,
    state: text(fields.get("state")) as JobDetails["state"],
    replicate: n("repl"),
    ttl: n("ttl") * 1000,
    createdAt: Math.floor(n("ctime") / 1e6),
    delay: n("delay") * 1000,
    retryAfter: n("retry") * 1000,
    nacks: n("nacks"),
    additionalDeliveries: n("additional-deliveries"),
    nextRequeueIn: requeue ?? null,
    priority: DEFAULT_PRIORITY,
  };
  schedulingFields(details, fields);
  const retries = num(fields.get("retries"));
  if (retries !== undefined) details.retries = retries;
  const left = num(fields.get("retries-left"));
  if (left !== undefined) details.retriesLeft = left;
  const backoff = text(fields.get("backoff"));
  const policy = backoff === undefined ? undefined : parseBackoffText(backoff);
  if (policy) details.backoff = policy;
  const runTimeout = num(fields.get("run-timeout"));
  if (runTimeout !== undefined) details.runTimeout = runTimeout;
  const until = num(fields.get("backoff-until"));
  if (until !== undefined) details.backoffUntil = until;
  if (fields.has("attempts")) details.attempts = parseAttempts(fields.get("attempts"));
  const key = text(fields.get("key"));
  if (key !== undefined) details.key = key;
  const keyExpiresAt = num(fields.get("key-expires-at"));
  if (keyExpiresAt !== undefined) details.keyExpiresAt = keyExpiresAt;
  const schedule = text(fields.get("schedule"));
  if (schedule !== undefined) details.schedule = schedule;
  return details;
}

/**
 * QSTAT's key/value reply; `backoff` and `dead-letters` are only sent when
 * non-zero, `rate-limit` and `rate-limited-until` are nil when there is none.
 */
export function queueStats(reply: unknown[]): QueueStats {
  const f = pairs(reply);
  const n = (name: string) => num(f.get(name)) ?? 0;
  return {
    name: text(f.get("name"))!,
    len: n("len"),
    age: n("age"),
    idle: n("idle"),
    blocked: n("blocked"),
    jobsIn: n("jobs-in"),
    jobsOut: n("jobs-out"),
    pause: text(f.get("pause")) ?? "none",
    backoff: n("backoff"),
    deadLetters: n("dead-letters"),
    rateLimit: parseRateLimitText(text(f.get("rate-limit")) ?? "") ?? null,
    rateLimitedUntil: num(f.get("rate-limited-until")) ?? null,
    groups: n("groups"),
    heldBack: n("held-back"),
  };
}
