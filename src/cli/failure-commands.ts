import { InvalidArgumentError, type Command } from "commander";
import type {
  DeadLetterDetails,
  DeadLetterSelection,
  QueuePolicy,
  QueuePolicyChange,
} from "../client/index.js";
import { backoffText, rateLimitText } from "../client/codec.js";
import { integer, run, table, withConnection, type ConnOptions } from "./client-commands.js";

/**
 * The CLI's side of failing jobs (docs/failures.md): deadletters, redrive,
 * purge-deadletters, policy, result.
 */

/** dead letters listed when --count is not given */
const LISTED = 100;
/** characters of a body or an error a table shows */
const CELL = 60;

const cell = (text: string): string => {
  const line = text.split("\n")[0]!;
  return line.length > CELL ? `${line.slice(0, CELL - 1)}…` : line;
};

export function positive(value: string): number {
  const n = integer(value);
  if (n === 0) throw new InvalidArgumentError("must be at least 1");
  return n;
}

/** a number, or "default" (back to the server's default; commander cannot hold a null) */
function orDefault(parse: (value: string) => number) {
  return (value: string): number | "default" =>
    value.toLowerCase() === "default" ? "default" : parse(value);
}

const changeOf = (value: number | "default" | undefined): number | null | undefined =>
  value === "default" ? null : value;

interface SelectionOptions extends ConnOptions {
  all?: boolean;
  count?: number;
}

/** Exactly one of --all, ids or --count. */
function selectionOf(ids: string[], options: SelectionOptions): DeadLetterSelection {
  const given = [options.all === true, ids.length > 0, options.count !== undefined].filter(Boolean).length;
  if (given !== 1) throw new Error("say which dead letters: --all, --count n, or ids");
  if (options.all) return "all";
  if (options.count !== undefined) return { count: options.count };
  return { ids };
}

export function deadLetterJson(letter: DeadLetterDetails<string>) {
  return {
    id: letter.id,
    queue: letter.queue,
    body: letter.data,
    reason: letter.reason,
    at: new Date(letter.at).toISOString(),
    retries: letter.retries,
    attempts: letter.attempts.map((a) => ({
      at: new Date(a.at).toISOString(),
      cause: a.cause,
      error: a.error,
    })),
  };
}

/** A policy as `setting value` lines; settings the queue does not set say `default`. */
function policyLines(policy: QueuePolicy): string {
  const value = (v: string | number | undefined) => (v === undefined ? "default" : String(v));
  return table(
    ["setting", "value"],
    [
      ["retries", value(policy.retries)],
      ["backoff", value(policy.backoff && backoffText(policy.backoff))],
      ["run-timeout", value(policy.runTimeout)],
      ["dead-letter-cap", value(policy.deadLetterCap)],
      ["rate", value(policy.rateLimit && rateLimitText(policy.rateLimit))],
      ["group-limit", value(policy.groupLimit)],
    ],
  );
}

export function addFailureCommands(program: Command): void {
  withConnection(
    program
      .command("deadletters")
      .description("a queue's dead letters, oldest first: id, when, tries, last error, body"),
  )
    .argument("<queue>", "queue name")
    .option("--count <n>", `most to list (default ${LISTED})`, positive, LISTED)
    .option("--json", "one JSON array with every attempt")
    .action(async (queue: string, options: ConnOptions & { count: number; json?: boolean }) => {
      await run(options, async (client) => {
        const letters: DeadLetterDetails<string>[] = [];
        for (const listed of await client.deadLetters<string>(queue, options.count)) {
          // redriven or purged since it was listed: skip it
          const letter = await client.deadLetter<string>(listed.id);
          if (letter) letters.push(letter);
        }
        if (options.json) {
          console.log(JSON.stringify(letters.map(deadLetterJson), null, 2));
          return;
        }
        const rows = letters.map((d) => [
          d.id,
          new Date(d.at).toISOString(),
          d.attempts.length,
          cell(d.attempts.at(-1)?.error || d.reason),
          cell(d.data),
        ]);
        console.log(table(["id", "dead since", "tries", "last error", "body"], rows));
      });
    });

  for (const [name, take, verb] of [
    ["redrive", "redrive", "queue dead letters again as fresh jobs with a fresh retry budget"],
    ["purge-deadletters", "purgeDeadLetters", "drop dead letters"],
  ] as const) {
    withConnection(program.command(name).description(`${verb}; prints how many`))
      .argument("<queue>", "queue name")
      .argument("[ids...]", "these dead letters")
      .option("--all", "every dead letter of the queue")
      .option("--count <n>", "the oldest n", positive)
      .option("--json", `print {queue, ${take === "redrive" ? "redriven" : "purged"}}`)
      .action(async (queue: string, ids: string[], options: SelectionOptions & { json?: boolean }) => {
        const which = selectionOf(ids, options);
        await run(options, async (client) => {
          const n = await client[take](queue, which);
          const key = take === "redrive" ? "redriven" : "purged";
          console.log(options.json ? JSON.stringify({ queue, [key]: n }) : n);
        });
      });
  }

  withConnection(
    program
      .command("policy")
      .description(
        "show or change a queue's policy: failures, rate and group limits (\"default\": back to the server's)",
      ),
  )
    .argument("<queue>", "queue name")
    .option("--retries <n>", "failures before a job is dead-lettered", orDefault(integer))
    .option("--backoff <policy>", "fixed:<ms> or exponential:<ms>[:<max-ms>][:jitter]")
    .option("--run-timeout <ms>", "how long a Worker lets a handler run", orDefault(positive))
    .option("--dead-letter-cap <n>", "dead letters kept", orDefault(integer))
    .option("--rate <n/period>", "deliveries per period, e.g. 100/1s, 5/500ms, 1000/1m")
    .option("--group-limit <n>", "jobs of one group in flight at most", orDefault(positive))
    .action(
      async (
        queue: string,
        options: ConnOptions & {
          retries?: number | "default";
          backoff?: string;
          runTimeout?: number | "default";
          deadLetterCap?: number | "default";
          rate?: string;
          groupLimit?: number | "default";
        },
      ) => {
        const change: QueuePolicyChange = {
          retries: changeOf(options.retries),
          runTimeout: changeOf(options.runTimeout),
          deadLetterCap: changeOf(options.deadLetterCap),
          groupLimit: changeOf(options.groupLimit),
        };
        if (options.backoff !== undefined)
          change.backoff = options.backoff.toLowerCase() === "default" ? null : options.backoff;
        if (options.rate !== undefined)
          change.rateLimit = options.rate.toLowerCase() === "default" ? null : options.rate;
        await run(options, async (client) => console.log(policyLines(await client.setPolicy(queue, change))));
      },
    );

  withConnection(program.command("result").description("the result a job was acked with"))
    .argument("<id>", "job id")
    .action(async (id: string, options: ConnOptions) => {
      await run(options, async (client) => {
        const result = await client.result<string>(id);
        if (result === undefined) {
          console.error(`docket: no result kept for ${id}`);
          process.exitCode = 2;
          return;
        }
        console.log(result);
      });
    });
}
