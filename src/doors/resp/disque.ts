import { setImmediate as yieldToLoop } from "node:timers/promises";
import { ClientWait } from "./wait.js";
import { LEAVING, NOREPL_LEAVING } from "./leaving.js";
import {
  JOB_STATES,
  type AddJobRequest,
  type Awaitable,
  type Delivery,
  type JobInfo,
  type JobScanOptions,
  type JobState,
  type PauseOp,
  type QueueScanOptions,
  type ScanResult,
} from "../../core/contract.js";
import { MAX_BUSYLOOP_JOBS, MAX_BUSYLOOP_NAMES } from "../../core/listing-limits.js";
import { andThen } from "../../util/awaitable.js";
import { MAX_COUNT, MAX_RETRY_SECONDS, MAX_TTL_SECONDS } from "../../core/limits.js";
import {
  SYNTAX_ERROR,
  boundedArg,
  errorOf,
  idsOf,
  intOrFail,
  parseIntArg,
  queueArg,
  str,
  timeoutArg,
  word,
} from "./args.js";
import type { CommandSpec } from "./command.js";
import type { RespContext } from "./context.js";
import { replyWhenDurable } from "./durable.js";
import { ownBuffer } from "./transport/parser.js";
import { NULL_ARRAY, SimpleString, type Reply } from "./transport/reply.js";

/** Disque's job and queue commands (DISQUE.md section 4). */

type Spec = CommandSpec<RespContext>;

// ------------------------------------------------------------------ ADDJOB

/** Reads ADDJOB's options left to right, as Disque does: the first failure wins. */
function parseAddJob(args: Buffer[]): { req: AddJobRequest; async: boolean } {
  // Arguments are views into the connection's input buffer: keep only the body's own bytes.
  const req: AddJobRequest = { queue: queueArg(args[1]!), body: ownBuffer(args[2]!) };
  let async = false;
  for (let i = 4; i < args.length; i++) {
    const option = word(args[i]!);
    const hasValue = i + 1 < args.length;
    if (option === "replicate" && hasValue) {
      const message = "REPLICATE must be between 1 and 65535";
      req.replicate = boundedArg(args[++i], "REPLICATE", 1, 65535, message, message, message);
    } else if (option === "ttl" && hasValue) {
      req.ttl = boundedArg(args[++i], "TTL", 1, MAX_TTL_SECONDS, "TTL must be a number > 0");
    } else if (option === "retry" && hasValue) {
      const message = "RETRY time must be a non negative number";
      req.retry = boundedArg(args[++i], "RETRY", 0, MAX_RETRY_SECONDS, message);
    } else if (option === "delay" && hasValue) {
      const message = "DELAY time must be a non negative number";
      req.delay = boundedArg(args[++i], "DELAY", 0, MAX_TTL_SECONDS, message);
    } else if (option === "maxlen" && hasValue) {
      req.maxlen = boundedArg(args[++i], "MAXLEN", 1, MAX_COUNT, "MAXLEN must be a positive number");
    } else if (option === "async") {
      async = true;
    } else {
      throw errorOf(SYNTAX_ERROR);
    }
  }
  req.replicationTimeoutMs = timeoutArg(args[3]!);
  return { req, async };
}

function addjob(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const { req, async } = parseAddJob(args);
  if (ctx.server.leaving) return NOREPL_LEAVING;
  return andThen(ctx.broker.addJob(req), (result) =>
    replyWhenDurable(ctx, new SimpleString(result.id), async),
  );
}

// ------------------------------------------------------------------ GETJOB

function jobReply(job: Delivery, withCounters: boolean): Reply {
  if (!withCounters) return [job.queue, job.id, job.body];
  return [job.queue, job.id, job.body, "nacks", job.nacks, "additional-deliveries", job.additionalDeliveries];
}

function getjob(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  let nohang = false;
  let withCounters = false;
  let timeoutMs = 0;
  let count = 1;
  let from = -1;
  for (let i = 1; i < args.length; i++) {
    const option = word(args[i]!);
    const hasValue = i + 1 < args.length;
    if (option === "nohang") nohang = true;
    else if (option === "withcounters") withCounters = true;
    else if (option === "timeout" && hasValue) timeoutMs = timeoutArg(args[++i]!);
    else if (option === "count" && hasValue) {
      count = boundedArg(args[++i], "COUNT", 1, MAX_COUNT, "COUNT must be a number greater than zero");
    } else if (option === "from") {
      from = i + 1;
      break;
    } else throw errorOf(SYNTAX_ERROR);
  }
  if (from < 0 || from >= args.length) throw errorOf(SYNTAX_ERROR);
  const queues: string[] = [];
  for (let i = from; i < args.length; i++) queues.push(queueArg(args[i]!));

  const client = ctx.client;
  const wait = new ClientWait(client, ctx.server);
  const toReply = (jobs: Delivery[] | null): Reply => {
    if (jobs === null) return wait.leaving ? LEAVING : NULL_ARRAY;
    if (client.closed && jobs.length > 0) {
      // The client left while its jobs were on the way: put them back at once.
      void ctx.broker.enqueue(jobs.map((job) => job.id));
      return NULL_ARRAY;
    }
    return jobs.map((job) => jobReply(job, withCounters));
  };
  const result = ctx.broker.getJobs({
    queues,
    count,
    nohang,
    timeoutMs,
    createQueues: true,
    // read by the store only when the call blocks
    get signal() {
      return wait.signal;
    },
  });
  return andThen(wait.watch(result), toReply);
}

