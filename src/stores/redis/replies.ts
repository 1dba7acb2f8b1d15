import {
  JOB_ORIGINS,
  type Attempt,
  type DeadLetterInfo,
  type Delivery,
  type FailureCause,
  type JobInfo,
  type JobOrigin,
  type JobState,
  type PauseState,
  type QueuePolicy,
  type RateLimit,
} from "../../core/contract.js";
import { parseBackoff } from "../../core/failures.js";
import { buf, list, num, str, type Reply } from "./script.js";
import { decodePolicyLimits, decodeRate } from "./scheduling.js";

/**
 * Script replies → records, one decoder per reply shape. The field order of each
 * is stated in the header of the .lua file that builds it (scripts/, shared shapes
 * in scripts/includes/replies.lua); this file is the only TypeScript that knows it.
 */

/** info (includes/replies.lua): SHOW, QPEEK, JSCAN entries */
export function decodeJobInfo(queue: string, reply: Reply, now: number): JobInfo {
  const r = list(reply);
  const backingOff = str(r[2]) === "b";
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
    delayedUntil: num(r[15]) === 0 || backingOff ? null : num(r[15]),
    body: buf(r[12]),
    observedAt: now,
    backoffUntil: backingOff ? num(r[15]) : null,
  };
  if (r[13] !== null && r[13] !== undefined && Buffer.isBuffer(r[13])) info.clientKey = str(r[13]);
  const left = num(r[14]);
  if (left >= 0) info.retryBudgetLeft = left;
  const budget = num(r[16]);
  if (budget >= 0) info.retryBudget = budget;
  if (Buffer.isBuffer(r[17])) info.backoff = parseBackoff(str(r[17]));
  if (num(r[18]) > 0) info.runTimeoutMs = num(r[18]);
  if (Array.isArray(r[19])) info.attempts = decodeAttempts(r[19]);
  const origin = Buffer.isBuffer(r[20]) ? originOfLetter(str(r[20])) : undefined;
  if (origin !== undefined) info.origin = origin;
  if (typeof r[21] === "number") info.priority = r[21];
  if (Buffer.isBuffer(r[22])) info.group = str(r[22]);
  if (Buffer.isBuffer(r[23])) info.key = str(r[23]);
  if (typeof r[24] === "number") info.keyExpiresAt = r[24];
  if (Buffer.isBuffer(r[25])) info.schedule = str(r[25]);
  return info;
}

/** The one-letter origin a job record keeps (includes/job.lua `o`): each origin's first letter. */
export function originLetter(origin: JobOrigin | undefined): string {
  return origin === undefined ? "" : origin.charAt(0);
}
function originOfLetter(letter: string): JobOrigin | undefined {
  return JOB_ORIGINS.find((origin) => origin.charAt(0) === letter);
}

/** a record's attempts: { at, cause, error } each (includes/failure.lua recordAttempt) */
function decodeAttempts(reply: Reply): Attempt[] {
  return list(reply).map((entry) => {
    const [at, cause, error] = list(entry);
    return { at: num(at), cause: str(cause) as FailureCause, error: str(error) };
  });
}

/** the record's st letter (includes/job.lua) → the state SHOW prints */
function jobState(st: string): JobInfo["state"] {
  if (st === "q") return "queued";
  if (st === "w") return "wait-repl";
  if (st === "b") return "backoff";
  return "active";
}

/** show-12.lua: the info of the one id asked, or null */
export function decodeShow(queue: string, reply: Reply, now: number): JobInfo | null {
  const first = list(reply)[0];
  return Array.isArray(first) ? decodeJobInfo(queue, first, now) : null;
}

export interface TakeResult {
  /** the script created (or brought back) the queue */
  created: boolean;
  /** the take left no ready job in the queue (it created it, or took fewer than asked on a plain queue): idle-queues.ts */
  empty: boolean;
  deliveries: Delivery[];
  /** each delivered job's next timer (its lease re-queue or expiry), ms */
  wakeAts: number[];
  /** the rate limit held ready jobs back until then (ms; 0: it did not) */
  rateSlotAt: number;
}

