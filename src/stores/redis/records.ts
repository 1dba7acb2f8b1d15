import type { DeadLetterInfo, Delivery, JobInfo } from "../../core/contract.js";
import { buf, list, num, str, type Reply } from "./script.js";

/** Script replies → broker records. Layouts: see `info`, `delivery` in lua.ts. */

export function jobInfo(queue: string, reply: Reply, now: number): JobInfo {
  const r = list(reply);
  const ttl = num(r[4]);
  const createdAt = num(r[5]);
  const requeueAt = num(r[10]);
  const info: JobInfo = {
    id: str(r[0]),
    seq: num(r[1]),
    queue,
    state: jobState(str(r[2])),
    repl: num(r[3]),
    ttl,
    createdAt,
    expiresAt: createdAt + ttl * 1000,
    delay: num(r[6]),
    retry: num(r[7]),
    nacks: num(r[8]),
    additionalDeliveries: num(r[9]),
    requeueAt: requeueAt === 0 ? null : requeueAt,
    awakeAt: num(r[11]),
    delayedUntil: num(r[15]) === 0 ? null : num(r[15]),
    body: buf(r[12]),
    observedAt: now,
  };
  if (r[13] !== null && r[13] !== undefined && Buffer.isBuffer(r[13])) info.eventId = str(r[13]);
  const left = num(r[14]);
  if (left >= 0) info.retriesLeft = left;
  return info;
}

/** the job's next timer, which a delivery reply carries last */
export function deliveryWakeAt(reply: Reply): number {
  return num(list(reply)[6]);
}

export function delivery(queue: string, reply: Reply): Delivery {
  const r = list(reply);
  const out: Delivery = {
    queue,
    id: str(r[0]),
    seq: num(r[1]),
    body: buf(r[2]),
    nacks: num(r[3]),
    additionalDeliveries: num(r[4]),
  };
  if (Buffer.isBuffer(r[5])) out.eventId = str(r[5]);
  return out;
}

export function deadLetter(queue: string, reply: Reply): DeadLetterInfo {
  const r = list(reply);
  return {
    id: str(r[0]),
    seq: num(r[1]),
    queue,
    body: buf(r[2]),
    eventId: Buffer.isBuffer(r[3]) ? str(r[3]) : undefined,
    reason: str(r[4]),
    at: num(r[5]),
  };
}

/** the record's st letter (lua.ts) → the state SHOW prints */
function jobState(st: string): JobInfo["state"] {
  if (st === "q") return "queued";
  if (st === "w") return "wait-repl";
  return "active";
}
