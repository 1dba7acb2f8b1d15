/**
 * Journal benchmarks (docs/persistence.md, "Performance"):
 *
 * 1. throughput with 50 connections, one command in flight each, for
 *    --fsync always, everysec and no:
 *    - ADDJOB: acknowledged adds per second;
 *    - add → get → ack: complete cycles per second (three commands, two writes);
 * 2. recovery time of a 1,000,000-job journal, and of the same jobs in a snapshot.
 *
 * The server is the built CLI (`dist/cli/main.js`, built first), in its own
 * process. Run with `npm run bench` or `node --import tsx bench/journal.ts`.
 * BENCH_MS sets each measurement's length (default 5000), BENCH_JOBS the
 * recovery size, BENCH_PROFILE=1 writes the server's CPU profiles to
 * bench/results/. Results are printed and saved to bench/results/journal.json.
 */
import { execSync, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchServer } from "../test/helpers/process.js";
import { loadedLine, writeDataDir } from "./recovery-data.js";
import { closedLoop, LoadConnection, type Value } from "./resp-load.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = join(ROOT, "bench/results");
const CONNECTIONS = 50;
const MS = Number(process.env.BENCH_MS ?? 5000);
const JOBS = Number(process.env.BENCH_JOBS ?? 1_000_000);
const PROFILE = process.env.BENCH_PROFILE === "1";

interface Server {
  child: ChildProcess;
  port: number;
  lines: string[];
  readyMs: number;
}

/** The built CLI in its own process (test/helpers/process.ts), timed from spawn to "docket is ready". */
async function launch(dir: string, args: string[], profileName?: string): Promise<Server> {
  const nodeArgs =
    PROFILE && profileName
      ? ["--cpu-prof", `--cpu-prof-dir=${RESULTS}`, `--cpu-prof-name=${profileName}.cpuprofile`]
      : [];
  const started = performance.now();
  const server = await launchServer(dir, args, nodeArgs).ready;
  return {
    child: server.child,
    port: server.port,
    lines: server.lines,
    readyMs: performance.now() - started,
  };
}

async function stop(server: Server): Promise<void> {
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  server.child.kill("SIGTERM");
  await exited;
}

function info(text: Value): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of String(text).split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

function expectId(reply: Value): string {
  if (typeof reply !== "string" || !reply.startsWith("D-"))
    throw new Error(`ADDJOB failed: ${String(reply)}`);
  return reply;
}

const BODY = "x".repeat(100);

async function throughput(policy: string): Promise<Record<string, number>> {
  const measure = async (name: string, step: (conn: LoadConnection, i: number) => Promise<void>) => {
    const dir = mkdtempSync(join(tmpdir(), "docket-bench-"));
    const server = await launch(dir, ["--fsync", policy], `${policy}-${name}`);
    const conns = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => LoadConnection.open(server.port)),
    );
    const before = info(await conns[0]!.call("INFO", "persistence"));
    const rate = await closedLoop(conns, step, MS);
    const after = info(await conns[0]!.call("INFO", "persistence"));
    for (const conn of conns) conn.close();
    await stop(server);
    rmSync(dir, { recursive: true, force: true });
    return { rate, fsyncs: Number(after.total_fsyncs) - Number(before.total_fsyncs) };
  };
  const adds = await measure("addjob", async (conn, i) => {
    expectId(await conn.call("ADDJOB", `bench${i % 10}`, BODY, "0"));
  });
  const cycles = await measure("cycle", async (conn, i) => {
    const queue = `cycle${i}`;
    expectId(await conn.call("ADDJOB", queue, BODY, "0"));
    const got = (await conn.call("GETJOB", "NOHANG", "FROM", queue)) as Value[][];
    const id = got[0]![1] as string;
    const acked = await conn.call("ACKJOB", id);
    if (acked !== 1) throw new Error(`ACKJOB answered ${String(acked)}`);
  });
  return {
    addjobPerSec: Math.round(adds.rate),
    addjobFsyncsPerSec: Math.round(adds.fsyncs / ((MS + 1000) / 1000)),
    cyclesPerSec: Math.round(cycles.rate),
    cycleCommandsPerSec: Math.round(cycles.rate * 3),
  };
}

async function recovery(as: "journal" | "snapshot"): Promise<Record<string, number>> {
  const dir = mkdtempSync(join(tmpdir(), "docket-bench-"));
  const bytes = writeDataDir(dir, { jobs: JOBS, bodyBytes: BODY.length, queues: 10, as });
  const runs: Array<{ loadMs: number; readyMs: number }> = [];
  let jobs = 0;
  for (let run = 0; run < 3; run++) {
    const server = await launch(dir, [], `recovery-${as}-${run}`);
    const loaded = loadedLine(server.lines);
    jobs = loaded.jobs;
    runs.push({ loadMs: loaded.ms, readyMs: Math.round(server.readyMs) });
    const conn = await LoadConnection.open(server.port);
    const status = info(await conn.call("INFO"));
    if (Number(status.registered_jobs) !== JOBS) throw new Error(`recovered ${status.registered_jobs} jobs`);
    conn.close();
    server.child.kill("SIGKILL"); // no clean shutdown: the next run recovers the same files
    await new Promise((resolve) => server.child.once("exit", resolve));
  }
  rmSync(dir, { recursive: true, force: true });
  runs.sort((a, b) => a.loadMs - b.loadMs);
  const median = runs[1]!;
  return {
    jobs,
    fileMiB: Math.round(bytes / 1048576),
    loadMs: median.loadMs,
    processReadyMs: median.readyMs,
  };
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  console.log("building dist/ ...");
  execSync("npm run build --silent", { cwd: ROOT, stdio: "inherit" });
  console.log(
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${CONNECTIONS} connections, ${MS} ms per run\n`,
  );
  const results: Record<string, unknown> = {
    node: process.version,
    cpus: cpus().length,
    connections: CONNECTIONS,
    ms: MS,
  };
  for (const policy of ["always", "everysec", "no"]) {
    const r = await throughput(policy);
    results[`fsync ${policy}`] = r;
    console.log(
      `fsync ${policy.padEnd(8)}  ADDJOB ${String(r.addjobPerSec).padStart(7)}/s (${r.addjobFsyncsPerSec} fsyncs/s)` +
        `   add→get→ack ${String(r.cyclesPerSec).padStart(6)} cycles/s (${r.cycleCommandsPerSec} commands/s)`,
    );
  }
  for (const as of ["journal", "snapshot"] as const) {
    const r = await recovery(as);
    results[`recovery from ${as}`] = r;
    console.log(
      `recovery of ${r.jobs} jobs from a ${r.fileMiB} MiB ${as}: loaded in ${r.loadMs} ms, ` +
        `process ready in ${r.processReadyMs} ms (median of 3)`,
    );
  }
  writeFileSync(join(RESULTS, "journal.json"), JSON.stringify(results, null, 2) + "\n");
}

await main();
