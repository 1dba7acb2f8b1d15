import { spawn, execFile, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Redis } from "ioredis";
import { after, afterEach, before } from "node:test";

/**
 * Real redis-server processes for the Redis store's tests: standalone, a
 * replica, and a 3-master Redis Cluster, each on free 127.0.0.1 ports, with
 * no persistence (`--save '' --appendonly no`). Call `stop()` in `after`;
 * every process still running when the test process exits is killed too.
 */

const run = promisify(execFile);
const REDIS_SERVER = process.env.REDIS_SERVER ?? "redis-server";
const REDIS_CLI = process.env.REDIS_CLI ?? "redis-cli";

const running = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of running) child.kill("SIGKILL");
});

export interface RedisProcess {
  port: number;
  /** redis://127.0.0.1:<port> */
  url: string;
  child: ChildProcess;
  /** SIGKILLs the process and removes its directory */
  stop(): Promise<void>;
}

export interface RedisCluster {
  nodes: RedisProcess[];
  /** one URL per master */
  urls: string[];
  stop(): Promise<void>;
}

/** A port nobody listens on right now (the kernel's pick). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A key prefix no other test uses, so tests can share one Redis. */
export function uniquePrefix(name = "t"): string {
  return `${name}-${randomBytes(4).toString("hex")}`;
}

/** True when a redis-server binary is on the PATH. */
export async function redisAvailable(): Promise<boolean> {
  try {
    await run(REDIS_SERVER, ["--version"]);
    return true;
  } catch {
    return false;
  }
}

export interface StartRedisOptions {
  /** start as a replica of this port on 127.0.0.1 */
  replicaOf?: number;
  /** start as a Cluster node (`--cluster-enabled yes`) */
  cluster?: boolean;
  /** AOF with `appendfsync always` instead of no persistence */
  durable?: boolean;
}

/** One redis-server on a free port, ready to answer PING. */
export async function startRedis(options: StartRedisOptions = {}): Promise<RedisProcess> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await startOnce(options);
    } catch (error) {
      if (attempt >= 4) throw error;
    }
  }
}

async function startOnce(options: StartRedisOptions): Promise<RedisProcess> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "docket-redis-"));
  const args = [
    "--port",
    String(port),
    "--bind",
    "127.0.0.1",
    "--save",
    "",
    "--appendonly",
    options.durable ? "yes" : "no",
    ...(options.durable ? ["--appendfsync", "always"] : []),
    "--dir",
    dir,
    "--protected-mode",
    "no",
  ];
  if (options.replicaOf !== undefined) args.push("--replicaof", "127.0.0.1", String(options.replicaOf));
  if (options.cluster) {
    args.push(
      "--cluster-enabled",
      "yes",
      "--cluster-config-file",
      join(dir, "nodes.conf"),
      "--cluster-port",
      String(await freePort()),
      "--cluster-node-timeout",
      "2000",
    );
  }
  const child = spawn(REDIS_SERVER, args, { stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let output = "";
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => (output += chunk));
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  void exited.then(() => running.delete(child));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
    rmSync(dir, { recursive: true, force: true });
  };
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`redis-server on port ${port} exited:\n${output}`);
    }
    if (await pings(port)) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`redis-server on port ${port} did not answer:\n${output}`);
    }
    await sleep(20);
  }
  return { port, url: `redis://127.0.0.1:${port}`, child, stop };
}

