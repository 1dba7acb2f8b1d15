import type { Arguments } from "../transport/arguments.js";
import { ClientWait } from "../wait.js";
import { LEAVING, NOREPL_LEAVING } from "../leaving.js";
import {
  type AddJobRequest,
  type AddJobResult,
  type Delivery,
  type GetJobsRequest,
  type PauseOp,
  type WaitSignal,
} from "../../../core/contract.js";
import type { Consumer } from "../../../core/explain.js";
import { checkSchedulingOptions } from "../../../core/scheduling.js";
import { andThen } from "../../../util/awaitable.js";
import { MAX_COUNT, MAX_RETRY_SECONDS, MAX_TTL_SECONDS } from "../../../core/limits.js";
import { SYNTAX_ERROR, boundedArg, errorOf, idsOf, queueArg, timeoutArg, word } from "../args.js";
import type { CommandSpec, HandlerResult } from "../command.js";
import type { RespContext } from "../context.js";
import { disqueInspectCommands } from "./disque-inspect.js";
import { replyWhenDurable } from "../durable.js";
import { backoffArg, parseAck, parseNack, retriesArg, runTimeoutArg } from "../failure-args.js";
import { groupArg, keyArg, keyTtlArg, priorityArg, schedulingFields } from "../scheduling-args.js";
import { NULL_ARRAY, SimpleString, type Reply } from "../transport/reply.js";

/** Disque's job and queue commands (DISQUE.md section 4). */

type Spec = CommandSpec<RespContext>;

// ------------------------------------------------------------------ ADDJOB

interface ParsedAddJob {
  req: AddJobRequest;
  async: boolean;
  details: boolean;
}

/** Reads ADDJOB's options left to right, as Disque does: the first failure wins. */
function parseAddJob(args: Arguments): ParsedAddJob {
  // Arguments are spans of the connection's input buffer: keep only the body's own bytes.
  const req: AddJobRequest = { queue: queueArg(args, 1), body: args.copy(2), origin: "resp" };
  let async = false;
  let details = false;
  for (let i = 4; i < args.length; i++) {
    const option = word(args, i);
    const hasValue = i + 1 < args.length;
    if (option === "replicate" && hasValue) {
      const message = "REPLICATE must be between 1 and 65535";
      req.replicate = boundedArg(args, ++i, "REPLICATE", 1, 65535, message, message, message);
    } else if (option === "ttl" && hasValue) {
      req.ttl = boundedArg(args, ++i, "TTL", 1, MAX_TTL_SECONDS, "TTL must be a number > 0");
    } else if (option === "retry" && hasValue) {
      const message = "RETRY time must be a non negative number";
      req.retry = boundedArg(args, ++i, "RETRY", 0, MAX_RETRY_SECONDS, message);
    } else if (option === "delay" && hasValue) {
      const message = "DELAY time must be a non negative number";
      req.delay = boundedArg(args, ++i, "DELAY", 0, MAX_TTL_SECONDS, message);
    } else if (option === "maxlen" && hasValue) {
      req.maxlen = boundedArg(args, ++i, "MAXLEN", 1, MAX_COUNT, "MAXLEN must be a positive number");
    } else if (option === "retries" && hasValue) {
      req.retryBudget = retriesArg(args.at(++i));
    } else if (option === "backoff" && hasValue) {
      req.backoff = backoffArg(args.at(++i));
    } else if (option === "runtimeout" && hasValue) {
      req.runTimeoutMs = runTimeoutArg(args.at(++i));
    } else if (option === "priority" && hasValue) {
      req.priority = priorityArg(args.at(++i));
    } else if (option === "key" && hasValue) {
      req.key = keyArg(args.at(++i));
    } else if (option === "keyttl" && hasValue) {
      req.keyTtl = keyTtlArg(args.at(++i));
    } else if (option === "group" && hasValue) {
      req.group = groupArg(args.at(++i));
    } else if (option === "async") {
      async = true;
    } else if (option === "withdetails") {
      details = true;
    } else {
      throw errorOf(SYNTAX_ERROR);
    }
  }
  req.replicationTimeoutMs = timeoutArg(args, 3);
  checkSchedulingOptions(req);
  return { req, async, details };
}

