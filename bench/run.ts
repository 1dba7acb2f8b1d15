// npm run bench -- [--jobs N] [--mem-jobs M] [--runs R] [--systems a,b] [--workloads a,b,c,d,e,f,g,rb] [--install-peers]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { parseArgs } from "node:util";
import { RespConn } from "./clients.js";
import {
  beanstalkdSystem,
  bullmqSystem,
  cpuSeconds,
  DISQUE_SERVER,
  disqueSystem,
  docketSupportsFsync,
  docketRedisSystem,
  docketSystems,
  hasCommand,
  hasDisque,
  QUEUE,
  scriptCalls,
  redisSystem,
  ROOT,
  startDocket,
  versions,
  type SystemDef,
} from "./systems.js";
import { failing } from "./failing.js";
import { SCHEDULING_VARIANTS, mixedWith } from "./scheduling.js";
import { consume, memory, mixed, produce, type Outcome } from "./workloads.js";
import { header, ratioRows, renderMarkdown, renderSvg, renderText, targets, type Results } from "./report.js";
import { renderRbMarkdown, renderRbText, rbTargets } from "./rb-report.js";
import { rbServers, runRedisBenchmark } from "./redis-benchmark.js";

const { values: flags } = parseArgs({
  options: {
    jobs: { type: "string", default: "100000" },
    "mem-jobs": { type: "string", default: "1000000" },
    runs: { type: "string", default: "3" },
    conns: { type: "string", default: "50" },
    window: { type: "string", default: "256" },
    producers: { type: "string", default: "10" },
    consumers: { type: "string", default: "50" },
    systems: { type: "string" },
    workloads: { type: "string", default: "a,b,c,d,e,f,rb" },
    "install-peers": { type: "boolean", default: false },
    out: { type: "string", default: join(ROOT, "bench/results") },
    help: { type: "boolean", default: false },
  },
});
if (flags.help) {
  console.log(
    "npm run bench -- [--jobs 100000] [--mem-jobs 1000000] [--runs 3] [--conns 50] [--window 256]\n" +
      "  [--producers 10] [--consumers 50] [--systems docket,disque,beanstalkd,redis,bullmq]\n" +
      "  [--workloads a,b,c,d,e,f,rb]\n" +
      "  (g: scheduling options on (c), docket only, not in the default set: --workloads c,g)\n" +
      "  (rb: redis-benchmark and the own client vs docket, Disque, Redis; --jobs requests per row, --runs rounds)\n" +
      "  (DISQUE_SERVER=path/to/disque-server, default ../shared/tools/disque-1.0-rc1/disque-server)\n" +
      "  [--install-peers] [--out bench/results]",
  );
  process.exit(0);
}
const num = (name: keyof typeof flags): number => Number(flags[name]);
const jobs = num("jobs");
const memJobs = num("mem-jobs");
const runs = num("runs");
const workloads = new Set((flags.workloads ?? "").split(","));

const peerCommands = ["beanstalkd", "redis-server", "redis-benchmark"];
if (flags["install-peers"] && !peerCommands.every(hasCommand)) {
  const sudo = process.getuid?.() === 0 ? [] : ["sudo"];
  const sh = (args: string[]) =>
    spawnSync(sudo[0] ?? args[0]!, [...sudo.slice(1), ...(sudo.length ? args : args.slice(1))], {
      stdio: "inherit",
      env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" },
    });
  sh(["apt-get", "update"]);
  sh(["apt-get", "install", "-y", "beanstalkd", "redis-server", "redis-tools"]);
}

const fsync = docketSupportsFsync();
const docketMem = fsync ? "docket fsync=no" : "docket (memory)";
const docketDurable = fsync ? "docket fsync=always" : "docket (memory)";
const all: SystemDef[] = [...docketSystems(fsync)];
const skipped: Record<string, string> = {};
if (hasCommand("beanstalkd"))
  all.push(beanstalkdSystem(false, docketMem), beanstalkdSystem(true, docketDurable));
