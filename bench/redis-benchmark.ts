/**
 * Section "rb" of `npm run bench` (issue 16): the servers measured by a load
 * generator none of them wrote, Redis's own `redis-benchmark` (50 clients,
 * 20-byte body), side by side in one run: docket `--fsync no` and `always`,
 * Disque (appendonly no), Redis (no persistence) and Redis `appendfsync
 * always`. Each round starts every server fresh, one after the other, the
 * order shifted by one each round, and gets an untimed warm-up of each
 * command first; the report takes medians.
 *
 * redis-benchmark cannot learn the ids of the jobs it fetched, so ACKJOB and
 * an add → get → ack cycle are driven by the bench's own raw-socket client
 * (resp-load.ts) against docket and Disque alike, next to a PING by that same
 * client for reference; the table names the generator of every row.
 */
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { closedLoop, countedLoop, LoadConnection, type LoopWindow, type Value } from "./resp-load.js";
import type { RbResults } from "./rb-report.js";
import { cpuSeconds, QUEUE, startDisque, startDocket, startRedis, type Running } from "./systems.js";

const CLIENTS = 50;
const PIPELINE = 16;
const BODY = "b".repeat(20);
/** how long each closed-loop cycle measurement counts, after a 500 ms warm-up */
const CYCLE_MS = 3000;
/** every redis-benchmark is killed after this: one whose server died spins at 100% CPU for ever */
const TIMEOUT_S = 120;

export const RB = "redis-benchmark";
export const OWN = "resp-load";

export interface RbServer {
  name: string;
  /** "jobs": Disque's commands (docket, Disque); "redis": a list as the queue */
  speaks: "jobs" | "redis";
  start(): Promise<Running>;
}

/** The five servers of the section; names as in the main table. */
export function rbServers(): RbServer[] {
  return [
    { name: "docket fsync=no", speaks: "jobs", start: () => startDocket({ fsync: "no" }) },
    { name: "docket fsync=always", speaks: "jobs", start: () => startDocket({ fsync: "always" }) },
    { name: "disque (appendonly no)", speaks: "jobs", start: startDisque },
    { name: "redis (no persistence)", speaks: "redis", start: () => startRedis(false) },
    { name: "redis appendfsync=always", speaks: "redis", start: () => startRedis(true) },
  ];
}

const COMMANDS = {
  jobs: { add: ["ADDJOB", QUEUE, BODY, "0"], take: ["GETJOB", "NOHANG", "FROM", QUEUE], length: "QLEN" },
  redis: { add: ["LPUSH", QUEUE, BODY], take: ["RPOP", QUEUE], length: "LLEN" },
};

const piped = (label: string, pipeline: number, how: string) =>
  pipeline > 1 ? `${label} ${how.replace("N", String(pipeline))}` : label;

/** Each row's key in the samples, "<generator>: <command>", for one or `p` requests in flight. */
export const ROWS = {
  ping: (p: number) => `${RB}: ${piped("PING", p, "-P N")}`,
  add: (p: number) => `${RB}: ${piped("ADDJOB", p, "-P N")} (Redis: LPUSH)`,
  take: (p: number) => `${RB}: ${piped("GETJOB NOHANG", p, "-P N")}, filled queue (Redis: RPOP)`,
  ownPing: (p: number) => `${OWN}: ${piped("PING", p, "(N in flight)")}`,
  ack: (p: number) => `${OWN}: ${piped("ACKJOB", p, "(N in flight)")}`,
  cycle: (p: number) => `${OWN}: ${piped("add→get→ack cycle", p, "(N in flight)")}`,
};

/** The table in order, each row with the PING (same generator, same depth) docket's rate is set against. */
export const TABLE: { row: string; ping: string }[] = (
  ["ping", "add", "take", "ownPing", "ack", "cycle"] as const
)
  .flatMap((kind) => [1, PIPELINE].map((p) => ({ kind, p })))
  .map(({ kind, p }) => ({
    row: ROWS[kind](p),
    ping: ROWS[kind](p).startsWith(OWN) ? ROWS.ownPing(p) : ROWS.ping(p),
  }));

