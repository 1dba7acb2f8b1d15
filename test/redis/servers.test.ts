import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { after, before, describe, it } from "node:test";
import { assertCliRefuses, spawnServer, type ServerProcess } from "../helpers/process.js";
import { freePort, startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { tempDataDir } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Consumers of one queue against producers: each consumer cycles GETJOB
 * TIMEOUT and acks what it gets, and fails on a job delivered twice; they
 * stop once the producers are done and every added job was received (or
 * after 20 s).
 */
class ConsumeRun {
  readonly added: string[] = [];
  readonly got = new Set<string>();
  producing = true;

  constructor(
    private readonly queue: string,
    private readonly timeoutMs: string,
  ) {}

  async consume(conn: Redis): Promise<void> {
    const deadline = Date.now() + 20_000;
    while ((this.producing || this.got.size < this.added.length) && Date.now() < deadline) {
      const jobs = (await conn.call("GETJOB", "TIMEOUT", this.timeoutMs, "FROM", this.queue)) as
        Buffer[][] | null;
      for (const job of jobs ?? []) {
        const id = String(job[1]);
        assert.ok(!this.got.has(id), `${id} delivered twice`);
        this.got.add(id);
        assert.equal(await conn.call("ACKJOB", id), 1);
      }
    }
  }
}

function client(port: number): Redis {
  return new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
}

/** Three docket server processes over one Redis: every server serves every queue. */
describe("three docket servers on one Redis", () => {
  let redis: RedisProcess;
  const servers: ServerProcess[] = [];
  const clients: Redis[] = [];

  before(async () => {
    redis = await startRedis();
    const prefix = uniquePrefix("servers");
    for (let i = 0; i < 3; i++) {
      servers.push(await spawnServer(tempDataDir(), ["--redis", redis.url, "--redis-prefix", prefix]));
      clients.push(client(servers[i]!.port));
    }
  });
  after(async () => {
    for (const c of clients) c.disconnect();
    for (const s of servers) s.child.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.exited));
    await redis.stop();
  });

  it("add on one, fetch on another, ack on a third", async () => {
    const [a, b, c] = clients as [Redis, Redis, Redis];
    const id = (await a.call("ADDJOB", "mail", "to bob", "0", "RETRY", "60")) as string;
    assert.equal(await b.call("QLEN", "mail"), 1);
    const jobs = (await b.call("GETJOB", "NOHANG", "FROM", "mail")) as Buffer[][];
    assert.deepEqual(
      jobs.map((job) => job.map(String)),
      [["mail", id, "to bob"]],
    );
    const shown = (await c.call("SHOW", id)) as unknown[];
    assert.equal(String(shown[shown.indexOf("state") + 1]), "active");
    assert.equal(await c.call("ACKJOB", id), 1);
    assert.equal(await a.call("SHOW", id), null);
    assert.equal(await b.call("QLEN", "mail"), 0);
  });

  it("a blocked GETJOB on one server is woken by an ADDJOB on another within milliseconds", async () => {
    const [a, b] = clients as [Redis, Redis];
    const started = Date.now();
    const fetched = b.call("GETJOB", "TIMEOUT", "5000", "FROM", "wake") as Promise<Buffer[][]>;
    await new Promise((resolve) => setTimeout(resolve, 50));
    const addedAt = Date.now();
    const id = (await a.call("ADDJOB", "wake", "now", "0")) as string;
    const jobs = await fetched;
    const latency = Date.now() - addedAt;
    assert.equal(String(jobs[0]![1]), id);
    assert.ok(latency < 200, `woken after ${latency} ms`);
    assert.ok(Date.now() - started < 1000);
  });

  it("a client that vanishes while blocked takes nothing with it", async () => {
    const [a, b] = clients as [Redis, Redis];
    const blockedOnB = async () =>
      Number(/blocked_clients:(\d+)/.exec(String(await b.call("INFO", "clients")))![1]);
    const gone = client(servers[1]!.port);
    void (gone.call("GETJOB", "FROM", "vanish") as Promise<unknown>).catch(() => {});
    await waitFor(async () => (await blockedOnB()) === 1);
    gone.disconnect();
    await waitFor(async () => (await blockedOnB()) === 0);
    const id = (await a.call("ADDJOB", "vanish", "kept", "0")) as string;
    const jobs = (await b.call("GETJOB", "NOHANG", "WITHCOUNTERS", "FROM", "vanish")) as unknown[][];
    assert.equal(String(jobs[0]![1]), id, "the job went to the live client, not the vanished one");
    assert.equal(String(jobs[0]![6]), "0", "never delivered before");
    assert.equal(await b.call("ACKJOB", id), 1);
  });

  it("a consumer cycling GETJOB TIMEOUT on an empty queue of one server misses no job added on another", async () => {
    // The consumer's server soon knows the queue empty and blocks its fetches without a take
    // (idle-queues.ts): every add must still reach it, whenever in the cycle it lands.
    const [a, b] = clients as [Redis, Redis];
    const run = new ConsumeRun("cycle", "20");
    const consumer = run.consume(a);
    for (let i = 0; i < 150; i++) {
      run.added.push((await b.call("ADDJOB", "cycle", `job ${i}`, "0")) as string);
      // spacings from 0 to 29 ms: the adds land at every point of the consumer's cycle
      await new Promise((resolve) => setTimeout(resolve, (i * 7) % 30));
    }
    run.producing = false;
    await consumer;
    assert.deepEqual([...run.got].sort(), [...run.added].sort());
    assert.equal(await b.call("QLEN", "cycle"), 0);
  });

  it("many consumers of one server, bursts of adds on two servers: every job delivered once", async () => {
    // Fetches join the ones blocked (or being served) on their queue without a take: the serving
    // loop must reach them while jobs are left, whichever server added them.
    const [a, b] = clients as [Redis, Redis];
    const consumers = Array.from({ length: 12 }, () => client(servers[0]!.port));
    const run = new ConsumeRun("bursts", "200");
    const running = consumers.map((conn) => run.consume(conn));
    for (let burst = 0; burst < 20; burst++) {
      const producer = burst % 2 === 0 ? a : b;
      const size = 1 + ((burst * 5) % 17);
      const ids = await Promise.all(
        Array.from({ length: size }, (_, i) => producer.call("ADDJOB", "bursts", `${burst}.${i}`, "0")),
      );
      run.added.push(...(ids as string[]));
      await new Promise((resolve) => setTimeout(resolve, (burst * 13) % 40));
    }
    run.producing = false;
    try {
      await Promise.all(running);
    } finally {
      for (const conn of consumers) conn.disconnect();
    }
    assert.deepEqual([...run.got].sort(), [...run.added].sort());
    assert.equal(await b.call("QLEN", "bursts"), 0);
  });

  it("HELLO lists every live server; INFO says which store is in use", async () => {
    const hello = (await clients[0]!.call("HELLO")) as unknown[];
    const nodes = hello.slice(2) as Buffer[][];
    assert.equal(nodes.length, 3);
    const ports = nodes.map((node) => Number(String(node[2]))).sort();
    assert.deepEqual(ports, servers.map((s) => s.port).sort());
    const info = String(await clients[1]!.call("INFO", "server"));
    assert.match(info, /store:redis/);
  });

  it("a killed server drops out of HELLO", async () => {
    const victim = servers.pop()!;
    clients.pop()!.disconnect();
    victim.child.kill("SIGKILL");
    await victim.exited;
    await waitFor(async () => ((await clients[0]!.call("HELLO")) as unknown[]).length === 2 + 2, 10_000);
  });

  it("a server whose Redis cannot be reached says so and exits non-zero", async () => {
    const port = await freePort();
    await assertCliRefuses(
      [
        "serve",
        "--port",
        "0",
        "--no-http",
        "--data-dir",
        tempDataDir(),
        "--redis",
        `redis://127.0.0.1:${port}`,
      ],
      new RegExp(`docket: cannot connect to Redis \\(127\\.0\\.0\\.1:${port}\\)`),
    );
  });
});
