import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BeanConn, RespConn } from "./clients.js";
import { DISQUE_SERVER, disqueAvailable, disquePorts } from "../test/helpers/disque.js";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));
export const QUEUE = "bench";

/** One connection to a queue, callback style (no Promise per job). */
export interface QueueConn {
  add(body: string, cb: (err: Error | null) => void): void;
  /** docket only: ADDJOB with more options after the timeout (the scheduling variants of (c)) */
  addWith?(body: string, options: string[], cb: (err: Error | null) => void): void;
  /** a blocking fetch of one job; id "" and body "" when the wait timed out */
  fetch(cb: (err: Error | null, id: string, body: string) => void): void;
  ack(id: string, cb: (err: Error | null) => void): void;
  close(): void;
}

export interface Running {
  pid: number;
  port: number;
  connect(): Promise<QueueConn>;
  stop(): Promise<void>;
  /** set when the system uses its own library instead of QueueConn (BullMQ) */
  bullmq?: boolean;
  /** the Redis server the system runs on (Redis, BullMQ, docket on Redis): its CPU is reported */
  redisPid?: number;
  /** that Redis server's port: the scripts it ran are reported */
  redisPort?: number;
}

export interface SystemDef {
  name: string;
  /** true when acknowledged writes are on disk (fsync always / binlog -f 0) */
  durable: boolean;
  /** the docket configuration this peer is compared with */
  compareWith?: string;
  start(): Promise<Running>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function waitForPort(port: number, child: ChildProcess, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ port, host: "127.0.0.1" });
      s.once("connect", () => {
        s.destroy();
        resolve(true);
      });
      s.once("error", () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) throw new Error(`port ${port} not listening after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

export async function spawnServer(cmd: string, args: string[], port: number): Promise<ChildProcess> {
  const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    if (stderr.length < 4000) stderr += d.toString();
  });
  try {
    await waitForPort(port, child);
  } catch (error) {
    child.kill("SIGKILL");
    throw new Error(`${cmd} ${args.join(" ")}: ${(error as Error).message}\n${stderr}`);
  }
  return child;
}

/** RSS of a process in bytes, from /proc/PID/status. */
/**
 * CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat;
 * with `tid`, one of its threads' (/proc/<pid>/task/<tid>/stat: the main
 * thread's tid is the pid); NaN when gone
 */
export function cpuSeconds(pid: number, tid?: number): number {
  try {
    const stat = readFileSync(
      tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`,
      "utf8",
    );
    // fields after the command name (which may hold spaces): utime and stime are the 12th and 13th
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return NaN;
  }
}
const CLOCK_TICKS = Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()) || 100;

export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return m ? Number(m[1]) * 1024 : NaN;
}