// ------------------------------------------------------- id-list commands

type IdCommand = "ackJobs" | "fastAck" | "nack" | "enqueue" | "dequeue" | "deleteJobs";

/** The commands that take a list of ids and answer how many they changed. */
function idListCommand(method: IdCommand): Spec["handler"] {
  return (ctx, args) => {
    const ids = idsOf(args, 1);
    return andThen(ctx.broker[method](ids), (n) => replyWhenDurable(ctx, n, false));
  };
}

function working(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  return andThen(ctx.broker.working(args[1]!.toString("latin1")), (seconds) => seconds);
}

// ------------------------------------------------------------ inspection

/** SHOW's flat 30-element array. */
export function showReply(job: JobInfo, nodeId: string): Reply {
  const now = job.observedAt;
  // Disque's queue time: when a delayed job is first queued, else its next re-queue.
  const queueAt = job.delayedUntil ?? job.requeueAt;
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
  ];
}

function show(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  return andThen(ctx.broker.show(args[1]!.toString("latin1")), (job) =>
    job ? showReply(job, ctx.broker.nodeId) : null,
  );
}

function qlen(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  return ctx.broker.qlen(queueArg(args[1]!));
}

function qpeek(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const count = intOrFail(args[2]);
  return andThen(ctx.broker.qpeek(queueArg(args[1]!), count), (jobs) =>
    jobs.map((job) => [job.queue, job.id, job.body]),
  );
}

function qstat(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  return andThen(ctx.broker.qstat(queueArg(args[1]!)), (stats) => {
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
    ];
  });
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

  take(arg: Buffer): void {
    if (this.given) throw errorOf("syntax error");
    const cursor = parseIntArg(arg);
    if (cursor === undefined || cursor < 0) throw errorOf(SCAN_ERROR);
    this.value = cursor;
    this.given = true;
  }
}