/** take-12.lua: { created (0, 1 created, 2 empty), rate slot, delivery… }; delivery shape in includes/replies.lua */
export function decodeTake(queue: string, reply: Reply): TakeResult {
  const all = list(reply);
  const rest = all.slice(2).map(list);
  const found = num(all[0]);
  return {
    created: found === 1,
    empty: found > 0,
    rateSlotAt: num(all[1]),
    deliveries: rest.map((r) => decodeDelivery(queue, r)),
    wakeAts: rest.map((r) => num(r[6])),
  };
}

function decodeDelivery(queue: string, r: Reply[]): Delivery {
  const out: Delivery = {
    queue,
    id: str(r[0]),
    seq: num(r[1]),
    body: buf(r[2]),
    nacks: num(r[3]),
    additionalDeliveries: num(r[4]),
  };
  if (Buffer.isBuffer(r[5])) out.clientKey = str(r[5]);
  if (num(r[7]) >= 0) out.retryBudgetLeft = num(r[7]);
  if (num(r[8]) > 0) out.runTimeoutMs = num(r[8]);
  if (typeof r[9] === "number") out.priority = r[9];
  if (Buffer.isBuffer(r[10])) out.group = str(r[10]);
  return out;
}

export interface AddReply {
  created: boolean;
  eventId: string | undefined;
  /** the idempotency key was taken: the first job's id, seq and state now */
  duplicate?: { id: string; seq: number; state: JobState };
}

/** add-12.lua: { created, event id or false, duplicate's id or false, its seq, its state letter } */
export function decodeAdd(reply: Reply): AddReply {
  const r = list(reply);
  const out: AddReply = { created: num(r[0]) === 1, eventId: Buffer.isBuffer(r[1]) ? str(r[1]) : undefined };
  if (Buffer.isBuffer(r[2])) {
    const st = str(r[4]);
    out.duplicate = { id: str(r[2]), seq: num(r[3]), state: st === "g" ? "acked" : jobState(st) };
  }
  return out;
}

/** deadLetters-12.lua entries */
export function decodeDeadLetter(queue: string, reply: Reply): DeadLetterInfo {
  const r = list(reply);
  return {
    id: str(r[0]),
    seq: num(r[1]),
    queue,
    body: buf(r[2]),
    clientKey: Buffer.isBuffer(r[3]) ? str(r[3]) : undefined,
    reason: str(r[4]),
    at: num(r[5]),
    retryBudget: num(r[6]),
    attempts: Array.isArray(r[7]) ? decodeAttempts(r[7]) : [],
  };
}

/** policy-12.lua: { retry budget, backoff, run time-out, dead-letter cap }, each false when unset */
export function decodePolicy(reply: Reply): QueuePolicy {
  const [budget, backoff, runTimeout, cap, rate, groupLimit] = list(reply);
  const policy: QueuePolicy = {};
  if (Buffer.isBuffer(budget)) policy.retryBudget = num(budget);
  if (Buffer.isBuffer(backoff)) policy.backoff = parseBackoff(str(backoff));
  if (Buffer.isBuffer(runTimeout)) policy.runTimeoutMs = num(runTimeout);
  if (Buffer.isBuffer(cap)) policy.deadLetterCap = num(cap);
  decodePolicyLimits(policy, rate, groupLimit);
  return policy;
}

/** a queue's lifetime totals, in the order includes/queue.lua TOTALS lists them (also the fields of <prefix>:totals) */
export const TOTALS = [
  "added",
  "delivered",
  "acked",
  "expired",
  "requeued",
  "retried",
  "deadlettered",
  "timedout",
  "evicted",
] as const;

/** a queue's lifetime totals, as a dropped queue hands them to the deployment's */
export type QueueTotals = Record<(typeof TOTALS)[number], number>;

function totalsFrom(r: Reply[], at: number): QueueTotals {
  const out = {} as QueueTotals;
  TOTALS.forEach((name, i) => (out[name] = num(r[at + i])));
  return out;
}

