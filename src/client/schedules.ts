import { type Call, decode, encode, num, pairs, seconds, text } from "./codec.js";
import type { Decode, Schedule, ScheduleTemplate, ScheduleTiming } from "./types.js";

/**
 * Recurring jobs (docs/schedules.md) over SCHEDULE SET/GET/DEL/LIST:
 * `client.schedules`. A schedule is named; setting one that exists replaces
 * its timing and template (an upsert).
 */

/** names asked for per SCHEDULE LIST page when no count is given */
const PAGE = 100;

/** SCHEDULE GET's field/value reply (SET answers the same); ttl and retry come in seconds. */
function scheduleOf<T>(reply: unknown[], how: Decode): Schedule<T> {
  const f = pairs(reply);
  const body = f.get("body") as Buffer;
  const cron = text(f.get("cron"));
  const timezone = text(f.get("timezone"));
  const timing: ScheduleTiming =
    cron !== undefined
      ? { cron, ...(timezone === undefined ? {} : { timezone }) }
      : { every: num(f.get("every-ms")) ?? 0 };
  const template: Schedule<T>["template"] = {
    queue: text(f.get("queue"))!,
    data: decode(body, how) as T,
    body,
  };
  const optional = (field: string, scale = 1) => {
    const n = num(f.get(field));
    return n === undefined ? undefined : n * scale;
  };
  const ttl = optional("ttl", 1000);
  if (ttl !== undefined) template.ttl = ttl;
  const retry = optional("retry", 1000);
  if (retry !== undefined) template.retryAfter = retry;
  const priority = optional("priority");
  if (priority !== undefined) template.priority = priority;
  const group = text(f.get("group"));
  if (group !== undefined) template.group = group;
  const retries = optional("retries");
  if (retries !== undefined) template.retries = retries;
  const runTimeout = optional("run-timeout");
  if (runTimeout !== undefined) template.runTimeout = runTimeout;
  return {
    name: text(f.get("name"))!,
    timing,
    template,
    nextRunAt: num(f.get("next-run-at")) ?? 0,
    lastRunAt: num(f.get("last-run-at")) ?? null,
    lastJobId: text(f.get("last-job-id")) ?? null,
    runs: num(f.get("runs")) ?? 0,
    createdAt: num(f.get("created-at")) ?? 0,
  };
}

/** SCHEDULE SET's arguments after the name. */
function setArgs(timing: ScheduleTiming, template: ScheduleTemplate): Array<string | Buffer | number> {
  const args: Array<string | Buffer | number> = [];
  if ("cron" in timing) {
    args.push("CRON", timing.cron);
    if (timing.timezone !== undefined) args.push("TZ", timing.timezone);
  } else {
    args.push("EVERY", Math.max(0, Math.ceil(timing.every)));
  }
  args.push("QUEUE", template.queue, "BODY", encode(template.data));
  if (template.ttl !== undefined) args.push("TTL", seconds(template.ttl));
  if (template.retryAfter !== undefined) args.push("RETRY", seconds(template.retryAfter));
  if (template.priority !== undefined) args.push("PRIORITY", template.priority);
  if (template.group !== undefined) args.push("GROUP", template.group);
  if (template.retries !== undefined) args.push("RETRIES", template.retries);
  if (template.runTimeout !== undefined) args.push("RUNTIMEOUT", Math.max(0, Math.ceil(template.runTimeout)));
  return args;
}

/** `client.schedules`: recurring jobs, by name. */
export class Schedules {
  /** @internal */
  constructor(
    private readonly call: Call,
    private readonly how: Decode,
  ) {}

  /** Creates the schedule, or replaces its timing and template; resolves with it as the server keeps it. */
  async upsert<T = unknown>(
    name: string,
    timing: ScheduleTiming,
    template: ScheduleTemplate<T>,
  ): Promise<Schedule<T>> {
    const reply = await this.call(true, ["SCHEDULE", "SET", name, ...setArgs(timing, template)]);
    if (!Array.isArray(reply)) throw new Error("unexpected SCHEDULE SET reply");
    return scheduleOf<T>(reply, this.how);
  }

  /** The schedule, or null when there is none by that name. */
  async get<T = unknown>(name: string): Promise<Schedule<T> | null> {
    const reply = await this.call(true, ["SCHEDULE", "GET", name]);
    return Array.isArray(reply) ? scheduleOf<T>(reply, this.how) : null;
  }

  /** Deletes the schedule (the jobs it added stay); resolves with whether it existed. */
  async remove(name: string): Promise<boolean> {
    return Number(await this.call(false, ["SCHEDULE", "DEL", name])) === 1;
  }

  /**
   * Every schedule's name, in order, a SCHEDULE LIST page (`count` names,
   * default 100) per round trip: `for await (const name of jobs.schedules.list())`.
   */
  async *list(options: { count?: number } = {}): AsyncGenerator<string, void, undefined> {
    let cursor = "0";
    do {
      const reply = (await this.call(false, [
        "SCHEDULE",
        "LIST",
        cursor,
        "COUNT",
        options.count ?? PAGE,
      ])) as [unknown, unknown[]];
      cursor = text(reply[0]) ?? "0";
      for (const name of reply[1]) yield text(name)!;
    } while (cursor !== "0");
  }
}
