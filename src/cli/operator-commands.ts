import { InvalidArgumentError, type Command } from "commander";
import type {
  DeadLetterDetails,
  ExplainConsumer,
  Explanation,
  JobDetails,
  PauseState,
} from "../client/index.js";
import { backoffText } from "../client/codec.js";
import { run, withConnection, type ConnOptions } from "./client-commands.js";
import { deadLetterJson } from "./failure-commands.js";
import { duration, fieldLines, iso, prettyBody } from "./format.js";

/**
 * The operator's verbs on queues and jobs: pause, resume, show, delete, why
 * (`top` is in top.ts; deadletters and redrive in failure-commands.ts).
 * Each prints for people, or one JSON document with --json; a job that is
 * not known exits 2 with a message on stderr, a refused request exits 1.
 */

interface JsonOption extends ConnOptions {
  json?: boolean;
}

const PAUSES = ["in", "out", "all"] as const;

function pauseOp(value: string): (typeof PAUSES)[number] {
  const op = value.toLowerCase();
  if (!(PAUSES as readonly string[]).includes(op)) throw new InvalidArgumentError("in, out or all");
  return op as (typeof PAUSES)[number];
}

function printPause(queue: string, state: PauseState, json: boolean | undefined): void {
  if (json) console.log(JSON.stringify({ queue, pause: state }));
  else console.log(state === "none" ? `${queue}: not paused` : `${queue}: paused ${state}`);
}

/** The job as JSON: times ISO, durations ms. */
function jobJson(job: JobDetails<string>) {
  return {
    id: job.id,
    queue: job.queue,
    state: job.state,
    body: job.data,
    createdAt: iso(job.createdAt),
    ttl: job.ttl,
    delay: job.delay,
    retryAfter: job.retryAfter,
    nextRequeueIn: job.nextRequeueIn,
    nacks: job.nacks,
    additionalDeliveries: job.additionalDeliveries,
    retries: job.retries ?? null,
    retriesLeft: job.retriesLeft ?? null,
    backoff: job.backoff ? backoffText(job.backoff) : null,
    runTimeout: job.runTimeout ?? null,
    backoffUntil: job.backoffUntil === undefined ? null : iso(job.backoffUntil),
    attempts: (job.attempts ?? []).map((a) => ({ at: iso(a.at), cause: a.cause, error: a.error })),
    priority: job.priority,
    group: job.group ?? null,
    key: job.key ?? null,
    keyExpiresAt: job.keyExpiresAt === undefined ? null : iso(job.keyExpiresAt),
    schedule: job.schedule ?? null,
  };
}

function jobLines(job: JobDetails<string>, now: number): string {
  const rows: Array<[string, string | number]> = [
    ["id", job.id],
    ["queue", job.queue],
    ["state", job.state],
    ["created", `${iso(job.createdAt)} (${duration(now - job.createdAt)} ago)`],
    ["ttl left", duration(job.ttl)],
    ["delay", duration(job.delay)],
    ["retry after", job.retryAfter === 0 ? "0 (at most once)" : duration(job.retryAfter)],
    ["next requeue", job.nextRequeueIn === null ? "-" : `in ${duration(job.nextRequeueIn)}`],
    ["nacks", job.nacks],
    ["extra deliveries", job.additionalDeliveries],
    [
      "retries",
      job.retries === undefined || job.retries < 0
        ? "unlimited"
        : `${job.retries}${job.retriesLeft === undefined ? "" : ` (${job.retriesLeft} left)`}`,
    ],
    ["backoff", job.backoff ? backoffText(job.backoff) : "default"],
    ["run timeout", job.runTimeout ? duration(job.runTimeout) : "none"],
    ["priority", job.priority],
  ];
  if (job.group !== undefined) rows.push(["group", job.group]);
  if (job.key !== undefined) {
    const expires = job.keyExpiresAt;
    rows.push(["key", expires === undefined ? job.key : `${job.key} (expires ${iso(expires)})`]);
  }
  if (job.schedule !== undefined) rows.push(["schedule", job.schedule]);
  if (job.backoffUntil !== undefined)
    rows.push(["backoff until", `${iso(job.backoffUntil)} (in ${duration(job.backoffUntil - now)})`]);
  const attempts = job.attempts ?? [];
  rows.push([
    "attempts",
    attempts.length === 0
      ? "none failed"
      : attempts
          .map((a, i) => `#${i + 1} ${iso(a.at)} ${a.cause}${a.error ? `: ${a.error}` : ""}`)
          .join("\n"),
  ]);
  rows.push(["body", prettyBody(job.data)]);
  return fieldLines(rows);
}

const consumerText = (c: ExplainConsumer | null) =>
  c ? `client ${c.id} (${c.addr})` : "a client that has gone";