else skipped["beanstalkd"] = "beanstalkd not installed (run with --install-peers)";
if (hasDisque()) all.push(disqueSystem(docketMem));
else skipped["disque"] = `no Disque server at ${DISQUE_SERVER} (set DISQUE_SERVER)`;
if (hasCommand("redis-server")) all.push(redisSystem(false, docketMem), redisSystem(true, docketDurable));
else skipped["redis"] = "redis-server not installed (run with --install-peers)";
if (hasCommand("redis-server")) all.push(bullmqSystem(docketMem));
else skipped["bullmq"] = "needs redis-server (run with --install-peers)";
if (hasCommand("redis-server")) all.push(docketRedisSystem(1, docketMem), docketRedisSystem(2, docketMem));
else skipped["docket redis"] = "needs redis-server (run with --install-peers)";
if (workloads.has("rb") && !hasCommand("redis-benchmark"))
  skipped["redis-benchmark"] = "not installed (Debian: redis-tools): no rb section";
const wanted = flags.systems?.split(",");
const isWanted = (name: string) => !wanted || wanted.some((w) => name.startsWith(w));
const systems = all.filter((s) => isWanted(s.name));

const results: Results = {
  date: new Date().toISOString(),
  machine: {
    nproc: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    cpu: os.cpus()[0]?.model ?? "?",
    kernel: os.release(),
  },
  versions: versions(),
  params: {
    jobs,
    memJobs,
    runs,
    conns: num("conns"),
    window: num("window"),
    producers: num("producers"),
    consumers: num("consumers"),
  },
  journal: fsync,
  systems: systems.map((s) => ({ name: s.name, durable: s.durable, compareWith: s.compareWith ?? null })),
  skipped,
  samples: {},
};

function record(row: string, system: string, value: number): void {
  ((results.samples[row] ??= {})[system] ??= []).push(value);
}

/**
 * Runs fn on a fresh server. With `cpuRow`, on a system that runs on Redis, Redis's own CPU
 * during fn is recorded under it (% of one core): whether Redis itself is the limit; and the
 * scripts Redis ran per job (fn handles `jobs` jobs), when it ran any.
 */
async function withServer<T>(
  sys: SystemDef,
  fn: (r: Awaited<ReturnType<SystemDef["start"]>>) => Promise<T>,
  cpuRow?: string,
): Promise<T> {
  const running = await sys.start();
  try {
    const pid = running.redisPid;
    const port = cpuRow ? running.redisPort : undefined;
    const scripts0 = port ? await scriptCalls(port) : 0;
    // docket on Redis: its own server's CPU too (the first docket server's)
    const docket = pid && running.pid !== pid ? running.pid : 0;
    const [cpu0, docketCpu0, t0] = [pid ? cpuSeconds(pid) : NaN, cpuSeconds(docket), performance.now()];
    const out = await fn(running);
    if (pid && cpuRow) {
      const seconds = (performance.now() - t0) / 1000;
      record(
        `Redis CPU during ${cpuRow} (% of a core)`,
        sys.name,
        ((cpuSeconds(pid) - cpu0) / seconds) * 100,
      );
      if (docket) {
        const percent = ((cpuSeconds(docket) - docketCpu0) / seconds) * 100;
        record(`docket server CPU during ${cpuRow} (% of a core)`, sys.name, percent);
      }
    }
    const scripts = port ? (await scriptCalls(port)) - scripts0 : 0;
    if (scripts > 0) record(`Redis scripts per job during ${cpuRow}`, sys.name, scripts / jobs);
    return out;
  } finally {
    await running.stop();
  }
}

const log = (s: string) => process.stderr.write(s);
log(`machine: ${JSON.stringify(results.machine)}\nversions: ${JSON.stringify(results.versions)}\n`);
log(`journal (--fsync) in docket: ${fsync ? "yes" : "no, benchmarking docket in memory"}\n`);
for (const [k, v] of Object.entries(skipped)) log(`skipped ${k}: ${v}\n`);

