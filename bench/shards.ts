/**
 * `npm run bench:shards` (issue 16, docs/performance.md "Past one core"): a
 * measured prototype of engine shards in worker_threads behind one listener
 * (bench/shard/), next to the real docket server, with redis-benchmark
 * (50 clients, 20-byte body, plain and -P 16):
 *
 * - servers: docket `--fsync no` (journal written, never fsynced), the
 *   prototype with one shard inline in the listener thread (the same code
 *   without the split: the baseline for its cost), with 1 worker shard,
 *   and with 2; every server started fresh, the order shifted each round;
 * - rows: PING (answered by the listener), ADDJOB to one queue and to 16
 *   (`-r 16`, `q__rand_int__`), then GETJOB NOHANG from the filled queue;
 *   each with the server process's CPU (all threads) per wall second;
 * - the raw round trip listener → worker → listener, per batch and per
 *   command, at batch sizes 1, 16 and 64, and bare (a number, no framing).
 *
 * The prototype has no journal and serves only the plain forms of its four
 * commands, so docket's row shows what the full server costs beside it.
 * Options: --rounds (3), --requests per row (100000), --servers (words
 * of the names, comma-separated: a subset), --from FILE (print the tables
 * of a saved run). Every sample is saved to bench/results/shards.json; the
 * tables (bench/shard/report.ts) show medians per second, per second of
 * server CPU, and CPU µs per command for all threads and for the main
 * thread alone (/proc/<pid>/task/<pid>: the prototype's listener).
 */
import { execSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { redisBenchmark } from "./redis-benchmark.js";
import { EchoThread, type RoundTrip } from "./shard/roundtrip.js";
import { renderShards, type ShardResults } from "./shard/report.js";
import { SERVE_MODULE } from "./shard/listener.js";
import { QUEUE, ROOT, cpuSeconds, freePort, spawnServer, startDocket, stopChild } from "./systems.js";

const { values } = parseArgs({
  options: {
    rounds: { type: "string", default: "3" },
    requests: { type: "string", default: "100000" },
    from: { type: "string" },
    servers: { type: "string" },
  },
});
const ROUNDS = Number(values.rounds);
const N = Number(values.requests);
const PIPELINE = 16;
const BODY = "b".repeat(20);
/** 0: the bare hop (a number), then batches of ADDJOB commands */
const BATCH_SIZES = [0, 1, 16, 64];
const ROUND_TRIPS = 20_000;

interface Server {
  name: string;
  start(): Promise<{
    pid: number;
    port: number;
    stop(): Promise<void>;
    /** why the server process ended, or undefined while it runs */
    died?(): string | undefined;
  }>;
}

function prototype(workers: number): Server {
  return {
    name: workers === 0 ? "proto inline" : `proto ${workers} worker${workers > 1 ? "s" : ""}`,
    start: async () => {
      const port = await freePort();
      const args = ["--import", "tsx", SERVE_MODULE, String(port), String(workers)];
      const child = await spawnServer(process.execPath, args, port);
      let stderr = "";
      child.stderr?.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
      const died = () =>
        child.exitCode !== null || child.signalCode !== null
          ? `exited (${child.exitCode ?? child.signalCode}): ${stderr}`
          : undefined;
      return { pid: child.pid ?? 0, port, stop: () => stopChild(child), died };
    },
  };
}

const ALL_SERVERS: Server[] = [
  { name: "docket fsync=no", start: () => startDocket({ fsync: "no" }) },
  prototype(0),
  prototype(1),
  prototype(2),
];
// --servers "inline,1 worker": only those whose name contains one of the words
const SERVERS = values.servers
  ? ALL_SERVERS.filter((s) => values.servers!.split(",").some((word) => s.name.includes(word)))
  : ALL_SERVERS;

interface Row {
  name: string;
  pipeline: number;
  command: string[];
  options?: string[];
}

const add = ["ADDJOB", QUEUE, BODY, "0"];
const ROWS: Row[] = [1, PIPELINE].flatMap((p) => {
  const at = p > 1 ? ` -P ${p}` : "";
  return [
    { name: `PING${at}`, pipeline: p, command: ["PING"] },
    { name: `ADDJOB 1 queue${at}`, pipeline: p, command: add },
    {
      name: `ADDJOB 16 queues${at}`,
      pipeline: p,
      command: ["ADDJOB", "q__rand_int__", BODY, "0"],
      options: ["-r", "16"],
    },
  ];
});
// after both ADDJOB 1-queue rows: 2N jobs to take
const TAKE_ROWS: Row[] = [1, PIPELINE].map((p) => ({
  name: `GETJOB NOHANG${p > 1 ? ` -P ${p}` : ""}`,
  pipeline: p,
  command: ["GETJOB", "NOHANG", "FROM", QUEUE],
}));

/** samples[row][server]: requests per second; cpu[row][server]: the server's CPU seconds per wall second */
const samples: Record<string, Record<string, number[]>> = {};
const cpu: Record<string, Record<string, number[]>> = {};
/** the same for the main thread alone: the prototype's listener */
const mainCpu: Record<string, Record<string, number[]>> = {};
const roundTrips: Record<number, RoundTrip[]> = {};
const failures: string[] = [];

const put = (to: typeof samples, row: string, server: string, value: number) =>
  ((to[row] ??= {})[server] ??= []).push(value);

async function measureServer(server: Server): Promise<void> {
  const sys = await server.start();
  try {
    // untimed warm-up of each path, leaving the queue empty again
    for (const command of [["PING"], add, TAKE_ROWS[0]!.command]) {
      await redisBenchmark(sys.port, 20_000, PIPELINE, command);
    }
    for (const row of [...ROWS, ...TAKE_ROWS]) {
      const [cpuBefore, mainBefore] = [cpuSeconds(sys.pid), cpuSeconds(sys.pid, sys.pid)];
      const started = performance.now();
      const rate = await redisBenchmark(sys.port, N, row.pipeline, row.command, row.options);
      const seconds = (performance.now() - started) / 1000;
      put(samples, row.name, server.name, rate);
      put(cpu, row.name, server.name, (cpuSeconds(sys.pid) - cpuBefore) / seconds);
      put(mainCpu, row.name, server.name, (cpuSeconds(sys.pid, sys.pid) - mainBefore) / seconds);
      process.stdout.write(` ${Math.round(rate)}`);
    }
  } catch (error) {
    // one failed server does not end the run: its rows keep the rounds it finished
    const message = (error as Error).message.split("\n")[0]!;
    process.stdout.write(` FAILED: ${message}; server ${sys.died?.() ?? "still running"}`);
    failures.push(`${server.name}: ${message}`);
  } finally {
    await sys.stop();
  }
}

async function measureRoundTrips(): Promise<void> {
  const echo = new EchoThread();
  try {
    for (const size of BATCH_SIZES) {
      const rt = await echo.measure(size, ROUND_TRIPS);
      (roundTrips[size] ??= []).push(rt);
      process.stdout.write(` ${size}: ${rt.microsPerBatch.toFixed(1)} µs`);
    }
  } finally {
    await echo.close();
  }
}

const RESULTS = join(ROOT, "bench/results/shards.json");

async function measure(): Promise<ShardResults> {
  execSync("npm run build --silent", { cwd: ROOT, stdio: "inherit" });
  for (let round = 0; round < ROUNDS; round++) {
    process.stdout.write(`round ${round + 1}/${ROUNDS} round trip:`);
    await measureRoundTrips();
    process.stdout.write("\n");
    for (let i = 0; i < SERVERS.length; i++) {
      const server = SERVERS[(i + round) % SERVERS.length]!;
      process.stdout.write(`round ${round + 1}/${ROUNDS} ${server.name}:`);
      await measureServer(server);
      process.stdout.write("\n");
    }
  }
  const results: ShardResults = {
    date: new Date().toISOString(),
    rounds: ROUNDS,
    requests: N,
    servers: SERVERS.map((s) => s.name),
    rows: [...ROWS, ...TAKE_ROWS].map((row) => row.name),
    samples,
    cpu,
    mainCpu,
    roundTrips,
    failures,
  };
  mkdirSync(dirname(RESULTS), { recursive: true });
  writeFileSync(RESULTS, JSON.stringify(results, null, 2));
  return results;
}

// --from FILE: the tables of a saved run, nothing measured
const results = values.from
  ? (JSON.parse(readFileSync(values.from, "utf8")) as ShardResults)
  : await measure();
console.log(`\n${renderShards(results).join("\n")}`);
