/**
 * Stall bench (issue 11): how long one heavy request holds the server's
 * event loop. A docket server (the built CLI, its own process, --fsync no)
 * is loaded with --jobs jobs (default 10^6): half in one queue `big`, half
 * spread over --queues queues (default 10^5). Then each heavy request runs
 * alone while a second connection PINGs every 2 ms; per request we print
 *
 * - the server's own event-loop delay while it ran (perf_hooks
 *   monitorEventLoopDelay, read and reset with DEBUG LOOPDELAY): p99, max;
 * - the slowest PING round trip seen meanwhile;
 * - the request's wall time and reply size.
 *
 * Target: max loop delay < 50 ms for every request.
 *
 *   npm run build && npm run bench:stall [-- --jobs 1000000 --queues 100000]
 *
 * DOCKET_CLI=/path/to/dist/cli/main.js benches another build (e.g. before a change).
 * Results are printed and saved to bench/results/stall.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { LoadConnection, type Value } from "./resp-load.js";
import { freePort, ROOT, spawnServer, stopChild } from "./systems.js";

const { values: flags } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000000" },
    queues: { type: "string", default: "100000" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
const JOBS = Number(flags.jobs);
const QUEUES = Number(flags.queues);
const TIMEOUT_MS = Number(flags["timeout-ms"]);
const TARGET_MAX_MS = 50;
const CLI = process.env.DOCKET_CLI ?? join(ROOT, "dist/cli/main.js");

interface Row {
  request: string;
  wallMs: number;
  replyBytes: number;
  loopP99Ms: number;
  loopMaxMs: number;
  pingMaxMs: number;
  note?: string;
}

/** Bytes of a parsed RESP reply, roughly (the payload, not the framing). */
function sizeOf(value: Value): number {
  if (Array.isArray(value)) return value.reduce<number>((n, v) => n + sizeOf(v), 0);
  if (value instanceof Error) return value.message.length;
  return value === null ? 0 : String(value).length;
}

async function load(port: number): Promise<void> {
  const conns = await Promise.all(Array.from({ length: 4 }, () => LoadConnection.open(port)));
  const BATCH = 5000;
  let next = 0;
  const started = performance.now();
  await Promise.all(
    conns.map(async (conn) => {
      while (next < JOBS) {
        const batch: Array<Promise<Value>> = [];
        for (let i = 0; i < BATCH && next < JOBS; i++, next++) {
          const queue = next % 2 === 0 ? "big" : `q${(next >> 1) % QUEUES}`;
          batch.push(conn.call("ADDJOB", queue, `job ${next}`, "0"));
        }
        for (const reply of await Promise.all(batch)) if (reply instanceof Error) throw reply;
      }
    }),
  );
  for (const conn of conns) conn.close();
  const secs = (performance.now() - started) / 1000;
  console.log(`loaded ${JOBS} jobs over ${QUEUES + 1} queues in ${secs.toFixed(1)} s`);
}