// the workloads of the main table; rb has its own section below
const mainRuns = [...workloads].some((w) => w !== "rb") ? runs : 0;
for (let run = 0; run < mainRuns; run++) {
  // A/B interleaving: every run goes through all systems, starting one further each time
  const order = systems.map((_, i) => systems[(i + run) % systems.length]!);
  for (const sys of order) {
    log(`run ${run + 1}/${runs} ${sys.name}:`);
    try {
      if (workloads.has("a")) {
        const a = await withServer(sys, (r) => produce(r, jobs, num("conns"), 1), "a");
        record(`a: produce, ${num("conns")} conns (jobs/s)`, sys.name, a.jobsPerSec);
        const a1 = await withServer(sys, (r) => produce(r, jobs, 1, num("window")), "a1");
        record(`a: produce, 1 pipelined conn (jobs/s)`, sys.name, a1.jobsPerSec);
        log(` a=${a.jobsPerSec.toFixed(0)} a1=${a1.jobsPerSec.toFixed(0)}`);
      }
      if (workloads.has("b")) {
        const b = await withServer(sys, (r) => consume(r, jobs, num("consumers")), "b");
        record(`b: consume+ack backlog, ${num("consumers")} consumers (jobs/s)`, sys.name, b.jobsPerSec);
        log(` b=${b.jobsPerSec.toFixed(0)}`);
      }
      let plainC: Outcome | undefined;
      if (workloads.has("c")) {
        const c = await withServer(sys, (r) => mixed(r, jobs, num("producers"), num("consumers")), "c");
        plainC = c;
        record(
          `c: ${num("producers")} producers + ${num("consumers")} consumers (jobs/s)`,
          sys.name,
          c.jobsPerSec,
        );
        record(`c: add-to-fetch p50 (ms)`, sys.name, c.p50Ms ?? NaN);
        record(`c: add-to-fetch p99 (ms)`, sys.name, c.p99Ms ?? NaN);
        log(` c=${c.jobsPerSec.toFixed(0)} p50=${c.p50Ms?.toFixed(2)} p99=${c.p99Ms?.toFixed(2)}`);
      }
      if (workloads.has("f") && sys.name.startsWith("docket")) {
        // its own catch: a store without the failure options loses this row only
        try {
          const f = await withServer(sys, (r) => failing(r, jobs, num("producers"), num("consumers")));
          const shape = `${num("producers")} producers + ${num("consumers")} consumers, 1/3 fail twice`;
          record(`f: ${shape} (jobs/s)`, sys.name, f.jobsPerSec);
          record(`f: healthy jobs' add-to-fetch p99 (ms)`, sys.name, f.p99Ms ?? NaN);
          log(` f=${f.jobsPerSec.toFixed(0)} healthy p99=${f.p99Ms?.toFixed(2)}`);
        } catch (error) {
          log(` f FAILED: ${(error as Error).message}`);
        }
      }
      if (workloads.has("g") && sys.name.startsWith("docket")) {
        // its own catch: a store without the scheduling options loses these rows only
        try {
          const shape = [num("producers"), num("consumers")] as const;
          const plain = plainC ?? (await withServer(sys, (r) => mixed(r, jobs, ...shape)));
          for (const variant of SCHEDULING_VARIANTS) {
            const g = await withServer(sys, (r) => mixedWith(r, variant, jobs, ...shape));
            record(`g: c with ${variant.name} (jobs/s)`, sys.name, g.jobsPerSec);
            record(`g: c with ${variant.name} / plain c (ratio)`, sys.name, g.jobsPerSec / plain.jobsPerSec);
            log(
              ` g[${variant.name}]=${g.jobsPerSec.toFixed(0)} (${(g.jobsPerSec / plain.jobsPerSec).toFixed(2)}×)`,
            );
          }
        } catch (error) {
          log(` g FAILED: ${(error as Error).message}`);
        }
      }
      if (workloads.has("d") && !sys.name.startsWith("bullmq") && !sys.name.startsWith("docket redis")) {
        const d = await withServer(sys, (r) => memory(r, memJobs));
        record(`d: RSS per queued job beyond body, ${memJobs} jobs (bytes)`, sys.name, d);
        log(` d=${d.toFixed(0)}B`);
      }
      if (workloads.has("e") && fsync && sys.name === "docket fsync=no") {
        const e = await recovery(memJobs);
        record(`e: recovery of ${memJobs} jobs (s)`, sys.name, e);
        log(` e=${e.toFixed(2)}s`);
      }
    } catch (error) {
      log(` FAILED: ${(error as Error).message}`);
      results.skipped[sys.name] = `failed: ${(error as Error).message.split("\n")[0]}`;
    }
    log("\n");
  }
}

