import { andThen } from "../../util/awaitable.js";
import { errorOf, parseIntArg, str } from "./args.js";
import type { CommandSpec } from "./command.js";
import type { RespContext } from "./context.js";
import { replyWhenDurable } from "./durable.js";
import type { Reply } from "./reply.js";

/** docket's own commands: the dead-letter lists. */

type Spec = CommandSpec<RespContext>;

function countArg(arg: Buffer | undefined): number {
  if (arg === undefined) return Number.MAX_SAFE_INTEGER;
  const n = parseIntArg(arg);
  if (n === undefined || n < 1) throw errorOf("count must be a positive integer");
  return n;
}

function deadletters(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const count = countArg(args[2]);
  return andThen(ctx.broker.deadLetters(str(args[1]!), count), (letters) =>
    letters.map((letter) => [letter.id, letter.body, letter.reason, letter.at]),
  );
}

function redrive(ctx: RespContext, args: Buffer[]): Reply | Promise<Reply> {
  const count = countArg(args[2]);
  return andThen(ctx.broker.redrive(str(args[1]!), count), (n) => replyWhenDurable(ctx, n, false));
}

export const docketCommands: Spec[] = [
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
