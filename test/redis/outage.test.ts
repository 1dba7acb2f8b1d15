import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { freePort } from "../helpers/redis.js";
import { assertCliRefuses, launchServer, type ServerProcess } from "../helpers/process.js";
import { NULL_ARRAY, RawClient } from "../helpers/raw-client.js";
import { TaskqClient } from "../dialects/taskq-client.js";
import { connect, DocketError, Worker } from "../../src/client/index.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Issue 18, scope item 2: Redis killed (kill -9) under load and restarted
 * on its AOF (appendfsync always). Every command answers within
 * --redis-timeout (plus scheduling slack) with a job, or with the documented
 * -TRYAGAIN; no acknowledged add is lost.
 */

const TIMEOUT_MS = 500;
/**
 * what a client may wait beyond the bound: a loaded 2-core machine's scheduling
 * (alone the longest wait is ~0.8 s; under the full suite 1.95 s was seen)
 */
const SLACK_MS = 2500;
/** a job id in a reply: ADDJOB's simple string, GETJOB's bulk string */
const JOB_ID = /(?:\+|\$\d+\r\n)(D-[^\r]+)\r\n/g;

let redisDir: string;
let redisPort: number;
let redis: ChildProcess | undefined;
let docket: ServerProcess;
let dataDir: string;

async function startRedisOnAof(): Promise<void> {
  const child = spawn(
    "redis-server",
    ["--port", String(redisPort), "--bind", "127.0.0.1", "--dir", redisDir, "--save", ""].concat([
      "--appendonly",
      "yes",
      "--appendfsync",
      "always",
      "--protected-mode",
      "no",
    ]),
    { stdio: "ignore" },
  );
  redis = child;
  await waitFor(async () => {
    const probe = await RawClient.connect(redisPort).catch(() => undefined);
    if (!probe) return false;
    probe.send("PING");
    const reply = await probe.reply();
    probe.close();
    return reply === "+PONG\r\n";
  }, 10_000);
}

async function killRedis(): Promise<void> {
  const child = redis!;
  const exited = new Promise((resolve) => child.once("exit", resolve));
  child.kill("SIGKILL");
  await exited;
}

async function health(): Promise<number> {
  const response = await fetch(`http://127.0.0.1:${docket.httpPort}/healthz`);
  return response.status;
}

before(async () => {
  redisDir = mkdtempSync(join(tmpdir(), "docket-outage-redis-"));
  dataDir = mkdtempSync(join(tmpdir(), "docket-outage-"));
  redisPort = await freePort();
  await startRedisOnAof();
  docket = await launchServer(dataDir, [
    "--redis",
    `redis://127.0.0.1:${redisPort}`,
    "--redis-timeout",
    String(TIMEOUT_MS),
    "--http-port",
    "0",
    "--taskq-port",
    "0",
  ]).ready;
});

after(async () => {
  docket?.child.kill("SIGKILL");
  redis?.kill("SIGKILL");
  rmSync(redisDir, { recursive: true, force: true });
  rmSync(dataDir, { recursive: true, force: true });
});

