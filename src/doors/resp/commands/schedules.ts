import type { Arguments } from "../transport/arguments.js";
import type { JobTemplate, ScheduleDefinition, ScheduleInfo } from "../../../core/contract.js";
import { andThen } from "../../../util/awaitable.js";
import { SYNTAX_ERROR, errorOf, intOrFail, queueArg, str, word } from "../args.js";
import type { CommandSpec } from "../command.js";
import type { RespContext } from "../context.js";
import { retriesArg, runTimeoutArg } from "../failure-args.js";
import type { Reply } from "../transport/reply.js";

/**
 * SCHEDULE SET|GET|DEL|LIST: recurring jobs (docs/schedules.md). One
 * command with subcommands; SET and DEL are writes (through the write gate:
 * refused with MISCONF before any change, answered once durable), GET and
 * LIST only look, so the command itself carries no `write` flag.
 */

/** SCHEDULE LIST's page size when COUNT is not given (as SCAN's) */
const DEFAULT_LIST_COUNT = 10;

/** SCHEDULE GET's reply: every field, in this order, nil when unset. */
export function scheduleReply(info: ScheduleInfo): Reply {
  const t = info.template;
  return [
    "name",
    info.name,
    "cron",
    info.cron ?? null,
    "timezone",
    info.timezone ?? null,
    "every-ms",
    info.everyMs ?? null,
    "queue",
    t.queue,
    "body",
    t.body,
    "ttl",
    t.ttl ?? null,
    "retry",
    t.retry ?? null,
    "priority",
    t.priority ?? null,
    "group",
    t.group ?? null,
    "retries",
    t.retryBudget ?? null,
    "run-timeout",
    t.runTimeoutMs ?? null,
    "next-run-at",
    info.nextRunAt,
    "last-run-at",
    info.lastRunAt,
    "last-job-id",
    info.lastJobId,
    "runs",
    info.runs,
    "created-at",
    info.createdAt,
  ];
}

/** SET name (CRON expr [TZ zone] | EVERY ms) QUEUE q BODY b [TTL s] [RETRY s] [PRIORITY p] [GROUP g] [RETRIES n] [RUNTIMEOUT ms] */
function parseSet(args: Arguments): ScheduleDefinition {
  const name = args.latin1(2);
  const def: Omit<ScheduleDefinition, "template"> = { name };
  let queue: string | undefined;
  let body: Buffer | undefined;
  const template: Partial<JobTemplate> = {};
  for (let i = 3; i < args.length; i += 2) {
    const valueAt = i + 1;
    if (valueAt >= args.length) throw errorOf(SYNTAX_ERROR);
    switch (word(args, i)) {
      case "cron":
        def.cron = str(args, valueAt);
        break;
      case "tz":
        def.timezone = str(args, valueAt);
        break;
      case "every":
        def.everyMs = intOrFail(args, valueAt);
        break;
      case "queue":
        queue = queueArg(args, valueAt);
        break;
      case "body":
        // the argument is a span of the connection's input: kept, so copied
        body = args.copy(valueAt);
        break;
      case "ttl":
        template.ttl = intOrFail(args, valueAt);
        break;
      case "retry":
        template.retry = intOrFail(args, valueAt);
        break;
      case "priority":
        template.priority = intOrFail(args, valueAt);
        break;
      case "group":
        template.group = str(args, valueAt);
        break;
      case "retries":
        template.retryBudget = retriesArg(args.at(valueAt));
        break;
      case "runtimeout":
        template.runTimeoutMs = runTimeoutArg(args.at(valueAt));
        break;
      default:
        throw errorOf(SYNTAX_ERROR);
    }
  }
  if (queue === undefined || body === undefined) throw errorOf("SCHEDULE SET needs QUEUE and BODY");
  return { ...def, template: { ...template, queue, body } };
}

/** LIST [cursor] [COUNT n] */
function parseList(args: Arguments): { cursor: string; count: number } {
  let i = 2;
  let cursor = "0";
  if (i < args.length && word(args, i) !== "count") cursor = args.latin1(i++);
  let count = DEFAULT_LIST_COUNT;
  if (i < args.length) {
    if (word(args, i) !== "count" || args.length !== i + 2) throw errorOf(SYNTAX_ERROR);
    count = intOrFail(args, i + 1);
  }
  return { cursor, count };
}

function schedule(ctx: RespContext, args: Arguments): Reply | Promise<Reply> {
  const sub = word(args, 1);
  const { broker, server } = ctx;
  if (sub === "list") {
    const { cursor, count } = parseList(args);
    return andThen(broker.listSchedules(cursor, count), (page) => [
      page.cursor,
      page.items.map((s) => s.name),
    ]);
  }
  if (sub !== "set" && sub !== "get" && sub !== "del") {
    throw errorOf(
      `unknown SCHEDULE subcommand '${args.at(1)!.toString("utf8", 0, 64)}': SET, GET, DEL or LIST`,
    );
  }
  if (args.length < 3) throw errorOf(`wrong number of arguments for 'schedule|${sub}' command`);
  switch (sub) {
    case "set": {
      const def = parseSet(args);
      return andThen(
        server.gate.write(() => broker.upsertSchedule(def)),
        scheduleReply,
      );
    }
    case "get":
      if (args.length !== 3) throw errorOf(SYNTAX_ERROR);
      return andThen(broker.getSchedule(args.latin1(2)), (info) => (info ? scheduleReply(info) : null));
    case "del":
      if (args.length !== 3) throw errorOf(SYNTAX_ERROR);
      return server.gate.write(() => broker.removeSchedule(args.latin1(2)));
  }
}

export const scheduleCommand: CommandSpec<RespContext> = {
  name: "schedule",
  arity: -2,
  flags: [],
  group: "docket",
  summary:
    "Recurring jobs (docs/schedules.md): SET a schedule (a cron or a fixed interval, and a job template), " +
    "GET it, DEL it, LIST the names in order",
  syntax:
    'SCHEDULE SET name (CRON "expr" [TZ zone] | EVERY ms) QUEUE q BODY b [TTL s] [RETRY s] [PRIORITY p] ' +
    "[GROUP g] [RETRIES n] [RUNTIMEOUT ms] | SCHEDULE GET name | SCHEDULE DEL name | SCHEDULE LIST [cursor] [COUNT n]",
  handler: schedule,
};