/** ADDJOB … WITHDETAILS: [id, added|duplicate, state] (a new job is queued, or active while delayed). */
function addDetails(req: AddJobRequest, result: AddJobResult): Reply {
  const state = result.state ?? (req.delay ? "active" : "queued");
  return [result.id, result.duplicate ? "duplicate" : "added", state];
}

function addjob(ctx: RespContext, args: Arguments): HandlerResult {
  const parsed = parseAddJob(args);
  if (ctx.server.leaving) return NOREPL_LEAVING;
  const added = ctx.broker.addJob(parsed.req);
  // no closure on the embedded store's synchronous answer: every ADDJOB comes here
  return added instanceof Promise
    ? added.then((result) => addReply(ctx, parsed, result))
    : addReply(ctx, parsed, added);
}

function addReply(
  ctx: RespContext,
  { req, async, details }: ParsedAddJob,
  result: AddJobResult,
): HandlerResult {
  if (result.duplicate) ctx.server.noteDuplicate();
  const reply = details ? addDetails(req, result) : new SimpleString(result.id);
  return replyWhenDurable(ctx, reply, async);
}

// ------------------------------------------------------------------ GETJOB

/** GETJOB's job: plain, WITHCOUNTERS, or WITHDETAILS (the counters, the budget left and the run time-out). */
type JobDetail = "none" | "counters" | "details";

function jobReply(job: Delivery, detail: JobDetail): Reply {
  if (detail === "none") return [job.queue, job.id, job.body];
  const counters = [
    job.queue,
    job.id,
    job.body,
    "nacks",
    job.nacks,
    "additional-deliveries",
    job.additionalDeliveries,
  ];
  if (detail === "counters") return counters;
  return [
    ...counters,
    "retries-left",
    job.retryBudgetLeft ?? -1,
    "run-timeout",
    job.runTimeoutMs ?? 0,
    ...schedulingFields(job),
  ];
}

/**
 * GETJOB's request to the store. A class, not an object literal: a literal with a getter is
 * built by the runtime at each call (about 1 µs, measured: a sixth of a pipelined GETJOB's
 * whole cost); here the getter is the prototype's.
 */
class GetJobCall implements GetJobsRequest {
  readonly createQueues = true;

  constructor(
    readonly queues: string[],
    readonly count: number,
    readonly nohang: boolean,
    readonly timeoutMs: number,
    readonly consumer: Consumer,
    private readonly wait: ClientWait,
  ) {}

  /** read by the store only when the call blocks: the signal is made then */
  get signal(): WaitSignal {
    return this.wait.signal;
  }
}

function getjob(ctx: RespContext, args: Arguments): HandlerResult {
  let nohang = false;
  let detail: JobDetail = "none";
  let timeoutMs = 0;
  let count = 1;
  let from = -1;
  for (let i = 1; i < args.length; i++) {
    const option = word(args, i);
    const hasValue = i + 1 < args.length;
    if (option === "nohang") nohang = true;
    else if (option === "withcounters") detail = detail === "details" ? detail : "counters";
    else if (option === "withdetails") detail = "details";
    else if (option === "timeout" && hasValue) timeoutMs = timeoutArg(args, ++i);
    else if (option === "count" && hasValue) {
      count = boundedArg(args, ++i, "COUNT", 1, MAX_COUNT, "COUNT must be a number greater than zero");
    } else if (option === "from") {
      from = i + 1;
      break;
    } else throw errorOf(SYNTAX_ERROR);
  }
  if (from < 0 || from >= args.length) throw errorOf(SYNTAX_ERROR);
  const queues: string[] = new Array(args.length - from);
  for (let i = from; i < args.length; i++) queues[i - from] = queueArg(args, i);

  const client = ctx.client;
  const wait = new ClientWait(client, ctx.server);
  const result = ctx.broker.getJobs(new GetJobCall(queues, count, nohang, timeoutMs, client.consumer, wait));
  // The client left while its jobs were on the way: the gate puts them back at once.
  const gate = ctx.server.gate;
  const watched = wait.watch(result);
  if (!(watched instanceof Promise)) {
    // served at once (the hot path): no closure
    const handedOver = gate.handOver(watched, client.isGone);
    if (!(handedOver instanceof Promise)) return getjobReply(handedOver, wait, detail);
    return handedOver.then((jobs) => getjobReply(jobs, wait, detail));
  }
  return watched
    .then((jobs) => gate.handOver(jobs, client.isGone))
    .then((jobs) => getjobReply(jobs, wait, detail));
}