test("Redis killed under load: every command answers within the bound, nothing acknowledged is lost", async () => {
  const unavailable = `-TRYAGAIN store unavailable: Redis at 127.0.0.1:${redisPort} unreachable, retry\r\n`;
  const acked = new Set<string>();
  const seen = new Set<string>();
  const figures = { adds: 0, tryagain: 0, longestWaitMs: 0, longestCommand: "", kills: 0 };
  let running = true;

  const timed = async (client: RawClient, ...args: Array<string | number>): Promise<string> => {
    const start = performance.now();
    client.send(...args);
    const reply = await client.reply(TIMEOUT_MS + 5000);
    const waited = performance.now() - start;
    if (waited > figures.longestWaitMs) {
      figures.longestWaitMs = Math.round(waited);
      figures.longestCommand = String(args[0]);
    }
    if (reply.startsWith("-")) {
      assert.equal(reply, unavailable, `${args[0]} answered an unexpected error`);
      figures.tryagain++;
    }
    return reply;
  };
  const producer = async (n: number) => {
    const client = await RawClient.connect(docket.port);
    for (let i = 0; running; i++) {
      // RETRY 1: a job taken by a GETJOB whose reply timed out (taken in Redis, never
      // delivered) is queued again within a second, and the drain below sees it.
      const reply = await timed(client, "ADDJOB", "outage", `p${n}-${i}`, 0, "RETRY", 1);
      for (const [, id] of reply.matchAll(JOB_ID)) acked.add(id!);
      if (reply.startsWith("-")) await sleep(50);
    }
    client.close();
  };
  const consumer = async () => {
    const client = await RawClient.connect(docket.port);
    while (running) {
      const reply = await timed(client, "GETJOB", "TIMEOUT", 200, "COUNT", 10, "FROM", "outage");
      const ids = [...reply.matchAll(JOB_ID)].map(([, id]) => id!);
      for (const id of ids) seen.add(id);
      if (ids.length > 0) await timed(client, "ACKJOB", ...ids);
      if (reply.startsWith("-")) await sleep(50);
    }
    client.close();
  };
  const load = [0, 1, 2].map(producer).concat([consumer(), consumer()]);

  for (let kill = 0; kill < 2; kill++) {
    await sleep(700);
    await killRedis();
    figures.kills++;
    await waitFor(async () => (await health()) === 503, 5000);
    await sleep(1500);
    await startRedisOnAof();
    await waitFor(async () => (await health()) === 200, 10_000);
  }
  await sleep(500);
  running = false;
  await Promise.all(load);

  // drain what the consumers left, and what comes back after its RETRY
  const drain = await RawClient.connect(docket.port);
  for (;;) {
    drain.send("GETJOB", "TIMEOUT", 2500, "COUNT", 1000, "FROM", "outage");
    const ids = [...(await drain.reply()).matchAll(JOB_ID)].map(([, id]) => id!);
    if (ids.length === 0) break;
    for (const id of ids) seen.add(id);
    drain.send("ACKJOB", ...ids);
    await drain.reply();
  }
  drain.close();

  const lost = [...acked].filter((id) => !seen.has(id));
  figures.adds = acked.size;
  console.log(`outage figures: ${JSON.stringify({ ...figures, lost: lost.length })}`);
  assert.deepEqual(lost, []);
  assert.ok(figures.tryagain > 0, "the outage was seen as -TRYAGAIN");
  assert.ok(figures.adds > 0);
  assert.ok(
    figures.longestWaitMs < TIMEOUT_MS + 200 + SLACK_MS,
    `a client waited ${figures.longestWaitMs} ms`,
  );
});

