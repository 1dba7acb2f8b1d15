import type { Arguments } from "../transport/arguments.js";
import { explanation, type JobExplanation } from "../../../core/explain.js";
import { andThen } from "../../../util/awaitable.js";
import type { CommandSpec } from "../command.js";
import type { RespContext } from "../context.js";
import type { Reply } from "../transport/reply.js";

/**
 * EXPLAIN id (docs/explain.md): why the job is (not) running. The reply is
 * the sentence first, then the facts as field/value pairs, in ExplainFacts'
 * own names (core/explain.ts; id, cause and observedAt first): what redis-cli shows one per line and a
 * client turns into an object. A nested object (a consumer, the last fetch)
 * is itself a field/value array; a list (the fetch's queues) an array;
 * absent facts are left out, null ones are nil.
 */
export function explainReply(facts: JobExplanation): Reply {
  const { text, id, cause, observedAt, ...rest } = facts;
  return [text, "id", id, "cause", cause, "observedAt", observedAt, ...pairs(rest)];
}

function pairs(object: object): Reply[] {
  const out: Reply[] = [];
  for (const [key, value] of Object.entries(object)) {
    if (value === undefined) continue;
    out.push(key, valueReply(value));
  }
  return out;
}

function valueReply(value: unknown): Reply {
  if (value === null) return null;
  if (typeof value === "number" || typeof value === "string") return value;
  if (Array.isArray(value)) return value.map(valueReply);
  if (typeof value === "object") return pairs(value);
  return String(value);
}

function explain(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  const id = args.latin1(1);
  return andThen(ctx.broker.explain(id), (facts) => explainReply(explanation(facts)));
}

export const explainCommand: CommandSpec<RespContext> = {
  name: "explain",
  arity: 2,
  flags: ["readonly", "fast"],
  group: "docket",
  summary:
    "Why is this job not running? The server's answer: [sentence, field, value, …] " +
    "(cause: unknown, done, dead, wait-repl, leased, backoff, delayed, paused, ready)",
  syntax: "EXPLAIN id",
  handler: explain,
};
