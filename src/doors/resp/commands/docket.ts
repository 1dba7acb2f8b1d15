import type { Arguments } from "../transport/arguments.js";
import { ClientWait } from "../wait.js";
import type { JobWaitOutcome } from "../../../core/contract.js";
import { andThen } from "../../../util/awaitable.js";
import { SYNTAX_ERROR, errorOf, timeoutArg, word } from "../args.js";
import type { CommandSpec, HandlerResult } from "../command.js";
import type { RespContext } from "../context.js";
import { replyWhenDurable } from "../durable.js";
import { SimpleString } from "../transport/reply.js";
import { deadLetterCommands } from "./deadletters.js";
import { explainCommand } from "./explain.js";

/** docket's own RESP commands, beyond Disque's: WAITJOB and RESULT (docs/client.md, docs/failures.md), EXPLAIN (docs/explain.md) and dead letters. */

type Spec = CommandSpec<RespContext>;

/**
 * WAITJOB id [timeout-ms] [WITHRESULT]: blocks until the job is no longer
 * known. `+acked`, `+deleted`, `+expired` (what removed it while waited on),
 * `+gone` (not known when asked), `$-1` on time-out. Time-out 0 or none =
 * forever. WITHRESULT: `[outcome, result or nil]` (`[nil, nil]` on time-out).
 */
function waitjob(ctx: RespContext, args: Arguments): HandlerResult {
  let end = args.length;
  const withResult = end > 2 && args.byteLength(end - 1) === 10 && word(args, end - 1) === "withresult";
  if (withResult) end--;
  if (end > 3) throw errorOf(SYNTAX_ERROR);
  const id = args.latin1(1);
  const timeoutMs = end === 3 ? timeoutArg(args, 2) : 0;
  const wait = new ClientWait(ctx.client);
  return andThen(wait.watch(ctx.broker.waitJob(id, timeoutMs, wait.signal)), (outcome: JobWaitOutcome) => {
    const reply = outcome === null ? null : new SimpleString(outcome);
    if (!withResult) return replyWhenDurable(ctx, reply, false);
    const result = outcome === "acked" ? ctx.broker.result(id) : null;
    // An ack is answered once durable; so is the news that a job was acked.
    return andThen(result, (kept) => replyWhenDurable(ctx, [reply, kept?.body ?? null], false));
  });
}

/** RESULT id: what ACKJOB … RESULT left, while it is kept, else nil. */
function result(ctx: RespContext, args: Arguments): HandlerResult {
  return andThen(ctx.broker.result(args.latin1(1)), (kept) => kept?.body ?? null);
}

export const docketCommands: Spec[] = [
  {
    name: "waitjob",
    arity: -2,
    flags: ["blocking", "readonly"],
    group: "docket",
    summary:
      "Block until a job is acknowledged, deleted or expired (or the time-out passes); " +
      "WITHRESULT: [outcome, result]",
    syntax: "WAITJOB id [timeout-ms] [WITHRESULT]",
    handler: waitjob,
  },
  {
    name: "result",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "docket",
    summary: "The result an ACKJOB … RESULT kept (for result-ttl seconds), or nil",
    syntax: "RESULT id",
    handler: result,
  },
  explainCommand,
  ...deadLetterCommands,
];