test("while Redis is down every door answers at once; a blocked GETJOB keeps its timeout", async () => {
  const message = `store unavailable: Redis at 127.0.0.1:${redisPort} unreachable, retry`;
  const blocked = await RawClient.connect(docket.port);
  const blockedSince = performance.now();
  blocked.send("GETJOB", "TIMEOUT", 2000, "FROM", "outage-empty");
  const blockedReply = blocked.reply(6000).then((reply) => ({ reply, at: performance.now() }));
  // It is blocked (its take found the queue empty) before Redis goes. A fixed sleep was not
  // enough on a loaded machine: a take still in flight at the kill fails, and the GETJOB
  // rightly answers -TRYAGAIN.
  const resp = await RawClient.connect(docket.port);
  await waitFor(async () => {
    resp.send("INFO", "clients");
    return /\r\nblocked_clients:1\r\n/.test(await resp.reply());
  });
  await killRedis();

  const within = async <T>(what: string, answer: Promise<T>): Promise<T> => {
    const start = performance.now();
    const value = await answer;
    const waited = performance.now() - start;
    assert.ok(waited < TIMEOUT_MS + SLACK_MS, `${what} waited ${waited} ms`);
    return value;
  };
  resp.send("ADDJOB", "outage", "body", 0);
  assert.equal(await within("ADDJOB", resp.reply()), `-TRYAGAIN ${message}\r\n`);
  resp.send("INFO", "redis");
  const info = await within("INFO", resp.reply());
  assert.match(info, /\r\nredis_status:down\r\n/);
  resp.send("PING");
  assert.equal(await resp.reply(), "+PONG\r\n");

  const http = await within(
    "HTTP add",
    fetch(`http://127.0.0.1:${docket.httpPort}/v1/queues/outage/jobs`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ body: "x" }),
    }),
  );
  assert.equal(http.status, 503);
  assert.equal(http.headers.get("retry-after"), "1");
  assert.deepEqual(await http.json(), { error: { code: "TRYAGAIN", message } });
  assert.equal(await within("/healthz", health()), 503);

  const taskq = await TaskqClient.connect(docket.taskqPort!);
  taskq.write("7 deq outage\n");
  assert.equal(await within("TaskQ deq", taskq.line()), `7 error TRYAGAIN ${message}`);

  // The blocked GETJOB answers when its 2 s are up, as it would with Redis up.
  const { reply, at } = await blockedReply;
  assert.equal(reply, NULL_ARRAY);
  const blockedFor = at - blockedSince;
  console.log(`outage figures: a blocked GETJOB TIMEOUT 2000 answered after ${Math.round(blockedFor)} ms`);
  assert.ok(blockedFor >= 1900 && blockedFor < 2000 + TIMEOUT_MS + SLACK_MS, `blocked ${blockedFor} ms`);

  await startRedisOnAof();
  await waitFor(async () => (await health()) === 200, 10_000);
  resp.send("INFO", "redis");
  assert.match(await resp.reply(), /\r\nredis_status:up\r\n/);
  for (const client of [resp, blocked, taskq]) client.close();
});

test("the Worker retries its ACK through the outage and fetches again once Redis is back", async () => {
  // Redis is up unless the test before failed half-way: one failure, not a cascade.
  if (redis!.exitCode !== null || redis!.signalCode !== null) await startRedisOnAof();
  await waitFor(async () => (await health()) === 200, 10_000);
  const jobs = connect(`127.0.0.1:${docket.port}`);
  const runs = new Map<string, number>();
  const errors: unknown[] = [];
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => (release = resolve));
  const worker = new Worker<string>(
    ["outage-worker"],
    async (job) => {
      runs.set(job.data, (runs.get(job.data) ?? 0) + 1);
      if (job.data === "first") await held;
    },
    { client: jobs, pollMs: 300 },
  );
  worker.on("error", (error) => errors.push(error));
  try {
    await jobs.retryAfter(1000).add("first", "outage-worker");
    await waitFor(() => runs.get("first") === 1);
    await killRedis();
    release(); // the handler ends while Redis is down: its ACK answers -TRYAGAIN
    await waitFor(() => errors.some((e) => e instanceof DocketError && e.code === "TRYAGAIN"), 5000);
    await sleep(1500);
    await startRedisOnAof();
    await waitFor(async () => (await health()) === 200, 10_000);
    await jobs.add("second", "outage-worker");
    await waitFor(() => runs.get("second") === 1, 10_000);
    // Acked after the restart: not handed out again once its 1 s RETRY has passed.
    await sleep(2000);
    assert.equal(runs.get("first"), 1);
    assert.equal(await jobs.len("outage-worker"), 0);
  } finally {
    await worker.close();
    jobs.close();
  }
});

test("--redis-timeout is range-checked and shown by CONFIG GET", async () => {
  const client = await RawClient.connect(docket.port);
  client.send("CONFIG", "GET", "redis-timeout");
  assert.equal(await client.reply(), `*2\r\n$13\r\nredis-timeout\r\n$3\r\n${TIMEOUT_MS}\r\n`);
  client.close();
  for (const bad of ["0", "60001"]) {
    await assertCliRefuses(
      ["serve", "--redis", "redis://127.0.0.1:1", "--redis-timeout", bad],
      /redis-timeout must be an integer between 1 and 60000/,
    );
  }
});