export interface QueueStat {
  /** 0: unknown or hidden */
  visible: boolean;
  len: number;
  created: number;
  touched: number;
  pause: PauseState;
  jobsIn: number;
  jobsOut: number;
  live: number;
  totals: QueueTotals;
  /** wait-repl jobs */
  held: number;
  /** jobs waiting out a backoff */
  backingOff: number;
  deadLetters: number;
  /** results kept (not yet expired on the clock's last timer run) and their bytes */
  results: number;
  resultBytes: number;
  /** delivered, not yet acked or queued again */
  inFlight: number;
  /** what is neither ready, held, delivered nor backing off waits out its DELAY (or was DEQUEUEd) */
  delayed: number;
  /** createdAt of the head of the ready list, null when none is ready */
  oldestReadyAt: number | null;
  rateLimit: RateLimit | undefined;
  /** the rate limit's next slot when later than now, else null */
  rateLimitedUntil: number | null;
  groups: number;
  heldBack: number;
}

/** stat-12.lua */
export function decodeStat(reply: Reply): QueueStat {
  const r = list(reply);
  const stat = {
    visible: num(r[0]) === 1,
    len: num(r[1]),
    created: num(r[2]),
    touched: num(r[3]),
    pause: str(r[4]) as PauseState,
    jobsIn: num(r[5]),
    jobsOut: num(r[6]),
    live: num(r[7]),
    held: num(r[8]),
    backingOff: num(r[9]),
    deadLetters: num(r[10]),
    results: num(r[11]),
    resultBytes: num(r[12]),
    totals: totalsFrom(r, 13),
    inFlight: num(r[13 + TOTALS.length]),
    oldestReadyAt: num(r[14 + TOTALS.length]) || null,
    rateLimit: decodeRate(r[15 + TOTALS.length]),
    rateLimitedUntil: num(r[16 + TOTALS.length]) || null,
    groups: num(r[17 + TOTALS.length]),
    heldBack: num(r[18 + TOTALS.length]),
  };
  const delayed = stat.live - stat.len - stat.held - stat.backingOff - stat.inFlight;
  return { ...stat, delayed: Math.max(0, delayed) };
}

export interface Counts {
  live: number;
  ready: number;
  pausedOut: boolean;
  /** exists and not hidden */
  known: boolean;
}

/** counts-12.lua */
export function decodeCounts(reply: Reply): Counts {
  const r = list(reply);
  return { live: num(r[0]), ready: num(r[1]), pausedOut: num(r[2]) === 1, known: num(r[3]) === 1 };
}

/** pause-12.lua: { state after, created } */
export function decodePause(reply: Reply): { state: PauseState; created: boolean } {
  const r = list(reply);
  return { state: str(r[0]) as PauseState, created: num(r[1]) === 1 };
}

/** due-12.lua: { timers fetched (the batch was full when = its limit), next timer or -1 } */
export function decodeDue(reply: Reply): { fetched: number; next: number } {
  const r = list(reply);
  return { fetched: num(r[0]), next: num(r[1]) };
}

/** gc-12.lua: { 0 kept | 1 hidden | 2 deleted, totals of a deleted queue } */
export function decodeGc(reply: Reply): { kept: boolean; deleted: boolean; totals: QueueTotals } {
  const r = list(reply);
  return { kept: num(r[0]) === 0, deleted: num(r[0]) === 2, totals: totalsFrom(r, 1) };
}

/** flushQueue-12.lua: { live jobs removed, totals dropped } */
export function decodeFlush(reply: Reply): { removed: number; totals: QueueTotals } {
  const r = list(reply);
  return { removed: num(r[0]), totals: totalsFrom(r, 1) };
}

/** scan-12.lua: { info arrays, first seq past the window (0: none) } */
export function decodeScan(queue: string, reply: Reply, now: number): { infos: JobInfo[]; beyond: number } {
  const [infos, beyond] = list(reply);
  return { infos: list(infos).map((r) => decodeJobInfo(queue, r, now)), beyond: num(beyond) };
}

/** lookup-2.lua entries: { id, queue } or false */
export function decodeLookup(reply: Reply): Array<{ id: string; queue: string } | undefined> {
  return list(reply).map((pair) =>
    Array.isArray(pair) ? { id: str(pair[0]), queue: str(pair[1]) } : undefined,
  );
}