/** PINGs every 2 ms until stopped: the slowest round trip. */
function pinger(conn: LoadConnection): { stop(): Promise<number> } {
  let stopped = false;
  let max = 0;
  const loop = (async () => {
    while (!stopped) {
      const sent = performance.now();
      await conn.call("PING");
      max = Math.max(max, performance.now() - sent);
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  })();
  return {
    async stop() {
      stopped = true;
      await loop;
      return max;
    },
  };
}

function loopDelay(reply: Value): { p99: number; max: number } {
  const fields = reply as string[];
  const get = (name: string) => Number(fields[fields.indexOf(name) + 1]);
  return { p99: get("p99-ms"), max: get("max-ms") };
}

async function main(): Promise<void> {
  const port = await freePort();
  const httpPort = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "docket-stall-"));
  const args = [CLI, "serve", "--port", String(port), "--bind", "127.0.0.1", "--data-dir", dir];
  args.push("--http-port", String(httpPort), "--http-bind", "127.0.0.1", "--fsync", "no");
  const child = await spawnServer(process.execPath, args, port);
  const rows: Row[] = [];
  try {
    await load(port);
    const probe = await LoadConnection.open(port);
    const measure = async (request: string, run: () => Promise<{ bytes: number; note?: string }>) => {
      await new Promise((resolve) => setTimeout(resolve, 200)); // let the previous one settle
      await probe.call("DEBUG", "LOOPDELAY");
      const pings = pinger(probe);
      const started = performance.now();
      let result: { bytes: number; note?: string };
      try {
        result = await run();
      } catch (error) {
        result = { bytes: 0, note: (error as Error).message };
      }
      const wallMs = performance.now() - started;
      const pingMaxMs = await pings.stop();
      const delay = loopDelay(await probe.call("DEBUG", "LOOPDELAY"));
      const row: Row = {
        request,
        wallMs,
        replyBytes: result.bytes,
        loopP99Ms: delay.p99,
        loopMaxMs: delay.max,
        pingMaxMs,
        ...(result.note ? { note: result.note } : {}),
      };
      rows.push(row);
      console.log(
        `${request.padEnd(48)} wall ${wallMs.toFixed(0).padStart(6)} ms  reply ${String(row.replyBytes).padStart(10)} B  ` +
          `loop p99 ${delay.p99.toFixed(1).padStart(6)} ms  max ${delay.max.toFixed(1).padStart(6)} ms  ` +
          `ping max ${pingMaxMs.toFixed(1).padStart(6)} ms${row.note ? `  (${row.note})` : ""}`,
      );
    };
    const resp = async (...command: string[]) => {
      const conn = await LoadConnection.open(port);
      try {
        const reply = await Promise.race([
          conn.call(...command),
          new Promise<never>((_, reject) =>
            setTimeout(() => reject(new Error(`no reply in ${TIMEOUT_MS} ms`)), TIMEOUT_MS),
          ),
        ]);
        return { bytes: sizeOf(reply), note: reply instanceof Error ? reply.message : undefined };
      } finally {
        conn.close();
      }
    };
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = await res.arrayBuffer();
      return { bytes: body.byteLength, note: res.status === 200 ? undefined : `HTTP ${res.status}` };
    };

    await measure("(idle: PINGs only, 1 s)", async () => {
      await new Promise((resolve) => setTimeout(resolve, 1000));
      return { bytes: 0 };
    });
    await measure("JSCAN COUNT 100000000 REPLY all", () =>
      resp("JSCAN", "COUNT", "100000000", "REPLY", "all"),
    );
    await measure("JSCAN BUSYLOOP REPLY all", () => resp("JSCAN", "BUSYLOOP", "REPLY", "all"));
    await measure("QSCAN COUNT 100000000", () => resp("QSCAN", "COUNT", "100000000"));
    await measure("QPEEK big 1000000000", () => resp("QPEEK", "big", "1000000000"));
    await measure("QPEEK big -1000000000", () => resp("QPEEK", "big", "-1000000000"));
    await measure("GET /v1/queues/big/peek?count=1000000000", () =>
      get("/v1/queues/big/peek?count=1000000000"),
    );
    await measure("GET /v1/queues/big/peek?count=1000", () => get("/v1/queues/big/peek?count=1000"));
    await measure("GET /v1/queues/big/deadletters", () => get("/v1/queues/big/deadletters"));
    await measure(`GET /metrics (${QUEUES + 1} queues)`, () => get("/metrics"));
    await measure(`GET /v1/queues (${QUEUES + 1} queues)`, () => get("/v1/queues"));
    await measure(`CONFIG GET ${"*".repeat(16)}!`, () => resp("CONFIG", "GET", `${"*".repeat(16)}!`));
    probe.close();
  } finally {
    await stopChild(child);
    rmSync(dir, { recursive: true, force: true });
  }
  const worst = Math.max(...rows.map((r) => r.loopMaxMs));
  console.log(`worst event-loop delay: ${worst.toFixed(1)} ms (target < ${TARGET_MAX_MS} ms)`);
  const out = join(ROOT, "bench/results");
  mkdirSync(out, { recursive: true });
  writeFileSync(
    join(out, "stall.json"),
    JSON.stringify({ date: new Date().toISOString(), cli: CLI, jobs: JOBS, queues: QUEUES, rows }, null, 2),
  );
}

await main();