function getjobReply(jobs: Delivery[] | null, wait: ClientWait, detail: JobDetail): Reply {
  if (jobs === null) return wait.leaving ? LEAVING : NULL_ARRAY;
  const replies: Reply[] = new Array(jobs.length);
  for (let i = 0; i < jobs.length; i++) replies[i] = jobReply(jobs[i]!, detail);
  return replies;
}

// ------------------------------------------------------- id-list commands

type IdCommand = "fastAck" | "enqueue" | "dequeue" | "deleteJobs";

/** The commands that take a list of ids and answer how many they changed. */
function idListCommand(method: IdCommand): Spec["handler"] {
  return (ctx, args) => {
    const ids = idsOf(args, 1);
    return andThen(ctx.broker[method](ids), (n) => replyWhenDurable(ctx, n, false));
  };
}

/** ACKJOB id … [RESULT bytes] */
function ackjob(ctx: RespContext, args: Arguments): HandlerResult {
  const { ids, result } = parseAck(args, ctx.server.config.maxJobSize);
  const acked = result === undefined ? ctx.broker.ackJobs(ids) : ctx.broker.ackJobs(ids, result);
  // no closure on the embedded store's synchronous answer: every ACKJOB comes here
  return acked instanceof Promise
    ? acked.then((n) => replyWhenDurable(ctx, n, false))
    : replyWhenDurable(ctx, acked, false);
}

/** NACK id … [DELAY ms] [BACKOFF] [ERROR text] [TIMEDOUT] [RETRIES n] */
function nack(ctx: RespContext, args: Arguments): HandlerResult {
  const { ids, options } = parseNack(args);
  const nacked = options === undefined ? ctx.broker.nack(ids) : ctx.broker.nack(ids, options);
  return andThen(nacked, (n) => replyWhenDurable(ctx, n, false));
}

function working(ctx: RespContext, args: Arguments): HandlerResult {
  return andThen(ctx.broker.working(args.latin1(1)), (seconds) => seconds);
}

// ------------------------------------------------------------------ PAUSE

const PAUSE_OPS = new Set<string>(["in", "out", "all", "none", "state", "bcast"]);

function pause(ctx: RespContext, args: Arguments): HandlerResult {
  const ops: PauseOp[] = [];
  for (let i = 2; i < args.length; i++) {
    const op = word(args, i);
    if (!PAUSE_OPS.has(op)) throw errorOf(SYNTAX_ERROR);
    ops.push(op as PauseOp);
  }
  return andThen(ctx.broker.pause(queueArg(args, 1), ops, ctx.client.consumer), (state) =>
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
    summary:
      "Add a job to a queue; replies with its id once it is durable (KEY taken: the first job's id; " +
      "WITHDETAILS: [id, added|duplicate, state])",
    syntax:
      "ADDJOB queue body ms-timeout [REPLICATE n] [DELAY s] [RETRY s] [TTL s] [MAXLEN n] [ASYNC] " +
      "[RETRIES n] [BACKOFF policy] [RUNTIMEOUT ms] [PRIORITY p] [KEY k] [KEYTTL s] [GROUP g] [WITHDETAILS]",
    handler: addjob,
  },
  {
    name: "getjob",
    arity: -2,
    flags: ["write", "fast", "blocking"],
    group: "disque",
    summary: "Take jobs from the first queues that have them, blocking until one arrives",
    syntax: "GETJOB [NOHANG] [TIMEOUT ms] [COUNT n] [WITHCOUNTERS|WITHDETAILS] FROM queue [queue ...]",
    handler: getjob,
  },
  {
    name: "ackjob",
    arity: -1,
    flags: ["write", "fast"],
    group: "disque",
    summary: "Acknowledge jobs: they are done and removed (RESULT: kept for result-ttl seconds)",
    syntax: "ACKJOB id [id ...] [RESULT bytes]",
    handler: ackjob,
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
    summary:
      "Fail delivered jobs: each spends a retry and is queued again (at once, after DELAY or BACKOFF) " +
      "or dead-lettered when none is left",
    syntax: "NACK id [id ...] [DELAY ms] [BACKOFF] [ERROR text] [TIMEDOUT] [RETRIES n]",
    handler: nack,
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
  ...disqueInspectCommands,
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
