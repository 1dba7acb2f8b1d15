import type { DeadLetterInfo, Delivery, JobInfo, QueueStats } from "../../core/contract.js";
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
  };
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
  };
}

export function statsJson(s: QueueStats) {
  return { ...s };
}

export function noJob(id: string): HttpError {
  return new HttpError("NOJOB", `Job not known in the context of this node: ${id}`);
}