/** COUNT and BUSYLOOP, shared by both scans: the last index read, or -1 when `option` is neither. */
function scanCommonOption(
  opts: { count: number; busyloop: boolean },
  option: string,
  args: Buffer[],
  i: number,
): number {
  if (option === "busyloop") {
    opts.busyloop = true;
    return i;
  }
  if (option !== "count" || i + 1 >= args.length) return -1;
  const count = intOrFail(args[i + 1]);
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

function jscan(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const cursor = new ScanCursor();
  const opts: JobScanOptions = { count: DEFAULT_SCAN_COUNT, busyloop: false };
  let replyAll = false;
  for (let i = 1; i < args.length; i++) {
    const option = word(args[i]!);
    const hasValue = i + 1 < args.length;
    const consumed = scanCommonOption(opts, option, args, i);
    if (consumed >= 0) i = consumed;
    else if (option === "queue" && hasValue) opts.queue = str(args[++i]!);
    else if (option === "state" && hasValue) {
      const state = word(args[++i]!) as JobState;
      if (!JOB_STATES.includes(state)) throw errorOf("Invalid job state name");
      (opts.states ??= []).push(state);
    } else if (option === "reply" && hasValue) {
      const type = word(args[++i]!);
      if (type !== "all" && type !== "id") throw errorOf("Invalid REPLY type, try ID or ALL");
      replyAll = type === "all";
    } else cursor.take(args[i]!);
  }
  const nodeId = ctx.broker.nodeId;
  const scan = (from: number) => ctx.broker.jscan(from, opts);
  const maxItems = opts.busyloop ? (replyAll ? MAX_BUSYLOOP_JOBS : MAX_BUSYLOOP_NAMES) : undefined;
  return andThen(runScan(cursor.value, maxItems, scan), (result) =>
    scanReply(result, (job) => (replyAll ? showReply(job, nodeId) : new SimpleString(job.id))),
  );
}

function qscan(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const cursor = new ScanCursor();
  const opts: QueueScanOptions = { count: DEFAULT_SCAN_COUNT, busyloop: false };
  for (let i = 1; i < args.length; i++) {
    const option = word(args[i]!);
    const hasValue = i + 1 < args.length;
    const consumed = scanCommonOption(opts, option, args, i);
    if (consumed >= 0) i = consumed;
    else if (option === "minlen" && hasValue) opts.minlen = intOrFail(args[++i]);
    else if (option === "maxlen" && hasValue) opts.maxlen = intOrFail(args[++i]);
    else if (option === "importrate" && hasValue) opts.importrate = intOrFail(args[++i]);
    else cursor.take(args[i]!);
  }
  const scan = (from: number) => ctx.broker.qscan(from, opts);
  const maxItems = opts.busyloop ? MAX_BUSYLOOP_NAMES : undefined;
  return andThen(runScan(cursor.value, maxItems, scan), (result) => scanReply(result, (name) => name));
}

// ------------------------------------------------------------------ PAUSE

const PAUSE_OPS = new Set<string>(["in", "out", "all", "none", "state", "bcast"]);

function pause(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const ops: PauseOp[] = [];
  for (let i = 2; i < args.length; i++) {
    const op = word(args[i]!);
    if (!PAUSE_OPS.has(op)) throw errorOf(SYNTAX_ERROR);
    ops.push(op as PauseOp);
  }
  return andThen(ctx.broker.pause(queueArg(args[1]!), ops), (state) =>
    replyWhenDurable(ctx, new SimpleString(state), false),
  );
}

// ------------------------------------------------------------------ table

export const disqueCommands: Spec[] = [
  {
    name: "addjob",
    arity: -4,
    flags: ["write", "denyoom", "fast"],
    group: "disque",
    summary: "Add a job to a queue; replies with its id once it is durable",
    syntax: "ADDJOB queue body ms-timeout [REPLICATE n] [DELAY s] [RETRY s] [TTL s] [MAXLEN n] [ASYNC]",
    handler: addjob,
  },
  {
    name: "getjob",
    arity: -2,
    flags: ["write", "fast", "blocking"],
    group: "disque",
    summary: "Take jobs from the first queues that have them, blocking until one arrives",
    syntax: "GETJOB [NOHANG] [TIMEOUT ms] [COUNT n] [WITHCOUNTERS] FROM queue [queue ...]",
    handler: getjob,
  },
  {
    name: "ackjob",
    arity: -1,
    flags: ["write", "fast"],
    group: "disque",
    summary: "Acknowledge jobs: they are done and removed",
    syntax: "ACKJOB id [id ...]",
    handler: idListCommand("ackJobs"),
  },
  {
    name: "fastack",
    arity: -1,
    flags: ["write", "fast"],
    group: "disque",
    summary: "Delete jobs whatever their state",
    syntax: "FASTACK id [id ...]",
    handler: idListCommand("fastAck"),
  },
  {
    name: "nack",
    arity: -1,
    flags: ["write", "denyoom", "fast"],
    group: "disque",
    summary: "Put delivered jobs back in their queue at once, counting a nack",
    syntax: "NACK id [id ...]",
    handler: idListCommand("nack"),
  },
  {
    name: "enqueue",
    arity: -1,
    flags: ["write", "denyoom", "fast"],
    group: "disque",
    summary: "Put active jobs back in their queue at once",
    syntax: "ENQUEUE id [id ...]",
    handler: idListCommand("enqueue"),
  },
  {
    name: "dequeue",
    arity: -1,
    flags: ["write", "fast"],
    group: "disque",
    summary: "Take queued jobs out of their queue without delivering them",
    syntax: "DEQUEUE id [id ...]",
    handler: idListCommand("dequeue"),
  },
  {
    name: "working",
    arity: 2,
    flags: ["write", "fast"],
    group: "disque",
    summary: "Postpone a job's next re-queue by its retry time",
    syntax: "WORKING id",
    handler: working,
  },
  {
    name: "deljob",
    arity: -1,
    flags: ["write", "fast"],
    group: "disque",
    summary: "Delete jobs whatever their state",
    syntax: "DELJOB id [id ...]",
    handler: idListCommand("deleteJobs"),
  },
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
    summary: "Iterate over jobs with a cursor",
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
  {
    name: "pause",
    arity: -3,
    // Disque: `readonly,fast`; docket journals the pause state, so PAUSE is a write (-MISCONF).
    flags: ["write", "fast"],
    group: "disque",
    summary: "Pause a queue for input, output or both, or report its state",
    syntax: "PAUSE queue in|out|all|none|state|bcast [...]",
    handler: pause,
  },
];