/** A dead letter (SHOW does not know it: it left the jobs), as show prints jobs. */
function deadLetterLines(d: DeadLetterDetails<string>, now: number): string {
  const attempts = d.attempts.map(
    (a, i) => `#${i + 1} ${iso(a.at)} ${a.cause}${a.error ? `: ${a.error}` : ""}`,
  );
  return fieldLines([
    ["id", d.id],
    ["queue", d.queue],
    ["state", "dead"],
    ["dead since", `${iso(d.at)} (${duration(now - d.at)} ago)`],
    ["reason", d.reason],
    ["retries", d.retries < 0 ? "unlimited" : d.retries],
    ["attempts", attempts.length === 0 ? "none kept" : attempts.join("\n")],
    ["body", prettyBody(d.data)],
  ]);
}

/** A fact for people: times as ISO (with how long from now), consumers and the last fetch in words. */
function factText(key: string, value: unknown, now: number): string {
  // as the sentence says it: a lease whose connection is gone (or a door that names none)
  if (key === "leasedTo") return consumerText(value as ExplainConsumer | null);
  if (value === null) return "-";
  if (key === "pausedBy") return consumerText(value as ExplainConsumer);
  if (key === "lastFetch") {
    const f = value as NonNullable<Explanation["lastFetch"]>;
    return `${factText("at", f.at, now)} by ${consumerText(f.consumer)} on [${f.queues.join(", ")}]`;
  }
  if (typeof value === "number" && /(^at|At|until|Since)$/.test(key)) {
    if (key === "until" && value === 0) return "0 (never: at most once)";
    if (key === "observedAt") return iso(value);
    return `${iso(value)} (${value >= now ? `in ${duration(value - now)}` : `${duration(now - value)} ago`})`;
  }
  return String(value);
}

function explanationLines(e: Explanation): string {
  const { text, ...facts } = e;
  const rows = Object.entries(facts).map(([key, value]): [string, string] => [
    key,
    factText(key, value, e.observedAt),
  ]);
  return `${text}\n\n${fieldLines(rows)}`;
}

function notKnown(id: string): void {
  console.error(`docket: no job ${id}`);
  process.exitCode = 2;
}

export function addOperatorCommands(program: Command): void {
  withConnection(
    program
      .command("pause")
      .description(
        "pause a queue: out stops fetches (default), in refuses adds, all both (replaces its pause); prints its state",
      ),
  )
    .argument("<queue>", "queue name")
    .argument("[how]", "in, out or all", pauseOp, "out")
    .option("--json", "print {queue, pause}")
    .action(async (queue: string, how: (typeof PAUSES)[number], options: JsonOption) => {
      await run(options, async (client) => printPause(queue, await client.pause(queue, how), options.json));
    });

  withConnection(program.command("resume").description("end a queue's pause (in and out); prints its state"))
    .argument("<queue>", "queue name")
    .option("--json", "print {queue, pause}")
    .action(async (queue: string, options: JsonOption) => {
      await run(options, async (client) => printPause(queue, await client.resume(queue), options.json));
    });

  withConnection(
    program.command("show").description("everything the server knows about a job, or a dead letter"),
  )
    .argument("<id>", "job id")
    .option("--json", "one JSON object")
    .action(async (id: string, options: JsonOption) => {
      await run(options, async (client) => {
        const job = await client.show<string>(id);
        if (job) {
          console.log(options.json ? JSON.stringify(jobJson(job), null, 2) : jobLines(job, Date.now()));
          return;
        }
        const dead = await client.deadLetter<string>(id);
        if (!dead) return notKnown(id);
        const json = { ...deadLetterJson(dead), state: "dead" };
        console.log(options.json ? JSON.stringify(json, null, 2) : deadLetterLines(dead, Date.now()));
      });
    });

  withConnection(
    program.command("delete").description("delete jobs whatever their state; prints how many were known"),
  )
    .argument("<ids...>", "job ids")
    .option("--json", "print {deleted, unknown}")
    .action(async (ids: string[], options: JsonOption) => {
      await run(options, async (client) => {
        const deleted = await client.delete(...ids);
        const unknown = new Set(ids).size - deleted;
        console.log(options.json ? JSON.stringify({ deleted, unknown }) : deleted);
        if (unknown > 0) {
          console.error(`docket: ${unknown} of the jobs ${unknown === 1 ? "was" : "were"} not known`);
          process.exitCode = 2;
        }
      });
    });

  withConnection(
    program
      .command("why")
      .description("why a job is (not) running: the server's explanation, then the facts behind it"),
  )
    .argument("<id>", "job id")
    .option("--json", "the explanation as one object (as HTTP's GET /v1/jobs/:id/explain)")
    .action(async (id: string, options: JsonOption) => {
      await run(options, async (client) => {
        const answer = await client.explain(id);
        console.log(options.json ? JSON.stringify(answer, null, 2) : explanationLines(answer));
        if (answer.cause === "unknown") process.exitCode = 2;
      });
    });
}
