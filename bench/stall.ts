/**
 * Stall bench (issue 11): how long one heavy request holds the server's
 * event loop. A docket server (the built CLI, its own process, --fsync no)
 * is loaded with --jobs jobs (default 10^6): half in one queue `big`, half
 * spread over --queues queues (default 10^5), and one job of each of the
 * first 1,000 of them delivered (so /metrics has latency histograms to
 * write). Then each heavy request runs
 * --rounds times, alone, while a second connection PINGs every 2 ms; per request we print
 *
 * - the server's own event-loop delay while it ran (perf_hooks
 *   monitorEventLoopDelay, read and reset with DEBUG LOOPDELAY): p99, max;
 * - the slowest PING round trip seen meanwhile;
 * - the request's wall time and reply size.
 *
 * Target: max loop delay < 50 ms for every request.
 *
 *   npm run build && npm run bench:stall [-- --jobs 1000000 --queues 100000 --rounds 3]
 *
 * DOCKET_CLI=/path/to/dist/cli/main.js benches another build (e.g. before a change).
 * Results are printed and saved to bench/results/stall.json.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { connect } from "node:net";
import { encodeCommand, LoadConnection, type Value } from "./resp-load.js";
import { freePort, ROOT, spawnServer, stopChild } from "./systems.js";

const { values: flags } = parseArgs({
  options: {
    jobs: { type: "string", default: "1000000" },
    queues: { type: "string", default: "100000" },
    rounds: { type: "string", default: "3" },
    "timeout-ms": { type: "string", default: "60000" },
  },
});
const JOBS = Number(flags.jobs);
const QUEUES = Number(flags.queues);
const TIMEOUT_MS = Number(flags["timeout-ms"]);
const ROUNDS = Number(flags.rounds);
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
  // One delivery from each of the first 1,000 queues: /metrics has latency histograms to write.
  const queues = Array.from({ length: Math.min(QUEUES, 1000) }, (_, i) => `q${i}`);
  const taken = await conns[0]!.call("GETJOB", "NOHANG", "COUNT", String(queues.length), "FROM", ...queues);
  if (taken instanceof Error) throw taken;
  for (const conn of conns) conn.close();
  const secs = (performance.now() - started) / 1000;
  console.log(`loaded ${JOBS} jobs over ${QUEUES + 1} queues in ${secs.toFixed(1)} s`);
}

/**
 * Sends `command` then PING on a fresh connection and waits for the PONG: the
 * reply's size without parsing it, so the bench's own loop stays free for the
 * PING prober (a parser re-reading a megabyte reply would delay it).
 */
function rawCall(port: number, command: string[]): Promise<{ bytes: number; note?: string }> {
  const PONG = "+PONG\r\n";
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => {
      socket.write(Buffer.concat([encodeCommand(command), encodeCommand(["PING"])]));
    });
    let bytes = 0;
    let error = "";
    let last = ""; // the last bytes received, where the PONG shows up
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no reply in ${TIMEOUT_MS} ms`));
    }, TIMEOUT_MS);
    socket.on("data", (chunk: Buffer) => {
      if (bytes === 0 && chunk[0] === 0x2d /* - */)
        error = chunk.toString("latin1", 1, chunk.indexOf("\r\n"));
      bytes += chunk.length;
      last = (last + chunk.toString("latin1", Math.max(0, chunk.length - PONG.length))).slice(-PONG.length);
      if (last === PONG) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ bytes: bytes - PONG.length, ...(error ? { note: error } : {}) });
      }
    });
    socket.on("error", reject);
  });
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

/** DEBUG LOOPDELAY's figures (NaN from a server without it). */
function loopDelay(reply: Value): { p99: number; max: number } {
  if (!Array.isArray(reply)) return { p99: NaN, max: NaN };
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
    const resp = (...command: string[]) => rawCall(port, command);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, {
        signal: AbortSignal.timeout(TIMEOUT_MS),
      });
      const body = await res.arrayBuffer();
      return { bytes: body.byteLength, note: res.status === 200 ? undefined : `HTTP ${res.status}` };
    };

    const requests: Array<[string, () => Promise<{ bytes: number; note?: string }>]> = [
      [
        "(idle: PINGs only, 1 s)",
        () => new Promise((resolve) => setTimeout(() => resolve({ bytes: 0 }), 1000)),
      ],
      ["JSCAN COUNT 100000000 REPLY all", () => resp("JSCAN", "COUNT", "100000000", "REPLY", "all")],
      ["JSCAN BUSYLOOP REPLY all", () => resp("JSCAN", "BUSYLOOP", "REPLY", "all")],
      ["QSCAN COUNT 100000000", () => resp("QSCAN", "COUNT", "100000000")],
      ["QPEEK big 1000000000", () => resp("QPEEK", "big", "1000000000")],
      ["QPEEK big -1000000000", () => resp("QPEEK", "big", "-1000000000")],
      ["GET /v1/queues/big/peek?count=1000000000", () => get("/v1/queues/big/peek?count=1000000000")],
      ["GET /v1/queues/big/peek?count=1000", () => get("/v1/queues/big/peek?count=1000")],
      ["GET /v1/queues/big/deadletters", () => get("/v1/queues/big/deadletters")],
      [`GET /metrics (${QUEUES + 1} queues)`, () => get("/metrics")],
      [`GET /v1/queues (${QUEUES + 1} queues)`, () => get("/v1/queues")],
      [`CONFIG GET ${"*".repeat(16)}!`, () => resp("CONFIG", "GET", `${"*".repeat(16)}!`)],
    ];
    for (const [request, run] of requests) for (let r = 0; r < ROUNDS; r++) await measure(request, run);
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