/** (e) start docket on a journal holding m jobs; seconds until it answers with QLEN = m. */
async function recovery(m: number): Promise<number> {
  const dataDir = mkdtempSync(join(os.tmpdir(), "docket-recovery-"));
  const first = await startDocket({ fsync: "no", dataDir });
  try {
    const cs = await Promise.all([first.connect(), first.connect(), first.connect(), first.connect()]);
    let issued = 0;
    await Promise.all(
      cs.map(
        (c) =>
          new Promise<void>((resolve, reject) => {
            const next = (): void => {
              if (issued >= m) return resolve();
              issued++;
              c.add("r".repeat(100), (err) => (err ? reject(err) : next()));
            };
            for (let i = 0; i < 64; i++) next();
          }),
      ),
    );
    for (const c of cs) c.close();
    await first.stop();
    const t0 = performance.now();
    const second = await startDocket({ fsync: "no", dataDir });
    try {
      const c = await RespConn.connect(second.port);
      while (Number(await c.call("QLEN", QUEUE)) < m) await new Promise((r) => setTimeout(r, 5));
      c.close();
      return (performance.now() - t0) / 1000;
    } finally {
      await second.stop();
    }
  } finally {
    spawnSync("rm", ["-rf", dataDir]);
  }
}

if (workloads.has("rb") && !skipped["redis-benchmark"]) {
  const rbSkipped: Record<string, string> = {};
  const servers = rbServers().filter((s) => {
    const why = s.name.startsWith("disque")
      ? skipped["disque"]
      : s.name.startsWith("redis")
        ? skipped["redis"]
        : undefined;
    if (why) rbSkipped[s.name] = why;
    return !why && isWanted(s.name);
  });
  results.rb = { ...(await runRedisBenchmark(servers, jobs, runs, log)), skipped: rbSkipped };
}

mkdirSync(flags.out!, { recursive: true });
const stamp = results.date.replace(/[:.]/g, "-");
const rows = ratioRows(results);
const checks = targets(results);
const json = JSON.stringify(
  { ...results, rows, targets: checks, rbTargets: results.rb && rbTargets(results.rb) },
  null,
  2,
);
writeFileSync(join(flags.out!, `bench-${stamp}.json`), json);
writeFileSync(join(flags.out!, "latest.json"), json);
writeFileSync(join(flags.out!, "latest.svg"), renderSvg(results));
const rbMarkdown = results.rb ? renderRbMarkdown(results.rb) : "";
// an rb-only run prints no empty main table, only its header (machine, versions)
const headerOnly = [...header(results), ...Object.entries(skipped).map(([k, v]) => `skipped ${k}: ${v}`)];
const mainText = mainRuns ? renderText(results, rows, checks) : headerOnly.join("\n");
const mainMarkdown = mainRuns ? renderMarkdown(results, rows, checks) : headerOnly.join("  \n") + "\n";
writeFileSync(join(flags.out!, "latest.md"), mainMarkdown + rbMarkdown);
console.log(mainText);
if (results.rb) console.log(renderRbText(results.rb));
console.log(`\nresults: ${join(flags.out!, "latest.json")}, latest.md, latest.svg (and bench-${stamp}.json)`);
