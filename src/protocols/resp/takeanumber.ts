import { andThen } from "../../util/awaitable.js";
import { MAX_COUNT } from "../../engine/limits.js";
import { boundedArg, errorOf, queueArg } from "./args.js";
import type { CommandSpec } from "./command.js";
import type { RespContext } from "./context.js";
import { replyWhenDurable } from "./durable.js";
import type { Request } from "./parser.js";
import { OK, SimpleString, type Reply } from "./reply.js";

/**
 * takeanumber's commands (DIALECTS.md section 1), often typed by hand: in
 * the inline form ADD's body is the rest of the line, verbatim.
 */

type Spec = CommandSpec<RespContext>;

export const UNKNOWN_JOB_ID = "unknown job id";

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** The raw bytes after the line's third word and the blanks that follow it. */
export function inlineBody(line: Buffer): Buffer {
  let i = 0;
  for (let w = 0; w < 3; w++) {
    while (i < line.length && isSpace(line[i]!)) i++;
    while (i < line.length && !isSpace(line[i]!)) i++;
  }
  while (i < line.length && isSpace(line[i]!)) i++;
  return Buffer.from(line.subarray(i));
}

function len(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  return andThen(ctx.broker.queueCounts([queueArg(args[1]!)]), (counts) => counts[0]?.total ?? 0);
}

function add(ctx: RespContext, args: Buffer[], req: Request): Reply | Promise<Reply> {
  const queue = queueArg(args[1]!);
  const retries = boundedArg(args[2], "retries", 0, MAX_COUNT, "retries must be a non negative integer");
  const body =
    req.inlineLine !== undefined
      ? inlineBody(req.inlineLine)
      : args.length === 4
        ? Buffer.from(args[3]!)
        : Buffer.concat(args.slice(3).flatMap((arg, i) => (i === 0 ? [arg] : [Buffer.from(" "), arg])));
  return andThen(ctx.broker.addJob({ queue, body, retries }), (result) =>
    replyWhenDurable(ctx, new SimpleString(result.id), false),
  );
}

function reserve(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const result = ctx.broker.getJobs({ queues: [queueArg(args[1]!)], count: 1, nohang: true, timeoutMs: 0 });
  return andThen(result, (jobs) => {
    const job = jobs?.[0];
    return job ? new SimpleString(`${job.id} ${job.body.toString("utf8")}`) : null;
  });
}

function done(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  return andThen(ctx.broker.ackInQueue(queueArg(args[1]!), args[2]!.toString("latin1"), "id"), (n) => {
    if (n === 0) throw errorOf(UNKNOWN_JOB_ID);
    return replyWhenDurable(ctx, OK, false);
  });
}

function retry(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  return andThen(ctx.broker.retryJob(queueArg(args[1]!), args[2]!.toString("latin1")), (outcome) => {
    if (outcome === null) throw errorOf(UNKNOWN_JOB_ID);
    return replyWhenDurable(ctx, OK, false);
  });
}

function close(ctx: RespContext): Reply {
  ctx.client.closeAfterReply();
  return OK;
}

export const takeanumberCommands: Spec[] = [
  {
    name: "len",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "takeanumber",
    summary: "Jobs of the queue that are not done: waiting plus reserved",
    syntax: "LEN queue",
    handler: len,
  },
  {
    name: "add",
    arity: -4,
    flags: ["write", "denyoom"],
    group: "takeanumber",
    summary: "Enqueue a body that may be RETRY'd `retries` times; inline, the body is the rest of the line",
    syntax: "ADD queue retries body...",
    handler: add,
    verbatimInline: true,
  },
  {
    name: "reserve",
    arity: 2,
    flags: ["fast"],
    group: "takeanumber",
    summary: "Hand out the oldest waiting job as `+<id> <body>`, or null",
    syntax: "RESERVE queue",
    handler: reserve,
  },
  {
    name: "done",
    arity: 3,
    flags: ["write", "fast"],
    group: "takeanumber",
    summary: "The job is finished: delete it",
    syntax: "DONE queue id",
    handler: done,
  },
  {
    name: "retry",
    arity: 3,
    flags: ["write", "fast"],
    group: "takeanumber",
    summary: "Put the job back at the tail with one retry less, or dead-letter it when none is left",
    syntax: "RETRY queue id",
    handler: retry,
  },
  {
    name: "close",
    arity: 1,
    flags: ["fast"],
    group: "takeanumber",
    summary: "Close the connection (after +OK)",
    syntax: "CLOSE",
    handler: close,
  },
];
