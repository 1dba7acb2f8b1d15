/**
 * Recovery benchmark (docs/persistence.md, "Recovery at start-up"): the
 * built server (`dist/cli/main.js`, built first) started on 1,000,000
 * queued jobs with 20-byte bodies, in one queue and spread over 100 queues,
 * recovered from the journal alone and from a snapshot (with an empty
 * journal after it). The cases are interleaved round by round (the machine
 * is shared and noisy) and each is reported as the median over the rounds:
 * the server's own "journal loaded" time (lock, replay, MANIFEST) and the
 * time from spawn until the process answers.
 *
 * Run with `npm run bench:recovery`. BENCH_JOBS sets the job count
 * (default 1,000,000), BENCH_ROUNDS the rounds (default 5), BENCH_PROFILE=1
 * writes a CPU profile of each start to BENCH_PROFILE_DIR (default
 * /tmp/docket-recovery-prof, outside the repository). Results are saved to
 * bench/results/recovery.json.
 */
import { execSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { launchServer } from "../test/helpers/process.js";
import { loadedLine, writeDataDir, type RecoveryData } from "./recovery-data.js";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const RESULTS = join(ROOT, "bench/results");
const JOBS = Number(process.env.BENCH_JOBS ?? 1_000_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const PROFILE_DIR = process.env.BENCH_PROFILE === "1" ? (process.env.BENCH_PROFILE_DIR ?? "/tmp/docket-recovery-prof") : undefined;
const BODY_BYTES = 20;

interface Case {
  name: string;
  data: RecoveryData;
  dir: string;
  fileBytes: number;
  loadMs: number[];
  readyMs: number[];
}

/** One start of the server on the case's directory: its load time and time to answer. */
async function start(c: Case, round: number): Promise<void> {
  const nodeArgs = PROFILE_DIR
    ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE_DIR}`, `--cpu-prof-name=${c.name}-${round}.cpuprofile`]
    : [];
  // A fresh copy each time: a start rewrites the MANIFEST, and may compact the journal into a snapshot.
  const dir = `${c.dir}-run`;
  rmSync(dir, { recursive: true, force: true });
  cpSync(c.dir, dir, { recursive: true });
  const started = performance.now();
  const server = await launchServer(dir, [], nodeArgs).ready;
  const readyMs = performance.now() - started;
  const loaded = loadedLine(server.lines);
  if (loaded.jobs !== c.data.jobs) throw new Error(`${c.name}: recovered ${loaded.jobs} jobs`);
  c.loadMs.push(loaded.ms);
  c.readyMs.push(Math.round(readyMs));
  const exited = new Promise((resolve) => server.child.once("exit", resolve));
  // No clean shutdown, unless profiling: node writes the profile at a clean exit only.
  server.child.kill(PROFILE_DIR ? "SIGTERM" : "SIGKILL");
  await exited;
  rmSync(dir, { recursive: true, force: true });
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
  console.log(`node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? "?"}), ${JOBS} jobs, ${ROUNDS} rounds\n`);
  const cases: Case[] = [];
  for (const as of ["journal", "snapshot"] as const) {
    for (const queues of [1, 100]) {
      const data = { jobs: JOBS, bodyBytes: BODY_BYTES, queues, as };
      const dir = mkdtempSync(join(tmpdir(), "docket-recovery-bench-"));
      const fileBytes = writeDataDir(dir, data);
      cases.push({ name: `${as}-${queues}q`, data, dir, fileBytes, loadMs: [], readyMs: [] });
    }
  }
  try {
    for (let round = 0; round < ROUNDS; round++) {
      for (const c of cases) await start(c, round);
    }
  } finally {
    for (const c of cases) rmSync(c.dir, { recursive: true, force: true });
  }
  const results: Record<string, unknown> = { node: process.version, cpus: cpus().length, jobs: JOBS, rounds: ROUNDS };
  for (const c of cases) {
    const r = {
      fileMiB: Math.round((c.fileBytes / 1048576) * 10) / 10,
      loadMs: median(c.loadMs),
      readyMs: median(c.readyMs),
      loadMsRuns: c.loadMs,
    };
    results[c.name] = r;
    console.log(
      `${c.name.padEnd(13)} ${String(r.fileMiB).padStart(6)} MiB  loaded in ${String(r.loadMs).padStart(5)} ms, ` +
        `answering after ${String(r.readyMs).padStart(5)} ms  (medians of ${ROUNDS}; loads: ${c.loadMs.join(", ")})`,
    );
  }
  writeFileSync(join(RESULTS, "recovery.json"), JSON.stringify(results, null, 2) + "\n");
}

await main();