export function hasCommand(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`]).status === 0;
}

export function docketSupportsFsync(): boolean {
  const r = spawnSync(process.execPath, [join(ROOT, "dist/cli/main.js"), "serve", "--help"], {
    encoding: "utf8",
  });
  return r.status === 0 && r.stdout.includes("--fsync");
}

// ---- docket (and Disque: the same commands, the same replies) --------------

/** ADDJOB / GETJOB / ACKJOB: docket's Disque dialect, and Disque itself (DISQUE.md: same reply shapes). */
function jobConn(c: RespConn): QueueConn {
  return {
    add: (body, cb) =>
      c.send(["ADDJOB", QUEUE, body, "0"], (e, r) => cb(e ?? (r instanceof Error ? r : null))),
    addWith: (body, options, cb) =>
      c.send(["ADDJOB", QUEUE, body, "0", ...options], (e, r) => cb(e ?? (r instanceof Error ? r : null))),
    fetch: (cb) =>
      c.send(["GETJOB", "TIMEOUT", "1000", "FROM", QUEUE], (e, r) => {
        if (e || r instanceof Error) return cb(e ?? (r as Error), "", "");
        const job = Array.isArray(r) ? (r[0] as Reply3 | undefined) : undefined;
        if (!job) return cb(null, "", "");
        cb(null, job[1], job[2]);
      }),
    ack: (id, cb) => c.send(["ACKJOB", id], (e, r) => cb(e ?? (r instanceof Error ? r : null))),
    close: () => c.close(),
  };
}
type Reply3 = [string, string, string];

export interface DocketOptions {
  fsync?: "always" | "everysec" | "no";
  dataDir?: string;
  /** more `serve` flags, e.g. --redis */
  extraArgs?: string[];
}

export async function startDocket(
  opts: DocketOptions = {},
): Promise<Running & { dataDir: string | undefined }> {
  const port = await freePort();
  const ownDir = opts.dataDir ? undefined : mkdtempSync(join(tmpdir(), "docket-bench-"));
  const dataDir = opts.dataDir ?? ownDir;
  // e.g. BENCH_DOCKET_NODE_ARGS="--cpu-prof --cpu-prof-dir=/tmp/prof" to profile the server
  const nodeArgs = (process.env.BENCH_DOCKET_NODE_ARGS ?? "").split(" ").filter(Boolean);
  const args = [
    ...nodeArgs,
    join(ROOT, "dist/cli/main.js"),
    "serve",
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--no-http",
  ];
  if (opts.fsync) args.push("--fsync", opts.fsync);
  if (dataDir) args.push("--data-dir", dataDir);
  if (opts.extraArgs) args.push(...opts.extraArgs);
  const child = await spawnServer(process.execPath, args, port);
  return {
    pid: child.pid ?? 0,
    port,
    dataDir,
    connect: async () => jobConn(await RespConn.connect(port)),
    stop: async () => {
      await stopChild(child);
      if (ownDir) rmSync(ownDir, { recursive: true, force: true });
    },
  };
}

export function docketSystems(fsync: boolean): SystemDef[] {
  if (!fsync) return [{ name: "docket (memory)", durable: false, start: () => startDocket() }];
  return (["always", "everysec", "no"] as const).map((mode) => ({
    name: `docket fsync=${mode}`,
    durable: mode === "always",
    start: () => startDocket({ fsync: mode }),
  }));
}

/**
 * docket on the Redis store: one Redis (no persistence) and `servers` docket
 * servers over it; connections are spread over the servers round-robin.
 */
export function docketRedisSystem(servers: number, compareWith: string): SystemDef {
  return {
    name: `docket redis x${servers}`,
    durable: false,
    compareWith,
    start: async () => {
      const redis = await startRedis(false);
      const dockets: Array<Running & { dataDir: string | undefined }> = [];
      try {
        for (let i = 0; i < servers; i++) {
          dockets.push(
            await startDocket({
              extraArgs: ["--redis", `redis://127.0.0.1:${redis.port}`, "--redis-prefix", "bench"],
            }),
          );
        }
      } catch (error) {
        await Promise.all(dockets.map((d) => d.stop()));
        await redis.stop();
        throw error;
      }
      let next = 0;
      return {
        pid: dockets[0]!.pid,
        port: dockets[0]!.port,
        redisPid: redis.pid,
        redisPort: redis.port,
        connect: () => dockets[next++ % dockets.length]!.connect(),
        stop: async () => {
          await Promise.all(dockets.map((d) => d.stop()));
          await redis.stop();
        },
      };
    },
  };
}

// ---- Disque -------------------------------------------------------------------

// The path (DISQUE_SERVER, else the shared tools beside the repository) and the port pair, as the differential tests use them.
export { DISQUE_SERVER };
export const hasDisque = disqueAvailable;

