import { InvalidArgumentError, type Command } from "commander";
import type { Schedule, ScheduleTiming } from "../client/index.js";
import { integer, run, table, withConnection, type ConnOptions } from "./client-commands.js";
import { positive } from "./failure-commands.js";
import { duration, fieldLines, iso, prettyBody } from "./format.js";

/**
 * `docket schedule set|get|list|del`: recurring jobs (docs/schedules.md),
 * over the client's `schedules` (SCHEDULE SET/GET/LIST/DEL). A schedule
 * that is not there exits 2, as an unknown job does for `show`.
 */

interface JsonOption extends ConnOptions {
  json?: boolean;
}

interface SetOptions extends JsonOption {
  cron?: string;
  tz?: string;
  every?: number;
  ttl?: number;
  retry?: number;
  priority?: number;
  group?: string;
  retries?: number;
  runTimeout?: number;
}

function timingOf(options: SetOptions): ScheduleTiming {
  if ((options.cron === undefined) === (options.every === undefined))
    throw new InvalidArgumentError("give either --cron or --every");
  if (options.every !== undefined) {
    if (options.tz !== undefined) throw new InvalidArgumentError("--tz goes with --cron only");
    return { every: options.every };
  }
  return { cron: options.cron!, ...(options.tz === undefined ? {} : { timezone: options.tz }) };
}

const timingText = (t: ScheduleTiming): string =>
  "every" in t ? `every ${duration(t.every)}` : `cron ${t.cron} (${t.timezone ?? "UTC"})`;

const when = (ms: number, now: number): string =>
  `${iso(ms)} (${ms >= now ? `in ${duration(ms - now)}` : `${duration(now - ms)} ago`})`;

/** The schedule as JSON: times ISO, durations ms, what it does not have null. */
export function scheduleJson(s: Schedule<string>) {
  const t = s.template;
  return {
    name: s.name,
    cron: "cron" in s.timing ? s.timing.cron : null,
    timezone: "cron" in s.timing ? (s.timing.timezone ?? null) : null,
    everyMs: "every" in s.timing ? s.timing.every : null,
    queue: t.queue,
    body: t.data,
    ttl: t.ttl ?? null,
    retryAfter: t.retryAfter ?? null,
    priority: t.priority ?? null,
    group: t.group ?? null,
    retries: t.retries ?? null,
    runTimeout: t.runTimeout ?? null,
    nextRunAt: iso(s.nextRunAt),
    lastRunAt: s.lastRunAt === null ? null : iso(s.lastRunAt),
    lastJobId: s.lastJobId,
    runs: s.runs,
    createdAt: iso(s.createdAt),
  };
}

function scheduleLines(s: Schedule<string>, now: number): string {
  const t = s.template;
  const rows: Array<[string, string | number]> = [
    ["name", s.name],
    ["timing", timingText(s.timing)],
    ["queue", t.queue],
    ["next run", when(s.nextRunAt, now)],
    ["last run", s.lastRunAt === null ? "-" : when(s.lastRunAt, now)],
    ["last job", s.lastJobId ?? "-"],
    ["runs", s.runs],
    ["created", when(s.createdAt, now)],
  ];
  if (t.ttl !== undefined) rows.push(["ttl", duration(t.ttl)]);
  if (t.retryAfter !== undefined) rows.push(["retry after", duration(t.retryAfter)]);
  if (t.priority !== undefined) rows.push(["priority", t.priority]);
  if (t.group !== undefined) rows.push(["group", t.group]);
  if (t.retries !== undefined) rows.push(["retries", t.retries]);
  if (t.runTimeout !== undefined) rows.push(["run timeout", duration(t.runTimeout)]);
  rows.push(["body", prettyBody(t.data)]);
  return fieldLines(rows);
}

function print(s: Schedule<string>, json: boolean | undefined): void {
  console.log(json ? JSON.stringify(scheduleJson(s), null, 2) : scheduleLines(s, Date.now()));
}

function notKnown(name: string): void {
  console.error(`docket: no schedule named '${name}'`);
  process.exitCode = 2;
}

export function addScheduleCommands(program: Command): void {
  const schedule = program
    .command("schedule")
    .description("recurring jobs: set, get, list, del (docs/schedules.md)");

  withConnection(
    schedule
      .command("set")
      .description("create a schedule or replace its timing and job (--cron or --every); prints it"),
  )
    .argument("<name>", "schedule name")
    .argument("<queue>", "queue its jobs go to")
    .argument("<body>", "body of each job (sent as is)")
    .option("--cron <expr>", 'cron expression, 5 or 6 fields (seconds first), e.g. "0 3 * * *"')
    .option("--tz <zone>", "IANA time zone of --cron (default UTC)")
    .option("--every <ms>", "a fixed interval instead (at least 1000)", positive)
    .option("--ttl <ms>", "each job is removed after this long", integer)
    .option("--retry <ms>", "re-deliver a job not acked within this long (0 = at most once)", integer)
    .option("--priority <n>", "0 is served first (default 1024)", integer)
    .option("--group <group>", "the jobs' group")
    .option("--retries <n>", "failures before a job is dead-lettered", integer)
    .option("--run-timeout <ms>", "how long a Worker lets its handler run", integer)
    .option("--json", "one JSON object")
    .action(async (name: string, queue: string, body: string, options: SetOptions) => {
      const timing = timingOf(options);
      await run(options, async (client) => {
        const saved = await client.schedules.upsert<string>(name, timing, {
          queue,
          data: body,
          ttl: options.ttl,
          retryAfter: options.retry,
          priority: options.priority,
          group: options.group,
          retries: options.retries,
          runTimeout: options.runTimeout,
        });
        print(saved, options.json);
      });
    });

  withConnection(schedule.command("get").description("one schedule: timing, job, next and last run"))
    .argument("<name>", "schedule name")
    .option("--json", "one JSON object")
    .action(async (name: string, options: JsonOption) => {
      await run(options, async (client) => {
        const found = await client.schedules.get<string>(name);
        if (found) print(found, options.json);
        else notKnown(name);
      });
    });

  withConnection(
    schedule.command("list").description("every schedule as a table: name, timing, queue, next run, runs"),
  )
    .option("--json", "one JSON array")
    .action(async (options: JsonOption) => {
      await run(options, async (client) => {
        const all: Schedule<string>[] = [];
        for await (const name of client.schedules.list()) {
          // deleted since it was listed: skip it
          const found = await client.schedules.get<string>(name);
          if (found) all.push(found);
        }
        if (options.json) {
          console.log(JSON.stringify(all.map(scheduleJson), null, 2));
          return;
        }
        const now = Date.now();
        const rows = all.map((s) => [
          s.name,
          timingText(s.timing),
          s.template.queue,
          when(s.nextRunAt, now),
          s.runs,
        ]);
        console.log(table(["name", "timing", "queue", "next run", "runs"], rows));
      });
    });

  withConnection(schedule.command("del").description("delete a schedule (its jobs stay); prints 1"))
    .argument("<name>", "schedule name")
    .action(async (name: string, options: ConnOptions) => {
      await run(options, async (client) => {
        if (await client.schedules.remove(name)) console.log(1);
        else notKnown(name);
      });
    });
}
