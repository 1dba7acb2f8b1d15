import type { Arguments } from "../transport/arguments.js";
import { setImmediate as yieldToLoop } from "node:timers/promises";
import {
  JOB_STATES,
  type Attempt,
  type Awaitable,
  type JobInfo,
  type JobScanOptions,
  type JobState,
  type QueueScanOptions,
  type QueueStats,
  type ScanResult,
} from "../../../core/contract.js";
import { formatBackoff } from "../../../core/failures.js";
import { MAX_BUSYLOOP_JOBS, MAX_BUSYLOOP_NAMES } from "../../../core/listing-limits.js";
import { andThen } from "../../../util/awaitable.js";
import { errorOf, intOrFail, parseIntArg, queueArg, str, word } from "../args.js";
import type { CommandSpec } from "../command.js";
import type { RespContext } from "../context.js";
import { schedulingFields, schedulingStats, usesScheduling } from "../scheduling-args.js";
import { NULL_ARRAY, SimpleString, type Reply } from "../transport/reply.js";

/** Disque's commands that look at jobs and queues without changing them: SHOW, QLEN, QPEEK, QSTAT, JSCAN, QSCAN. */

type Spec = CommandSpec<RespContext>;

// ------------------------------------------------------------ inspection

/** An attempt as SHOW and DEADLETTER show it: [ms-time, cause, error]. */
export function attemptsReply(attempts: readonly Attempt[]): Reply {
  return attempts.map((attempt) => [attempt.at, attempt.cause, attempt.error]);
}

/**
 * docket's failure fields, after Disque's: only those the job has, so the
 * SHOW of a job added by a plain Disque client is Disque's, byte for byte.
 */
function failureFields(job: JobInfo): Reply[] {
  const out: Reply[] = [];
  if (job.retryBudget !== undefined) out.push("retries", job.retryBudget);
  if (job.retryBudgetLeft !== undefined) out.push("retries-left", job.retryBudgetLeft);
  if (job.backoff !== undefined) out.push("backoff", formatBackoff(job.backoff));
  if (job.runTimeoutMs !== undefined) out.push("run-timeout", job.runTimeoutMs);
  if (job.backoffUntil !== null && job.backoffUntil !== undefined)
    out.push("backoff-until", job.backoffUntil);
  if (job.attempts !== undefined && job.attempts.length > 0)
    out.push("attempts", attemptsReply(job.attempts));
  return out;
}

/** SHOW's flat 30-element array, then the failure fields the job has. */
export function showReply(job: JobInfo, nodeId: string): Reply {
  const now = job.observedAt;
  // Disque's queue time: when a delayed job is first queued, else its next re-queue
  // (docket's: a job backing off is queued when its backoff ends).
  const queueAt = job.delayedUntil ?? job.backoffUntil ?? job.requeueAt;
  // The next time the server looks at the job of its own: that, or its expiry when sooner.
  const awakeAt = queueAt === null ? job.expiresAt : Math.min(queueAt, job.expiresAt);
  return [
    "id",
    job.id,
    "queue",
    job.queue,
    "state",
    job.state,
    "repl",
    job.repl,
    "ttl",
    Math.max(0, Math.ceil((job.expiresAt - now) / 1000)),
    "ctime",
    // Disque's ctime is in nanoseconds; the low digits keep jobs of one ms apart.
    BigInt(job.createdAt) * 1_000_000n + BigInt(job.seq % 1_000_000),
    "delay",
    job.delay,
    "retry",
    job.retry,
    "nacks",
    job.nacks,
    "additional-deliveries",
    job.additionalDeliveries,
    "nodes-delivered",
    [nodeId],
    "nodes-confirmed",
    [],
    "next-requeue-within",
    queueAt === null ? null : Math.max(0, queueAt - now),
    "next-awake-within",
    Math.max(0, awakeAt - now),
    "body",
    job.body,
    ...failureFields(job),
    ...schedulingFields(job),
  ];
}