/** One Disque node without persistence (appendonly no); a lone node replicates to itself only. */
export async function startDisque(): Promise<Running> {
  const port = await disquePorts();
  const dir = mkdtempSync(join(tmpdir(), "disque-bench-"));
  const args = ["--bind", "127.0.0.1", "--port", String(port), "--daemonize", "no"];
  args.push("--dir", dir, "--appendonly", "no");
  const child = await spawnServer(DISQUE_SERVER, args, port);
  return {
    pid: child.pid ?? 0,
    port,
    connect: async () => jobConn(await RespConn.connect(port)),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export function disqueSystem(compareWith: string): SystemDef {
  return { name: "disque (appendonly no)", durable: false, compareWith, start: startDisque };
}

// ---- beanstalkd -----------------------------------------------------------

function beanConn(c: BeanConn): QueueConn {
  return {
    add: (body, cb) =>
      c.send(`put 1024 0 60 ${body.length}\r\n${body}\r\n`, (e, r) =>
        cb(e ?? (r.line.startsWith("INSERTED") ? null : new Error(r.line))),
      ),
    fetch: (cb) =>
      c.send("reserve-with-timeout 1\r\n", (e, r) => {
        if (e) return cb(e, "", "");
        if (r.line.startsWith("RESERVED ")) return cb(null, r.line.split(" ")[1] ?? "", r.body ?? "");
        if (r.line === "TIMED_OUT" || r.line === "DEADLINE_SOON") return cb(null, "", "");
        cb(new Error(r.line), "", "");
      }),
    ack: (id, cb) =>
      c.send(`delete ${id}\r\n`, (e, r) => cb(e ?? (r.line === "DELETED" ? null : new Error(r.line)))),
    close: () => c.close(),
  };
}

export function beanstalkdSystem(binlog: boolean, compareWith: string): SystemDef {
  return {
    name: binlog ? "beanstalkd -b -f 0" : "beanstalkd (memory)",
    durable: binlog,
    compareWith,
    start: async () => {
      const port = await freePort();
      const dir = binlog ? mkdtempSync(join(tmpdir(), "beanstalkd-bench-")) : undefined;
      const args = ["-l", "127.0.0.1", "-p", String(port), "-z", "1048576"];
      if (dir) args.push("-b", dir, "-f", "0");
      const child = await spawnServer("beanstalkd", args, port);
      return {
        pid: child.pid ?? 0,
        port,
        connect: async () => beanConn(await BeanConn.connect(port)),
        stop: async () => {
          await stopChild(child);
          if (dir) rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  };
}

// ---- Redis (reliable queue) and BullMQ ---------------------------------------

function redisConn(c: RespConn): QueueConn {
  const processing = `${QUEUE}:processing`;
  return {
    add: (body, cb) => c.send(["LPUSH", QUEUE, body], (e, r) => cb(e ?? (r instanceof Error ? r : null))),
    fetch: (cb) =>
      c.send(["BLMOVE", QUEUE, processing, "RIGHT", "LEFT", "1"], (e, r) => {
        if (e || r instanceof Error) return cb(e ?? (r as Error), "", "");
        if (typeof r !== "string") return cb(null, "", "");
        cb(null, r, r);
      }),
    ack: (id, cb) =>
      c.send(["LREM", processing, "1", id], (e, r) => cb(e ?? (r instanceof Error ? r : null))),
    close: () => c.close(),
  };
}

export async function startRedis(aof: boolean): Promise<Running> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "redis-bench-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--dir",
    dir,
    "--daemonize",
    "no",
  ];
  args.push("--appendonly", aof ? "yes" : "no");
  if (aof) args.push("--appendfsync", "always");
  const child = await spawnServer("redis-server", args, port);
  return {
    pid: child.pid ?? 0,
    port,
    redisPid: child.pid ?? 0,
    redisPort: port,
    connect: async () => redisConn(await RespConn.connect(port)),
    stop: async () => {
      await stopChild(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** the scripts (EVAL, EVALSHA, FCALL) a Redis server has run so far, from INFO commandstats */
export async function scriptCalls(port: number): Promise<number> {
  const conn = await RespConn.connect(port);
  try {
    const info = await new Promise<string>((resolve, reject) =>
      conn.send(["INFO", "commandstats"], (e, r) => (e ? reject(e) : resolve(String(r)))),
    );
    let calls = 0;
    for (const m of info.matchAll(
      /^cmdstat_(?:eval|evalsha|eval_ro|evalsha_ro|fcall|fcall_ro):calls=(\d+)/gm,
    )) {
      calls += Number(m[1]);
    }
    return calls;
  } finally {
    conn.close();
  }
}

export function redisSystem(aof: boolean, compareWith: string): SystemDef {
  return {
    name: aof ? "redis appendfsync=always" : "redis (no persistence)",
    durable: aof,
    compareWith,
    start: () => startRedis(aof),
  };
}

export function bullmqSystem(compareWith: string): SystemDef {
  return {
    name: "bullmq (redis, no persistence)",
    durable: false,
    compareWith,
    start: async () => ({ ...(await startRedis(false)), bullmq: true }),
  };
}

export function versions(): Record<string, string> {
  const out: Record<string, string> = { node: process.version };
  const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { version: string };
  const rev = spawnSync("git", ["rev-parse", "--short", "HEAD"], {
    cwd: ROOT,
    encoding: "utf8",
  }).stdout.trim();
  out.docket = `${pkg.version} (${rev})`;
  if (hasCommand("beanstalkd"))
    out.beanstalkd = spawnSync("beanstalkd", ["-v"], { encoding: "utf8" }).stdout.trim();
  if (hasCommand("redis-server"))
    out.redis =
      spawnSync("redis-server", ["--version"], { encoding: "utf8" }).stdout.trim().split(" ")[2] ?? "?";
  if (hasDisque())
    out.disque =
      spawnSync(DISQUE_SERVER, ["--version"], { encoding: "utf8" }).stdout.split(" ")[2]?.slice(2) ?? "?";
  try {
    out.bullmq = (
      JSON.parse(readFileSync(join(ROOT, "node_modules/bullmq/package.json"), "utf8")) as { version: string }
    ).version;
  } catch {
    /* not installed */
  }
  return out;
}
