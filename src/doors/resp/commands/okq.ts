import type { Arguments } from "../transport/arguments.js";
import { ClientWait } from "../wait.js";
import type { Delivery, JobInfo } from "../../../core/contract.js";
import { andThen } from "../../../util/awaitable.js";
import { MAX_COUNT, MAX_TTL_SECONDS } from "../../../core/limits.js";
import { SYNTAX_ERROR, boundedArg, errorOf, queueArg, str, word } from "../args.js";
import type { CommandSpec, HandlerResult } from "../command.js";
import type { RespContext } from "../context.js";
import { replyWhenDurable } from "../durable.js";
import { qinfo, qstatus } from "./okq-status.js";
import { OK, type Reply } from "../transport/reply.js";

/**
 * okq's commands (DIALECTS.md section 2): producers push on the left,
 * consumers pop on the right. Thin: every semantic is the broker's.
 * Jobs added without an event id (ADDJOB, ADD) show their job id as event id.
 */

type Spec = CommandSpec<RespContext>;

/** okq QRPOP's default lease (EX), seconds. */
export const OKQ_DEFAULT_LEASE_SECONDS = 30;

function eventReply(job: Delivery | JobInfo): Reply {
  return [job.clientKey ?? job.id, job.body];
}

function push(front: boolean): Spec["handler"] {
  return (ctx, args) => {
    if (args.length > 5 || (args.length === 5 && word(args, 4) !== "noblock")) throw errorOf(SYNTAX_ERROR);
    const noblock = args.length === 5;
    const result = ctx.broker.addJob({
      queue: queueArg(args, 1),
      clientKey: str(args, 2),
      body: args.copy(3),
      placement: front ? "front" : "creation",
      origin: "resp",
    });
    return andThen(result, () => replyWhenDurable(ctx, OK, noblock));
  };
}

function qrpop(ctx: RespContext, args: Arguments): HandlerResult {
  let leaseSeconds = OKQ_DEFAULT_LEASE_SECONDS;
  let noack = false;
  for (let i = 2; i < args.length; i++) {
    const option = word(args, i);
    if (option === "ex" && i + 1 < args.length) {
      leaseSeconds = boundedArg(args, ++i, "EX", 0, MAX_COUNT, "EX must be a non negative number of seconds");
    } else if (option === "noack") noack = true;
    else throw errorOf(SYNTAX_ERROR);
  }
  // EX 0: no ack is expected (okq-go's unsafe consumer sends EX 0 NOACK), so the
  // event goes as it is popped: at most once, like NOACK.
  const consume = noack || leaseSeconds === 0;
  const result = ctx.broker.getJobs({
    queues: [queueArg(args, 1)],
    count: 1,
    nohang: true,
    timeoutMs: 0,
    leaseSeconds: consume ? undefined : leaseSeconds,
    consume,
    consumer: ctx.client.consumer,
  });
  return andThen(result, (jobs) => {
    const job = jobs?.[0];
    if (!job) return null;
    return consume ? replyWhenDurable(ctx, eventReply(job), false) : eventReply(job);
  });
}

function qack(ctx: RespContext, args: Arguments): HandlerResult {
  if (args.length > 4 || (args.length === 4 && word(args, 3) !== "redo")) throw errorOf(SYNTAX_ERROR);
  const queue = queueArg(args, 1);
  const eventId = str(args, 2);
  const done =
    args.length === 4
      ? ctx.broker.requeueFirst(queue, eventId, "event")
      : ctx.broker.ackInQueue(queue, eventId, "event");
  return andThen(done, (n) => replyWhenDurable(ctx, n, false));
}

/** left = newest (the producers' end), right = next to be served */
function peek(right: boolean): Spec["handler"] {
  return (ctx, args) =>
    andThen(ctx.broker.qpeek(queueArg(args, 1), right ? 1 : -1), (jobs) => {
      const job = jobs[0];
      return job ? eventReply(job) : null;
    });
}

/** The broker's consumer id of this connection (QREGISTER, QNOTIFY). */
function consumerOf(ctx: RespContext): string {
  return `resp:${ctx.client.id}`;
}

