import type {
  Attempt,
  Broker,
  DeadLetterInfo,
  Delivery,
  JobInfo,
  JobResult,
  QueuePolicy,
  QueueStats,
} from "../../core/contract.js";
import { formatBackoff } from "../../core/failures.js";
import { DEFAULT_PRIORITY, formatRateLimit } from "../../core/scheduling.js";
import { encodeBody, type BodyEncoding } from "./context.js";
import { HttpError } from "./errors.js";

/**
 * How the native /v1 API renders broker results as JSON: one shaper per
 * kind of thing, so every route that returns a job shows it the same way.
 */

export function deliveryJson(d: Delivery, encoding?: BodyEncoding) {
  return {
    queue: d.queue,
    id: d.id,
    seq: d.seq,
    ...encodeBody(d.body, encoding),
    nacks: d.nacks,
    additionalDeliveries: d.additionalDeliveries,
    retriesLeft: d.retryBudgetLeft ?? -1,
    runTimeout: d.runTimeoutMs ?? null,
    priority: d.priority ?? DEFAULT_PRIORITY,
    group: d.group ?? null,
  };
}

function attemptsJson(attempts: readonly Attempt[] | undefined) {
  return (attempts ?? []).map((a) => ({ at: a.at, cause: a.cause, error: a.error }));
}

export function jobJson(j: JobInfo, encoding?: BodyEncoding) {
  return {
    id: j.id,
    seq: j.seq,
    queue: j.queue,
    state: j.state,
    repl: j.repl,
    ttl: j.ttl,
    createdAt: j.createdAt,
    expiresAt: j.expiresAt,
    delay: j.delay,
    retry: j.retry,
    nacks: j.nacks,
    additionalDeliveries: j.additionalDeliveries,
    requeueAt: j.requeueAt,
    awakeAt: j.awakeAt,
    // failure handling (docs/failures.md): -1 = unlimited, null = none
    retries: j.retryBudget ?? -1,
    retriesLeft: j.retryBudgetLeft ?? -1,
    backoff: j.backoff === undefined ? null : formatBackoff(j.backoff),
    runTimeout: j.runTimeoutMs ?? null,
    backoffUntil: j.backoffUntil ?? null,
    attempts: attemptsJson(j.attempts),
    // the door that added it: "resp", "http" or "taskq"; null = unknown (added before this was kept)
    origin: j.origin ?? null,
    // scheduling (docs/scheduling.md): null = none
    priority: j.priority ?? DEFAULT_PRIORITY,
    group: j.group ?? null,
    key: j.key ?? null,
    keyExpiresAt: j.keyExpiresAt ?? null,
    schedule: j.schedule ?? null,
    ...encodeBody(j.body, encoding),
  };
}

export function deadLetterJson(d: DeadLetterInfo, encoding?: BodyEncoding) {
  return {
    id: d.id,
    seq: d.seq,
    queue: d.queue,
    ...encodeBody(d.body, encoding),
    ...(d.clientKey === undefined ? {} : { eventId: d.clientKey }),
    reason: d.reason,
    at: d.at,
    retries: d.retryBudget,
    attempts: attemptsJson(d.attempts),
  };
}

export function resultJson(r: JobResult, encoding?: BodyEncoding) {
  const { body, encoding: used } = encodeBody(r.body, encoding);
  return {
    id: r.id,
    queue: r.queue,
    result: body,
    encoding: used,
    completedAt: r.completedAt,
    expiresAt: r.expiresAt,
  };
}

/** every setting of a queue's policy; null: the server's default */
export function policyJson(p: QueuePolicy) {
  return {
    retries: p.retryBudget ?? null,
    backoff: p.backoff === undefined ? null : formatBackoff(p.backoff),
    runTimeout: p.runTimeoutMs ?? null,
    deadLetterCap: p.deadLetterCap ?? null,
    rateLimit: p.rateLimit === undefined ? null : formatRateLimit(p.rateLimit),
    groupLimit: p.groupLimit ?? null,
  };
}

/** QSTAT's numbers; the rate limit in its text form (null: none) */
export function statsJson(s: QueueStats) {
  return { ...s, rateLimit: s.rateLimit === undefined ? null : formatRateLimit(s.rateLimit) };
}

export function noJob(id: string): HttpError {
  return new HttpError("NOJOB", `Job not known in the context of this node: ${id}`);
}

/** The job, or a 404 NOJOB. */
export async function existingJob(ctx: { broker: Broker }, id: string): Promise<JobInfo> {
  const info = await ctx.broker.show(id);
  if (!info) throw noJob(id);
  return info;
}
