import type { Arguments } from "../transport/arguments.js";
import type { DeadLetterInfo, QueuePolicy } from "../../../core/contract.js";
import { formatBackoff } from "../../../core/failures.js";
import { MAX_COUNT } from "../../../core/limits.js";
import { andThen } from "../../../util/awaitable.js";
import { SYNTAX_ERROR, boundedArg, errorOf, queueArg, word, wordOf } from "../args.js";
import type { CommandSpec, HandlerResult } from "../command.js";
import type { RespContext } from "../context.js";
import { replyWhenDurable } from "../durable.js";
import { backoffArg, deadLetterCapArg, retriesArg, runTimeoutArg, selectionArgs } from "../failure-args.js";
import { groupLimitArg, rateArg, schedulingPolicy } from "../scheduling-args.js";
import type { Reply } from "../transport/reply.js";
import { attemptsReply } from "./disque-inspect.js";

/**
 * docket's dead-letter and queue-policy commands (docs/failures.md):
 * DEADLETTERS, DEADLETTER, REDRIVE, DEADPURGE, QPOLICY.
 */

type Spec = CommandSpec<RespContext>;

function countArg(args: Arguments, i: number): number {
  if (i >= args.length) return MAX_COUNT;
  return boundedArg(args, i, "count", 1, MAX_COUNT, "count must be a positive integer");
}

function deadletters(ctx: RespContext, args: Arguments): HandlerResult {
  if (args.length > 3) throw errorOf(SYNTAX_ERROR);
  const count = countArg(args, 2);
  return andThen(ctx.broker.deadLetters(queueArg(args, 1), count), (letters) =>
    letters.map((letter) => [letter.id, letter.body, letter.reason, letter.at]),
  );
}

function deadLetterReply(letter: DeadLetterInfo): Reply {
  return [
    "id",
    letter.id,
    "queue",
    letter.queue,
    "body",
    letter.body,
    "reason",
    letter.reason,
    "at",
    letter.at,
    "retries",
    letter.retryBudget,
    "attempts",
    attemptsReply(letter.attempts),
  ];
}

function deadletter(ctx: RespContext, args: Arguments): HandlerResult {
  return andThen(ctx.broker.deadLetter(args.latin1(1)), (letter) =>
    letter ? deadLetterReply(letter) : null,
  );
}

function redrive(ctx: RespContext, args: Arguments): HandlerResult {
  const queue = queueArg(args, 1);
  const which = selectionArgs(args, 2);
  return andThen(ctx.broker.redrive(queue, which), (n) => replyWhenDurable(ctx, n, false));
}

function deadpurge(ctx: RespContext, args: Arguments): HandlerResult {
  const queue = queueArg(args, 1);
  const which = selectionArgs(args, 2);
  return andThen(ctx.broker.purgeDeadLetters(queue, which), (n) => replyWhenDurable(ctx, n, false));
}

// ------------------------------------------------------------------ QPOLICY

/** QPOLICY's reply: the policy's settings as options (a client may send them back as they are). */
export function policyReply(policy: QueuePolicy): Reply {
  const out: Reply[] = [];
  if (policy.retryBudget !== undefined) out.push("retries", policy.retryBudget);
  if (policy.backoff !== undefined) out.push("backoff", formatBackoff(policy.backoff));
  if (policy.runTimeoutMs !== undefined) out.push("runtimeout", policy.runTimeoutMs);
  if (policy.deadLetterCap !== undefined) out.push("deadletter-cap", policy.deadLetterCap);
  out.push(...schedulingPolicy(policy));
  return out;
}

type PolicyChange = { [K in keyof QueuePolicy]?: QueuePolicy[K] | null };

/** Each option with its value, or DEFAULT (null: back to the server's). */
function parsePolicyChange(args: Arguments): PolicyChange {
  const change: PolicyChange = {};
  for (let i = 2; i < args.length; i += 2) {
    const option = word(args, i);
    const value = args.at(i + 1);
    if (value === undefined) throw errorOf(SYNTAX_ERROR);
    const reset = value.length === 7 && wordOf(value) === "default";
    if (option === "retries") change.retryBudget = reset ? null : retriesArg(value);
    else if (option === "backoff") change.backoff = reset ? null : backoffArg(value);
    else if (option === "runtimeout") change.runTimeoutMs = reset ? null : runTimeoutArg(value);
    else if (option === "deadletter-cap") change.deadLetterCap = reset ? null : deadLetterCapArg(value);
    else if (option === "rate") change.rateLimit = reset ? null : rateArg(value);
    else if (option === "grouplimit") change.groupLimit = reset ? null : groupLimitArg(value);
    else throw errorOf(SYNTAX_ERROR);
  }
  return change;
}

/** The policy after `change`: the settings it names replaced or (null) dropped, the others kept. */
function changedPolicy(policy: QueuePolicy, change: PolicyChange): QueuePolicy {
  const next: Record<string, unknown> = { ...policy };
  for (const [key, value] of Object.entries(change)) {
    if (value === null) delete next[key];
    else next[key] = value;
  }
  return next as QueuePolicy;
}

/**
 * QPOLICY queue [RETRIES n|DEFAULT] [BACKOFF p|DEFAULT] [RUNTIMEOUT ms|DEFAULT]
 * [DEADLETTER-CAP n|DEFAULT] [RATE n/period|DEFAULT] [GROUPLIMIT n|DEFAULT]: changes the settings named (the others stay),
 * and answers the policy after it; no option: reads it.
 */
function qpolicy(ctx: RespContext, args: Arguments): HandlerResult {
  const queue = queueArg(args, 1);
  const change = parsePolicyChange(args);
  const current = ctx.broker.queuePolicy(queue);
  if (args.length === 2) return andThen(current, policyReply);
  return andThen(current, (policy) =>
    andThen(ctx.broker.setQueuePolicy(queue, changedPolicy(policy, change)), (after) =>
      replyWhenDurable(ctx, policyReply(after), false),
    ),
  );
}

export const deadLetterCommands: Spec[] = [
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
    name: "deadletter",
    arity: 2,
    flags: ["readonly", "fast"],
    group: "docket",
    summary:
      "One dead letter with its attempts: id queue body reason at retries attempts " +
      "([ms-time, cause, error] each), or nil",
    syntax: "DEADLETTER id",
    handler: deadletter,
  },
  {
    name: "redrive",
    arity: -2,
    flags: ["write"],
    group: "docket",
    summary:
      "Queue dead letters again as fresh jobs with a fresh retry budget (the oldest count, these ids, " +
      "or all); replies how many",
    syntax: "REDRIVE queue [count | IDS id [id ...]]",
    handler: redrive,
  },
  {
    name: "deadpurge",
    arity: -2,
    flags: ["write"],
    group: "docket",
    summary: "Drop dead letters (the oldest count, these ids, or all); replies how many",
    syntax: "DEADPURGE queue [count | IDS id [id ...]]",
    handler: deadpurge,
  },
  {
    name: "qpolicy",
    arity: -2,
    flags: ["write"],
    group: "docket",
    summary:
      "A queue's policy: the failure defaults its new jobs get (DEFAULT: the server's), its rate limit " +
      "and its in-flight limit per group; replies the policy after it as option/value pairs",
    syntax:
      "QPOLICY queue [RETRIES n|DEFAULT] [BACKOFF policy|DEFAULT] [RUNTIMEOUT ms|DEFAULT] " +
      "[DEADLETTER-CAP n|DEFAULT] [RATE n/period|DEFAULT] [GROUPLIMIT n|DEFAULT]",
    handler: qpolicy,
  },
];
