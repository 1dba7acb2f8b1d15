/**
 * Recovery benchmark (docs/persistence.md, "Recovery at start-up"): the
 * built server (`dist/cli/main.js`, built first) started on 1,000,000
 * queued jobs with 20-byte bodies, in one queue and spread over 100 queues,
 * recovered from the journal alone and from a snapshot (with an empty
 * journal after it). Each start gets a fresh copy of the files, made
 * durable first (a start fsyncs what it keeps, and must not be timed
 * writing the copy). Reported per case, as the median over the rounds: the
 * server's own "journal loaded" time (lock, replay, MANIFEST) and the time
 * from spawn until it logs that it is ready (RESP and HTTP doors listening,
 * as by default), and the CPU time the process
 * had used by then (user + system, from /proc on Linux: on a shared
 * machine the steadier figure, as it does not count waiting for a core).
 *
 * BENCH_BASELINE=/path/to/other/checkout (its dist/ built) runs that
 * checkout's server on the same files, alternating with this one start by
 * start (the machine is shared and noisy), and prints this one's times as
 * a ratio to it.
 *
 * Run with `npm run bench:recovery`. BENCH_JOBS sets the job count
 * (default 1,000,000), BENCH_ROUNDS the rounds (default 5), BENCH_PROFILE=1
 * writes a CPU profile of each start to BENCH_PROFILE_DIR (default
 * /tmp/docket-recovery-prof, outside the repository). Results are saved to
 * bench/results/recovery.json.
 */
import { execSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { CLI, launchServer } from "../test/helpers/process.js";
import { loadedLine, writeDataDir, type RecoveryData } from "./recovery-data.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = join(ROOT, "bench/results");
const JOBS = Number(process.env.BENCH_JOBS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const BASELINE = process.env.BENCH_BASELINE;
const PROFILE_DIR =
  process.env.BENCH_PROFILE === "1"
    ? (process.env.BENCH_PROFILE_DIR ?? "/tmp/docket-recovery-prof")
    : undefined;
const BODY_BYTES = 20;

interface Server {
  name: string;
  cli: string;
}

interface Case {
  name: string;
  data: RecoveryData;
  dir: string;
  fileBytes: number;
  /** per server: each start's load time, time until ready and CPU time until ready */
  loadMs: Map<string, number[]>;
  readyMs: Map<string, number[]>;
  cpuMs: Map<string, number[]>;
}

/** One start of `server` on a fresh copy of the case's files. */
async function start(c: Case, server: Server, round: number): Promise<void> {
  const nodeArgs = PROFILE_DIR
    ? [
        "--cpu-prof",
        `--cpu-prof-dir=${PROFILE_DIR}`,
        `--cpu-prof-name=${server.name}-${c.name}-${round}.cpuprofile`,
      ]
    : [];
  // A start rewrites the MANIFEST and may compact the journal into a snapshot: each gets the original.
  const dir = `${c.dir}-run`;
  rmSync(dir, { recursive: true, force: true });
  cpSync(c.dir, dir, { recursive: true });
  execSync("sync");
  const started = performance.now();
  // the default doors (RESP and HTTP, on ephemeral ports): ready counts the HTTP door's start too
  const launched = await launchServer(dir, ["--http-port", "0"], nodeArgs, {}, server.cli).ready;
  const readyMs = performance.now() - started;
  c.cpuMs.get(server.name)!.push(cpuMsOf(launched.pid));
  const loaded = loadedLine(launched.lines);
  if (loaded.jobs !== c.data.jobs) throw new Error(`${server.name} ${c.name}: recovered ${loaded.jobs} jobs`);
  c.loadMs.get(server.name)!.push(loaded.ms);
  c.readyMs.get(server.name)!.push(Math.round(readyMs));
  const exited = new Promise((resolve) => launched.child.once("exit", resolve));
  // No clean shutdown, unless profiling: node writes the profile at a clean exit only.
  launched.child.kill(PROFILE_DIR ? "SIGTERM" : "SIGKILL");
  await exited;
  rmSync(dir, { recursive: true, force: true });
}

/** CPU time (user + system) a process has used so far, from /proc/PID/stat (clock ticks of 10 ms); NaN elsewhere. */
function cpuMsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // the fields after the command name (in parentheses, which may hold spaces): utime, stime are 14 and 15
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return NaN;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

async function main(): Promise<void> {
  mkdirSync(RESULTS, { recursive: true });
  if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
  console.log("building dist/ ...");
  execSync("npm run build --silent", { cwd: ROOT, stdio: "inherit" });
  const servers: Server[] = [{ name: "this", cli: CLI }];
  if (BASELINE) servers.push({ name: "baseline", cli: join(BASELINE, "dist/cli/main.js") });
  console.log(
    `node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${JOBS} jobs, ${ROUNDS} rounds` +
      (BASELINE ? `, baseline ${BASELINE}` : "") +
      "\n",
  );
  const cases: Case[] = [];
  for (const as of ["journal", "snapshot"] as const) {
    for (const queues of [1, 100]) {
      const data = { jobs: JOBS, bodyBytes: BODY_BYTES, queues, as };
      const dir = mkdtempSync(join(tmpdir(), "docket-recovery-bench-"));
      const fileBytes = writeDataDir(dir, data);
      const timings = () => new Map(servers.map((s) => [s.name, [] as number[]]));
      cases.push({
        name: `${as}-${queues}q`,
        data,
        dir,
        fileBytes,
        loadMs: timings(),
        readyMs: timings(),
        cpuMs: timings(),
      });
    }
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) for (const server of servers) await start(c, server, round);
    }
  } finally {
    for (const c of cases) rmSync(c.dir, { recursive: true, force: true });
  }
  const results: Record<string, unknown> = {
    node: process.version,
    cpus: cpus().length,
    jobs: JOBS,
    rounds: ROUNDS,
    baseline: BASELINE,
  };
  for (const c of cases) {
    const of = (server: string) => ({
      loadMs: median(c.loadMs.get(server)!),
      readyMs: median(c.readyMs.get(server)!),
      cpuMs: median(c.cpuMs.get(server)!),
      loadMsRuns: c.loadMs.get(server)!,
    });
    const mine = of("this");
    const base = BASELINE ? of("baseline") : undefined;
    const ratio = (a: number, b: number) => Math.round((a / b) * 100) / 100;
    const loadRatio = base ? ratio(mine.loadMs, base.loadMs) : undefined;
    const cpuRatio = base ? ratio(mine.cpuMs, base.cpuMs) : undefined;
    const readyRatio = base ? ratio(mine.readyMs, base.readyMs) : undefined;
    results[c.name] = {
      fileMiB: Math.round((c.fileBytes / 1048576) * 10) / 10,
      ...mine,
      baseline: base,
      loadRatio,
      readyRatio,
      cpuRatio,
    };
    console.log(
      `${c.name.padEnd(13)} ${(c.fileBytes / 1048576).toFixed(1).padStart(6)} MiB  loaded in ${mine.loadMs} ms, ` +
        `ready after ${mine.readyMs} ms, CPU ${mine.cpuMs} ms (loads: ${mine.loadMsRuns.join(", ")})` +
        (base
          ? `\n${"".padEnd(22)}baseline: loaded in ${base.loadMs} ms, ready after ${base.readyMs} ms, ` +
            `CPU ${base.cpuMs} ms (loads: ${base.loadMsRuns.join(", ")});  ` +
            `ratios: load ${loadRatio}, ready ${readyRatio}, CPU ${cpuRatio}`
          : ""),
    );
  }
  console.log(
    `\nmedians of ${ROUNDS} rounds` +
      (BASELINE ? "; ratios: this / baseline (< 1: faster)" : "") +
      "; CPU: the server's user + system time until ready",
  );
  writeFileSync(join(RESULTS, "recovery.json"), JSON.stringify(results, null, 2) + "\n");
}

await main();