/**
 * Requests per second of one redis-benchmark run (its --csv line), wrapped in
 * `timeout`; `options` go before the command (e.g. `-r 16` for `__rand_int__`).
 */
export async function redisBenchmark(
  port: number,
  n: number,
  pipeline: number,
  command: string[],
  options: string[] = [],
): Promise<number> {
  const args = ["-k", "5", String(TIMEOUT_S), "redis-benchmark", "-h", "127.0.0.1", "-p", String(port)];
  args.push("-c", String(CLIENTS), "-n", String(n), "-P", String(pipeline), "--csv", ...options, ...command);
  const { stdout } = await promisify(execFile)("timeout", args, { encoding: "utf8" });
  const rps = Number(stdout.trim().split("\n").at(-1)?.split(",")[1]?.replace(/"/g, ""));
  if (!(rps > 0))
    throw new Error(`redis-benchmark ${command.join(" ")}: no rate in ${JSON.stringify(stdout)}`);
  return rps;
}

async function openMany(port: number, n: number): Promise<LoadConnection[]> {
  return Promise.all(Array.from({ length: n }, () => LoadConnection.open(port)));
}

function fail(what: string, reply: Value): never {
  throw new Error(`${what} answered ${reply instanceof Error ? reply.message : JSON.stringify(reply)}`);
}

/** Fetches every queued job (untimed) and returns their ids. */
async function takeAllIds(conn: LoadConnection): Promise<string[]> {
  const ids: string[] = [];
  for (;;) {
    const got = await conn.call("GETJOB", "NOHANG", "COUNT", "1000", "FROM", QUEUE);
    if (got === null) return ids;
    if (!Array.isArray(got)) fail("GETJOB", got);
    for (const job of got) ids.push((job as string[])[1]!);
  }
}

/** Where one server's figures go: a row's rate, and the server's CPU per request where it is known. */
interface Recorder {
  rate(row: string, perSecond: number): void;
  cpu(row: string, microsPerRequest: number): void;
}

/**
 * Runs one row of `requests` requests, records its rate and the server's
 * CPU (user + system, /proc) per request while it ran: on a shared machine
 * the steadier figure, as it does not count waiting for a core.
 */
async function measured(
  sys: Running,
  record: Recorder,
  row: string,
  requests: number,
  run: () => Promise<number>,
): Promise<void> {
  const cpu = cpuPerStep(sys, record, row);
  cpu.begin();
  const perSecond = await run();
  cpu.end(requests);
  record.rate(row, perSecond);
}

/** The server's CPU from `begin` to `end`, per step completed in between (a timed row: its window after the warm-up). */
function cpuPerStep(sys: Running, record: Recorder, row: string): LoopWindow {
  let before = NaN;
  return {
    begin: () => (before = cpuSeconds(sys.pid)),
    end: (done) => {
      const used = cpuSeconds(sys.pid) - before;
      if (Number.isFinite(used) && done > 0) record.cpu(row, (used * 1e6) / done);
    },
  };
}

/** The rows redis-benchmark cannot drive, with the bench's own client: PING, ACKJOB, add → get → ack. */
async function ownGenerator(sys: Running, n: number, record: Recorder): Promise<void> {
  const conns = await openMany(sys.port, CLIENTS);
  try {
    for (const p of [1, PIPELINE]) {
      await measured(sys, record, ROWS.ownPing(p), n, () =>
        countedLoop(conns, p, n, async (c) => {
          const pong = await c.call("PING");
          if (pong !== "PONG") fail("PING", pong);
        }),
      );
    }
    // 2n jobs to ack, n at each depth: added by redis-benchmark, fetched by us (both untimed)
    await redisBenchmark(sys.port, 2 * n, PIPELINE, COMMANDS.jobs.add);
    const ids = await takeAllIds(conns[0]!);
    if (ids.length !== 2 * n) throw new Error(`fetched ${ids.length} jobs for ACKJOB, wanted ${2 * n}`);
    for (const [i, p] of [1, PIPELINE].entries()) {
      await measured(sys, record, ROWS.ack(p), n, () =>
        countedLoop(conns, p, n, async (c, k) => {
          const acked = await c.call("ACKJOB", ids[i * n + k]!);
          if (acked !== 1) fail("ACKJOB", acked);
        }),
      );
    }
    for (const p of [1, PIPELINE]) {
      const loops = conns.flatMap((c) => Array<LoadConnection>(p).fill(c));
      const rate = await closedLoop(
        loops,
        async (c) => {
          // each loop adds before it takes, so the queue is never empty when its GETJOB arrives
          const id = await c.call(...COMMANDS.jobs.add);
          if (typeof id !== "string") fail("ADDJOB", id);
          const got = await c.call(...COMMANDS.jobs.take);
          if (!Array.isArray(got)) fail("GETJOB", got);
          const acked = await c.call("ACKJOB", (got[0] as string[])[1]!);
          if (acked !== 1) fail("ACKJOB", acked);
        },
        CYCLE_MS,
        500,
        cpuPerStep(sys, record, ROWS.cycle(p)),
      );
      record.rate(ROWS.cycle(p), rate);
    }
  } finally {
    for (const c of conns) c.close();
  }
}

/** One round on one fresh server: every row it can run. */
async function measureServer(server: RbServer, n: number, record: Recorder): Promise<void> {
  const sys = await server.start();
  const cmd = COMMANDS[server.speaks];
  const row = (name: string, p: number, command: string[]) =>
    measured(sys, record, name, n, () => redisBenchmark(sys.port, n, p, command));
  try {
    // untimed warm-up of each path (JIT of a fresh docket), ending with an empty queue again
    const warm = Math.max(5000, Math.round(n / 10));
    for (const command of [["PING"], cmd.add, cmd.take])
      await redisBenchmark(sys.port, warm, PIPELINE, command);
    for (const p of [1, PIPELINE]) await row(ROWS.ping(p), p, ["PING"]);
    for (const p of [1, PIPELINE]) await row(ROWS.add(p), p, cmd.add);
    // the two ADDJOB rows left 2n jobs; top up if one fell short, so that every GETJOB gets a job
    const probe = await LoadConnection.open(sys.port);
    const queued = Number(await probe.call(cmd.length, QUEUE));
    probe.close();
    if (queued < 2 * n) await redisBenchmark(sys.port, 2 * n - queued, PIPELINE, cmd.add);
    for (const p of [1, PIPELINE]) await row(ROWS.take(p), p, cmd.take);
    if (server.speaks === "jobs") await ownGenerator(sys, n, record);
  } finally {
    await sys.stop();
  }
}

/**
 * `rounds` rounds over the servers, each round starting one server further
 * (A B C, B C A, …); `n` requests per redis-benchmark row and per counted row.
 */
export async function runRedisBenchmark(
  servers: RbServer[],
  n: number,
  rounds: number,
  log: (s: string) => void,
): Promise<RbResults> {
  const results: RbResults = {
    params: {
      requests: n,
      rounds,
      clients: CLIENTS,
      pipeline: PIPELINE,
      bodyBytes: BODY.length,
      cycleMs: CYCLE_MS,
    },
    servers: servers.map((s) => s.name),
    samples: {},
    cpu: {},
    failed: {},
  };
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < servers.length; i++) {
      const server = servers[(i + round) % servers.length]!;
      log(`rb round ${round + 1}/${rounds} ${server.name}:`);
      try {
        await measureServer(server, n, {
          rate: (row, value) => {
            ((results.samples[row] ??= {})[server.name] ??= []).push(value);
            log(` ${Math.round(value)}`);
          },
          cpu: (row, micros) => ((results.cpu![row] ??= {})[server.name] ??= []).push(micros),
        });
      } catch (error) {
        const message = (error as Error).message.split("\n")[0]!;
        log(` FAILED: ${message}`);
        results.failed[server.name] = message;
      }
      log("\n");
    }
  }
  return results;
}