function show(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  return andThen(ctx.broker.show(args.latin1(1)), (job) => (job ? showReply(job, ctx.broker.nodeId) : null));
}

function qlen(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  return ctx.broker.qlen(queueArg(args, 1));
}

function qpeek(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  const count = intOrFail(args, 2);
  return andThen(ctx.broker.qpeek(queueArg(args, 1), count), (jobs) =>
    jobs.map((job) => [job.queue, job.id, job.body]),
  );
}

function qstat(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  return andThen(ctx.broker.qstat(queueArg(args, 1)), (stats) => {
    if (!stats) return NULL_ARRAY;
    return [
      "name",
      stats.name,
      "len",
      stats.len,
      "age",
      stats.age,
      "idle",
      stats.idle,
      "blocked",
      stats.blocked,
      "import-from",
      [],
      "import-rate",
      0,
      "jobs-in",
      stats.jobsIn,
      "jobs-out",
      stats.jobsOut,
      "pause",
      stats.pause,
      ...docketStats(stats),
    ];
  });
}

/**
 * docket's QSTAT pairs after Disque's: none while the queue uses none of
 * docket's extensions, so a plain Disque queue's QSTAT is Disque's; once
 * one is in use, the failure pairs then the scheduling pairs, always all
 * of them (a client can read them by position).
 */
function docketStats(stats: QueueStats): Reply[] {
  const failures = stats.backingOff > 0 || stats.deadLetters > 0;
  if (!failures && !usesScheduling(stats)) return [];
  return ["backoff", stats.backingOff, "dead-letters", stats.deadLetters, ...schedulingStats(stats)];
}

// ------------------------------------------------------------------ scans

const SCAN_ERROR = "invalid cursor or option name";
const DEFAULT_SCAN_COUNT = 100;

/**
 * The cursor, as Disque reads it: options may come in any order, and the one
 * argument that is not an option is the cursor, wherever it stands
 * (disqueue-node sends it last). A second non-option is a syntax error.
 */
class ScanCursor {
  value = 0;
  private given = false;

  take(args: Arguments, i: number): void {
    if (this.given) throw errorOf("syntax error");
    const cursor = parseIntArg(args, i);
    if (cursor === undefined || cursor < 0) throw errorOf(SCAN_ERROR);
    this.value = cursor;
    this.given = true;
  }
}

/** COUNT and BUSYLOOP, shared by both scans: the last index read, or -1 when `option` is neither. */
function scanCommonOption(
  opts: { count: number; busyloop: boolean },
  option: string,
  args: Arguments,
  i: number,
): number {
  if (option === "busyloop") {
    opts.busyloop = true;
    return i;
  }
  if (option !== "count" || i + 1 >= args.length) return -1;
  const count = intOrFail(args, i + 1);
  // As Disque: 0 and negative mean the default. The broker caps it (MAX_SCAN_COUNT).
  opts.count = count < 1 ? DEFAULT_SCAN_COUNT : count;
  return i + 1;
}

/** One call of a scan, or with BUSYLOOP (`maxItems` given) every call to the end or to `maxItems`. */
function runScan<T>(
  cursor: number,
  maxItems: number | undefined,
  scan: (cursor: number) => Awaitable<ScanResult<T>>,
): Awaitable<ScanResult<T>> {
  return maxItems !== undefined ? scanToEnd(cursor, maxItems, scan) : scan(cursor);
}

/** Slice after slice, serving the other clients in between: no single call holds the loop. */
async function scanToEnd<T>(
  cursor: number,
  maxItems: number,
  scan: (cursor: number) => Awaitable<ScanResult<T>>,
): Promise<ScanResult<T>> {
  const items: T[] = [];
  for (;;) {
    const page = await scan(cursor);
    for (const item of page.items) items.push(item);
    cursor = page.cursor;
    if (cursor === 0 || items.length >= maxItems) return { cursor, items };
    await yieldToLoop();
  }
}

function scanReply<T>(result: ScanResult<T>, item: (value: T) => Reply): Reply {
  return [String(result.cursor), result.items.map(item)];
}

