import { InvalidArgumentError, type Command } from "commander";
import type { Client, Job } from "../client/index.js";
import { rateLimitText } from "../client/codec.js";
import { addFailureCommands } from "./failure-commands.js";
import { addOperatorCommands } from "./operator-commands.js";
import { addScheduleCommands } from "./schedule-commands.js";
import { addTopCommand } from "./top.js";

/**
 * The client commands beside `serve`: add, get, ack, stats, peek, the
 * failure commands (failure-commands.ts) and the operator's (operator-commands.ts, top.ts). Each connects with
 * --host/--port/--password, prints a readable result and exits non-zero
 * with a message on stderr when something fails.
 */

export function integer(value: string): number {
  const n = Number(value);
  if (!/^[0-9]+$/.test(value) || !Number.isSafeInteger(n))
    throw new InvalidArgumentError("not a whole number");
  return n;
}

export interface ConnOptions {
  host: string;
  port: number;
  password?: string;
}

export function withConnection(cmd: Command): Command {
  return cmd
    .option("--host <host>", "server address", "127.0.0.1")
    .option("--port <port>", "server RESP port", integer, 7711)
    .option("--password <password>", "password to AUTH with (default: $DOCKET_PASSWORD)");
}

export async function run(options: ConnOptions, fn: (client: Client) => Promise<void>): Promise<void> {
  // the client library (and ioredis) loads here, so that `docket serve` starts without it
  const { connect } = await import("../client/index.js");
  const client = connect(`${options.host}:${options.port}`, {
    // the variable keeps the password out of `ps`, as for `docket serve`
    password: options.password ?? (process.env.DOCKET_PASSWORD || undefined),
    failoverTimeout: 0,
    connectTimeout: 2000,
    decode: "string",
  });
  try {
    await fn(client);
  } finally {
    client.close();
  }
}

function printJobs(jobs: Job[]): void {
  for (const job of jobs) console.log(`${job.id}\t${job.queue}\t${String(job.data)}`);
}

/** Renders rows as a left-aligned table with a header. */
export function table(header: string[], rows: Array<Array<string | number>>): string {
  const all = [header, ...rows.map((row) => row.map(String))];
  const widths = header.map((_, i) => Math.max(...all.map((row) => row[i]!.length)));
  return all
    .map((row) =>
      row
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join("  ")
        .trimEnd(),
    )
    .join("\n");
}

export function addClientCommands(program: Command): void {
  withConnection(program.command("add").description("add a job; prints its id"))
    .argument("<queue>", "queue name")
    .argument("<body>", "job body (sent as is)")
    .option("--delay <ms>", "enqueue only after this long", integer)
    .option("--ttl <ms>", "remove the job after this long", integer)
    .option("--retry <ms>", "re-deliver if not acked within this long (0 = at most once)", integer)
    .option("--maxlen <n>", "refuse when the queue already holds n jobs", integer)
    .option("--retries <n>", "failures before the job is dead-lettered (default: the queue's)", integer)
    .option("--backoff <policy>", "fixed:<ms> or exponential:<ms>[:<max-ms>][:jitter]")
    .option("--run-timeout <ms>", "how long a Worker lets its handler run", integer)
    .option("--priority <n>", "0 is served first (default 1024)", integer)
    .option("--key <key>", "idempotency key: a second add with it adds nothing and prints the first job's id")
    .option("--key-ttl <ms>", "how long the key is remembered (default 24 h)", integer)
    .option("--group <group>", "the job's group (groups are served round-robin)")
    .action(
      async (
        queue: string,
        body: string,
        options: ConnOptions &
          Record<string, number | undefined> & { backoff?: string; key?: string; group?: string },
      ) => {
        await run(options, async (client) => {
          const job = await client
            .with({
              delay: options.delay,
              ttl: options.ttl,
              retryAfter: options.retry,
              maxLen: options.maxlen,
              retries: options.retries,
              backoff: options.backoff,
              runTimeout: options.runTimeout,
              priority: options.priority,
              key: options.key,
              keyTtl: options.keyTtl,
              group: options.group,
            })
            .add(body, queue);
          console.log(job.id);
          if (job.duplicate)
            console.error(`docket: duplicate key: nothing added, job ${job.id} is ${job.state}`);
        });
      },
    );

  withConnection(
    program.command("get").description("take jobs (left-most queue first); prints id, queue, body"),
  )
    .argument("<queues...>", "queues, highest priority first")
    .option("--count <n>", "most jobs to take", integer, 1)
    .option("--timeout <ms>", "how long to block (0 = forever)", integer, 0)
    .action(async (queues: string[], options: ConnOptions & { count: number; timeout: number }) => {
      await run(options, async (client) => {
        const jobs = await client.fetch(queues, { count: options.count, timeout: options.timeout });
        if (jobs.length === 0) {
          console.error("docket: no job before the time-out");
          process.exitCode = 2;
          return;
        }
        printJobs(jobs);
      });
    });

  withConnection(program.command("ack").description("acknowledge jobs; prints how many were known"))
    .argument("<ids...>", "job ids")
    .action(async (ids: string[], options: ConnOptions) => {
      await run(options, async (client) => {
        console.log(await client.ack(...ids));
      });
    });

  withConnection(program.command("peek").description("show the next jobs of a queue without taking them"))
    .argument("<queue>", "queue name")
    .argument("[n]", "how many (negative: newest first)", (v: string) => {
      const n = Number(v);
      if (!/^-?[0-9]+$/.test(v) || !Number.isSafeInteger(n))
        throw new InvalidArgumentError("not a whole number");
      return n;
    })
    .action(async (queue: string, n: number | undefined, options: ConnOptions) => {
      await run(options, async (client) => printJobs(await client.peek(queue, n ?? 10)));
    });

  withConnection(program.command("stats").description("queue statistics as a table"))
    .argument("[queue]", "one queue (default: every queue)")
    .action(async (queue: string | undefined, options: ConnOptions) => {
      await run(options, async (client) => {
        const names = queue === undefined ? (await client.queues()).sort() : [queue];
        const rows: Array<Array<string | number>> = [];
        for (const name of names) {
          const s = await client.stats(name);
          if (s) {
            rows.push([
              s.name,
              s.len,
              s.blocked,
              s.jobsIn,
              s.jobsOut,
              s.age,
              s.idle,
              s.pause,
              s.backoff,
              s.deadLetters,
              s.groups,
              s.heldBack,
              s.rateLimit === null ? "-" : rateLimitText(s.rateLimit),
            ]);
          }
        }
        if (queue !== undefined && rows.length === 0) {
          throw new Error(`no queue named '${queue}'`);
        }
        const header = [
          "queue",
          "len",
          "blocked",
          "in",
          "out",
          "age(s)",
          "idle(s)",
          "pause",
          "backoff",
          "dead",
          "groups",
          "held",
          "rate",
        ];
        console.log(table(header, rows));
      });
    });

  addFailureCommands(program);
  addOperatorCommands(program);
  addScheduleCommands(program);
  addTopCommand(program);
}
