import { ClientWait } from "../wait.js";
import type { JobWaitOutcome } from "../../../core/contract.js";
import { andThen } from "../../../util/awaitable.js";
import { MAX_COUNT } from "../../../core/limits.js";
import { SYNTAX_ERROR, boundedArg, errorOf, queueArg, timeoutArg } from "../args.js";
import type { CommandSpec } from "../command.js";
import type { RespContext } from "../context.js";
import { replyWhenDurable } from "../durable.js";
import { SimpleString, type Reply } from "../transport/reply.js";

/** docket's own RESP commands, beyond Disque's: WAITJOB (docs/client.md) and dead letters (docs/dialects.md). */

type Spec = CommandSpec<RespContext>;

/**
 * WAITJOB id [timeout-ms]: blocks until the job is no longer known.
 * `+acked`, `+deleted`, `+expired` (what removed it while waited on), `+gone`
 * (not known when asked), `$-1` on time-out. Time-out 0 or none = forever.
 */
function waitjob(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  if (args.length > 3) throw errorOf(SYNTAX_ERROR);
  const id = args[1]!.toString("latin1");
  const timeoutMs = args.length === 3 ? timeoutArg(args[2]!) : 0;
  const wait = new ClientWait(ctx.client);
  return andThen(wait.watch(ctx.broker.waitJob(id, timeoutMs, wait.signal)), (outcome: JobWaitOutcome) =>
    // An ack is answered once durable; so is the news that a job was acked.
    replyWhenDurable(ctx, outcome === null ? null : new SimpleString(outcome), false),
  );
}

function countArg(arg: Buffer | undefined): number {
  if (arg === undefined) return Number.MAX_SAFE_INTEGER;
  return boundedArg(arg, "count", 1, MAX_COUNT, "count must be a positive integer");
}

function deadletters(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const count = countArg(args[2]);
  return andThen(ctx.broker.deadLetters(queueArg(args[1]!), count), (letters) =>
    letters.map((letter) => [letter.id, letter.body, letter.reason, letter.at]),
  );
}

function redrive(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const count = countArg(args[2]);
  return andThen(ctx.broker.redrive(queueArg(args[1]!), { count: count }), (n) => replyWhenDurable(ctx, n, false));
}

export const docketCommands: Spec[] = [
  {
    name: "waitjob",
    arity: -2,
    flags: ["blocking", "readonly"],
    group: "docket",
    summary: "Block until a job is acknowledged, deleted or expired (or the time-out passes)",
    syntax: "WAITJOB id [timeout-ms]",
    handler: waitjob,
  },
  {
    name: "deadletters",
    arity: -2,
    flags: ["readonly"],
    group: "docket",
    summary: "The queue's dead letters, oldest first: [id, body, reason, ms-time] each",
    syntax: "DEADLETTERS queue [count]",
    handler: deadletters,
  },
  {
    name: "redrive",
    arity: -2,
    flags: ["write"],
    group: "docket",
    summary: "Queue the oldest dead letters again as fresh jobs (all when no count); replies how many",
    syntax: "REDRIVE queue [count]",
    handler: redrive,
  },
];