async function pings(port: number): Promise<boolean> {
  const client = new Redis({ port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on("error", () => {});
  try {
    await client.connect();
    return (await client.ping()) === "PONG";
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

/** A master and `replicas` replicas of it; resolves once every replica is in sync. */
export async function startReplicated(
  replicas: number,
  options: { durable?: boolean } = {},
): Promise<{ master: RedisProcess; replicas: RedisProcess[]; stop(): Promise<void> }> {
  const master = await startRedis(options);
  const started: RedisProcess[] = [];
  try {
    for (let i = 0; i < replicas; i++) started.push(await startRedis({ ...options, replicaOf: master.port }));
    const client = new Redis(master.port, "127.0.0.1");
    try {
      const deadline = Date.now() + 10_000;
      while ((await connectedReplicas(client)) < replicas) {
        if (Date.now() > deadline) throw new Error("replicas did not connect");
        await sleep(50);
      }
    } finally {
      client.disconnect();
    }
  } catch (error) {
    await Promise.all([master, ...started].map((p) => p.stop()));
    throw error;
  }
  return {
    master,
    replicas: started,
    stop: async () => {
      await Promise.all([master, ...started].map((p) => p.stop()));
    },
  };
}

/** How many times replicas have (re)synced with the Redis on `port`: its INFO stats sync counters. */
export async function replicaSyncs(port: number): Promise<number> {
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  try {
    const info = await client.info("stats");
    let total = 0;
    for (const name of ["sync_full", "sync_partial_ok", "sync_partial_err"]) {
      total += Number(new RegExp(`^${name}:(\\d+)`, "m").exec(info)?.[1] ?? 0);
    }
    return total;
  } finally {
    client.disconnect();
  }
}

async function connectedReplicas(client: Redis): Promise<number> {
  const info = await client.info("replication");
  const online = info.match(/^slave\d+:.*state=online/gm);
  return online ? online.length : 0;
}

/**
 * A Redis Cluster of `masters` masters and `replicas` replicas of each (the
 * first `masters` nodes are the masters), every slot assigned, state ok.
 */
export async function startRedisCluster(
  masters = 3,
  replicas = 0,
  options: { durable?: boolean } = {},
): Promise<RedisCluster> {
  const nodes: RedisProcess[] = [];
  const stop = async () => {
    await Promise.all(nodes.map((node) => node.stop()));
  };
  try {
    for (let i = 0; i < masters * (1 + replicas); i++)
      nodes.push(await startRedis({ ...options, cluster: true }));
    await run(REDIS_CLI, [
      "--cluster",
      "create",
      ...nodes.map((node) => `127.0.0.1:${node.port}`),
      "--cluster-replicas",
      String(replicas),
      "--cluster-yes",
    ]);
    const deadline = Date.now() + 15_000;
    for (const node of nodes) {
      const client = new Redis(node.port, "127.0.0.1");
      try {
        for (;;) {
          const info = await client.cluster("INFO");
          if (String(info).includes("cluster_state:ok")) break;
          if (Date.now() > deadline) throw new Error(`cluster not ok on ${node.port}: ${String(info)}`);
          await sleep(50);
        }
      } finally {
        client.disconnect();
      }
    }
    for (const node of nodes) {
      const client = new Redis(node.port, "127.0.0.1");
      try {
        if (((await client.call("ROLE")) as unknown[])[0] !== "master") continue;
        while ((await connectedReplicas(client)) < replicas) {
          if (Date.now() > deadline) throw new Error(`replicas of ${node.port} did not sync`);
          await sleep(50);
        }
      } finally {
        client.disconnect();
      }
    }
  } catch (error) {
    await stop();
    throw error;
  }
  return { nodes, urls: nodes.slice(0, masters).map((node) => node.url), stop };
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** What `redisSuite` gives a describe block. */
export interface RedisSuite<B extends { close(): Promise<void> }> {
  readonly redis: RedisProcess;
  readonly admin: Redis;
  /** brokers a test opened: closed after each test */
  readonly opened: B[];
}

/**
 * A describe block's own Redis, started before its tests, with an admin
 * client; the brokers its tests push onto `opened` are closed after each
 * test. Call it inside `describe`.
 */
export function redisSuite<B extends { close(): Promise<void> }>(): RedisSuite<B> {
  let redis: RedisProcess | undefined;
  let admin: Redis | undefined;
  const opened: B[] = [];
  before(async () => {
    redis = await startRedis();
    admin = new Redis(redis.port, "127.0.0.1");
  });
  afterEach(async () => {
    for (const broker of opened.splice(0)) await broker.close();
  });
  after(async () => {
    admin?.disconnect();
    await redis?.stop();
  });
  return {
    get redis() {
      return redis!;
    },
    get admin() {
      return admin!;
    },
    opened,
  };
}