/** No queue: the connection's registration is cleared (consumers back to 0). */
function qregister(ctx: RespContext, args: Arguments): HandlerResult {
  const queues: string[] = [];
  for (let i = 1; i < args.length; i++) queues.push(queueArg(args, i));
  const consumer = consumerOf(ctx);
  if (!ctx.okqRegistered && queues.length > 0) {
    ctx.okqRegistered = true;
    const broker = ctx.broker;
    ctx.client.onClose(() => void broker.registerConsumer(consumer, []));
  }
  return andThen(ctx.broker.registerConsumer(consumer, queues), () => OK);
}

function qnotify(ctx: RespContext, args: Arguments): HandlerResult {
  const message = "timeout must be a non negative number of seconds";
  const seconds = boundedArg(args, 1, "timeout", 0, MAX_TTL_SECONDS, message);
  const wait = new ClientWait(ctx.client);
  return andThen(wait.watch(ctx.broker.notify(consumerOf(ctx), seconds * 1000, wait.signal)), (name) => name);
}

function qflush(ctx: RespContext, args: Arguments): HandlerResult {
  return andThen(ctx.broker.flushQueue(queueArg(args, 1)), () => replyWhenDurable(ctx, OK, false));
}

export const okqCommands: Spec[] = [
  {
    name: "qlpush",
    arity: -4,
    flags: ["write", "denyoom"],
    group: "okq",
    summary: "Add an event at the left (the normal end); its id must be new in the queue",
    syntax: "QLPUSH queue eventId contents [NOBLOCK]",
    handler: push(false),
  },
  {
    name: "qrpush",
    arity: -4,
    flags: ["write", "denyoom"],
    group: "okq",
    summary: "Add an event at the right, so it is consumed next (urgent work)",
    syntax: "QRPUSH queue eventId contents [NOBLOCK]",
    handler: push(true),
  },
  {
    name: "qrpop",
    arity: -2,
    flags: ["write"],
    group: "okq",
    summary:
      "Take the right-most event; QACK it within EX seconds (default 30) or it returns; EX 0 or NOACK: removed at once",
    syntax: "QRPOP queue [EX seconds] [NOACK]",
    handler: qrpop,
  },
  {
    name: "qack",
    arity: -3,
    flags: ["write", "fast"],
    group: "okq",
    summary: "The event is done: remove it; with REDO, queue it again to be consumed next (replies 1 or 0)",
    syntax: "QACK queue eventId [REDO]",
    handler: qack,
  },
  {
    name: "qlpeek",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "okq",
    summary: "The left-most (newest) event, without taking it",
    syntax: "QLPEEK queue",
    handler: peek(false),
  },
  {
    name: "qrpeek",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "okq",
    summary: "The right-most event (the next one served), without taking it",
    syntax: "QRPEEK queue",
    handler: peek(true),
  },
  {
    name: "qregister",
    arity: -1,
    flags: ["fast"],
    group: "okq",
    summary: "This connection waits on these queues with QNOTIFY (replaces earlier ones; none: clears)",
    syntax: "QREGISTER [queue ...]",
    handler: qregister,
  },
  {
    name: "qnotify",
    arity: 2,
    flags: ["blocking"],
    group: "okq",
    summary: "Block up to timeout seconds (0 = forever) until a registered queue has an event",
    syntax: "QNOTIFY timeout",
    handler: qnotify,
  },
  {
    name: "qflush",
    arity: 2,
    flags: ["write"],
    group: "okq",
    summary: "Delete every event of the queue, in flight or not",
    syntax: "QFLUSH queue",
    handler: qflush,
  },
  {
    name: "qstatus",
    arity: -1,
    flags: ["readonly"],
    group: "okq",
    summary: "Per queue (every known one when none is named): [name, total, processing, consumers]",
    syntax: "QSTATUS [queue ...]",
    handler: qstatus,
  },
  {
    name: "qinfo",
    arity: -1,
    flags: ["readonly"],
    group: "okq",
    summary: "QSTATUS's counts as one line per queue: <queue> total: N processing: M consumers: K",
    syntax: "QINFO [queue ...]",
    handler: qinfo,
  },
];
