import type { Arguments } from "../transport/arguments.js";
import { andThen } from "../../../util/awaitable.js";
import { MAX_COUNT } from "../../../core/limits.js";
import { boundedArg, errorOf, queueArg } from "../args.js";
import type { CommandSpec, HandlerResult } from "../command.js";
import type { RespContext } from "../context.js";
import { replyWhenDurable } from "../durable.js";
import type { Request } from "../transport/parser.js";
import { NO_REPLY, OK, SimpleString, StatusBytes, type Reply } from "../transport/reply.js";

/**
 * takeanumber's commands (DIALECTS.md section 1), often typed by hand: in
 * the inline form ADD's body is the rest of the line, verbatim.
 */

type Spec = CommandSpec<RespContext>;

// The original's errors, byte for byte (DIALECTS.md section 1, measured).
export const NO_SUCH_ID = "No such Id.";
export const NO_RETRIES = "No retries remaining.";
export const NOTHING_TO_RESERVE = "No items available to reserve.";
export const MISSING_ADD_PARAMETERS = "Missing ADD parameters.";
export const INVALID_RETRIES = "Invalid number of retries.";

function isSpace(c: number): boolean {
  return c === 32 || c === 9;
}

/** The raw bytes after the line's third word and the blanks around them (trailing blanks trimmed, as the original). */
export function inlineBody(line: Buffer): Buffer {
  let i = 0;
  for (let w = 0; w < 3; w++) {
    while (i < line.length && isSpace(line[i]!)) i++;
    while (i < line.length && !isSpace(line[i]!)) i++;
  }
  while (i < line.length && isSpace(line[i]!)) i++;
  let end = line.length;
  while (end > i && isSpace(line[end - 1]!)) end--;
  return Buffer.from(line.subarray(i, end));
}

function isBlank(body: Buffer): boolean {
  for (const c of body) if (!isSpace(c)) return false;
  return true;
}

function len(ctx: RespContext, args: Arguments): HandlerResult {
  // Reserved jobs are not counted (measured): LEN is what RESERVE could still hand out.
  return andThen(ctx.broker.queueCounts([queueArg(args, 1)]), (counts) => counts[0]?.waiting ?? 0);
}

function add(ctx: RespContext, args: Arguments, req: Request): HandlerResult {
  const queue = queueArg(args, 1);
  const body =
    args.length < 4
      ? Buffer.alloc(0)
      : req.inlineLine !== undefined
        ? inlineBody(req.inlineLine)
        : args.length === 4
          ? args.copy(3)
          : Buffer.concat(args.views(3).flatMap((arg, i) => (i === 0 ? [arg] : [Buffer.from(" "), arg])));
  if (isBlank(body)) throw errorOf(MISSING_ADD_PARAMETERS);
  const retries = boundedArg(args, 2, "retries", 0, MAX_COUNT, INVALID_RETRIES);
  return andThen(
    ctx.broker.addJob({ queue, body, retryBudget: retries, retryOnlyBudget: true, origin: "resp" }),
    (result) => replyWhenDurable(ctx, new SimpleString(result.id), false),
  );
}

function reserve(ctx: RespContext, args: Arguments): HandlerResult {
  const result = ctx.broker.getJobs({
    queues: [queueArg(args, 1)],
    count: 1,
    nohang: true,
    timeoutMs: 0,
    consumer: ctx.client.consumer,
  });
  return andThen(result, (jobs) => {
    const job = jobs?.[0];
    if (!job) throw errorOf(NOTHING_TO_RESERVE);
    return new StatusBytes(Buffer.concat([Buffer.from(`${job.id} `), job.body]));
  });
}

function done(ctx: RespContext, args: Arguments): HandlerResult {
  return andThen(ctx.broker.ackInQueue(queueArg(args, 1), args.latin1(2), "id"), (n) => {
    if (n === 0) throw errorOf(NO_SUCH_ID);
    return replyWhenDurable(ctx, OK, false);
  });
}

function retry(ctx: RespContext, args: Arguments): HandlerResult {
  return andThen(ctx.broker.retryJob(queueArg(args, 1), args.latin1(2)), (outcome) => {
    // Unknown, or out of retries (the job is now a dead letter): the original says the same.
    if (outcome !== "requeued") throw errorOf(NO_RETRIES);
    return replyWhenDurable(ctx, OK, false);
  });
}

/** The original closes without a word (measured). */
function close(ctx: RespContext): Reply {
  ctx.client.closeAfterReply();
  return NO_REPLY;
}

export const takeanumberCommands: Spec[] = [
  {
    name: "len",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "takeanumber",
    summary: "Jobs of the queue waiting to be reserved (reserved jobs are not counted)",
    syntax: "LEN queue",
    handler: len,
  },
  {
    name: "add",
    arity: -2,
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
    summary: "Hand out the oldest waiting job as `+<id> <body>`",
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
    summary:
      "Put the job back at its place (served next) with one retry less, or dead-letter it when none is left",
    syntax: "RETRY queue id",
    handler: retry,
  },
  {
    name: "close",
    arity: 1,
    flags: ["fast"],
    group: "takeanumber",
    summary: "Close the connection, without a reply",
    syntax: "CLOSE",
    handler: close,
  },
];