function jscan(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  const cursor = new ScanCursor();
  const opts: JobScanOptions = { count: DEFAULT_SCAN_COUNT, busyloop: false };
  let replyAll = false;
  for (let i = 1; i < args.length; i++) {
    const option = word(args, i);
    const hasValue = i + 1 < args.length;
    const consumed = scanCommonOption(opts, option, args, i);
    if (consumed >= 0) i = consumed;
    else if (option === "queue" && hasValue) opts.queue = str(args, ++i);
    else if (option === "state" && hasValue) {
      const state = word(args, ++i) as JobState;
      if (!JOB_STATES.includes(state)) throw errorOf("Invalid job state name");
      (opts.states ??= []).push(state);
    } else if (option === "reply" && hasValue) {
      const type = word(args, ++i);
      if (type !== "all" && type !== "id") throw errorOf("Invalid REPLY type, try ID or ALL");
      replyAll = type === "all";
    } else cursor.take(args, i);
  }
  const nodeId = ctx.broker.nodeId;
  const scan = (from: number) => ctx.broker.jscan(from, opts);
  const maxItems = opts.busyloop ? (replyAll ? MAX_BUSYLOOP_JOBS : MAX_BUSYLOOP_NAMES) : undefined;
  return andThen(runScan(cursor.value, maxItems, scan), (result) =>
    scanReply(result, (job) => (replyAll ? showReply(job, nodeId) : new SimpleString(job.id))),
  );
}

function qscan(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  const cursor = new ScanCursor();
  const opts: QueueScanOptions = { count: DEFAULT_SCAN_COUNT, busyloop: false };
  for (let i = 1; i < args.length; i++) {
    const option = word(args, i);
    const hasValue = i + 1 < args.length;
    const consumed = scanCommonOption(opts, option, args, i);
    if (consumed >= 0) i = consumed;
    else if (option === "minlen" && hasValue) opts.minlen = intOrFail(args, ++i);
    else if (option === "maxlen" && hasValue) opts.maxlen = intOrFail(args, ++i);
    else if (option === "importrate" && hasValue) opts.importrate = intOrFail(args, ++i);
    else cursor.take(args, i);
  }
  const scan = (from: number) => ctx.broker.qscan(from, opts);
  const maxItems = opts.busyloop ? MAX_BUSYLOOP_NAMES : undefined;
  return andThen(runScan(cursor.value, maxItems, scan), (result) => scanReply(result, (name) => name));
}

// ------------------------------------------------------------------ table

export const disqueInspectCommands: Spec[] = [
  {
    name: "show",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "disque",
    summary: "Everything known about a job",
    syntax: "SHOW id",
    handler: show,
  },
  {
    name: "qlen",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "disque",
    summary: "Number of queued jobs",
    syntax: "QLEN queue",
    handler: qlen,
  },
  {
    name: "qpeek",
    arity: 3,
    flags: ["readonly"],
    group: "disque",
    summary: "Look at queued jobs without taking them (negative count: newest first)",
    syntax: "QPEEK queue count",
    handler: qpeek,
  },
  {
    name: "qstat",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "disque",
    summary: "Statistics of a queue",
    syntax: "QSTAT queue",
    handler: qstat,
  },
  {
    name: "jscan",
    arity: -1,
    flags: ["readonly"],
    group: "disque",
    summary: "Iterate over jobs with a cursor (STATE backoff: the jobs waiting out a backoff)",
    syntax: "JSCAN [cursor] [COUNT n] [BUSYLOOP] [QUEUE q] [STATE s ...] [REPLY all|id]",
    handler: jscan,
  },
  {
    name: "qscan",
    arity: -1,
    flags: ["readonly"],
    group: "disque",
    summary: "Iterate over queue names with a cursor",
    syntax: "QSCAN [cursor] [COUNT n] [BUSYLOOP] [MINLEN n] [MAXLEN n] [IMPORTRATE n]",
    handler: qscan,
  },
];
