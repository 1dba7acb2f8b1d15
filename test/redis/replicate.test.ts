import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { after, before, describe, it } from "node:test";
import { BrokerError } from "../../src/core/contract.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import type { QueueStore } from "../../src/stores/redis/store.js";
import { startRedis, startReplicated, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { testServer } from "../helpers/server.js";

/** REPLICATE n = the write is on n Redis copies (WAIT n-1) before the reply. */
describe("REPLICATE on the Redis store", () => {
  let replicated: Awaited<ReturnType<typeof startReplicated>>;
  let alone: RedisProcess;
  let withReplica: RedisBroker;
  let withoutReplica: RedisBroker;

  before(async () => {
    replicated = await startReplicated(1);
    alone = await startRedis();
    withReplica = await openRedisBroker({ urls: [replicated.master.url], prefix: uniquePrefix("repl") });
    withoutReplica = await openRedisBroker({ urls: [alone.url], prefix: uniquePrefix("repl") });
  });
  after(async () => {
    await Promise.all([withReplica.close(), withoutReplica.close()]);
    await Promise.all([replicated.stop(), alone.stop()]);
  });

  it("REPLICATE 2 with one replica attached answers once the replica has the job", async () => {
    const { id } = await withReplica.addJob({
      queue: "r",
      body: Buffer.from("two copies"),
      replicate: 2,
      replicationTimeoutMs: 2000,
    });
    assert.equal((await withReplica.show(id))?.repl, 2);
    const jobs = await withReplica.getJobs({ queues: ["r"], count: 1, nohang: true, timeoutMs: 0 });
    assert.equal(jobs?.[0]?.id, id);
  });

  it("REPLICATE 3 with one replica answers NOREPL and adds nothing", async () => {
    await assert.rejects(
      withReplica.addJob({ queue: "r3", body: Buffer.from("x"), replicate: 3, replicationTimeoutMs: 200 }),
      (error: unknown) => error instanceof BrokerError && error.code === "NOREPL",
    );
    assert.equal(await withReplica.qlen("r3"), 0);
  });

  it("REPLICATE 2 with no replica answers NOREPL", async () => {
    await assert.rejects(
      withoutReplica.addJob({ queue: "r", body: Buffer.from("x"), replicate: 2, replicationTimeoutMs: 200 }),
      (error: unknown) => error instanceof BrokerError && error.code === "NOREPL",
    );
    assert.equal(await withoutReplica.qlen("r"), 0);
    // REPLICATE 1 needs no replica.
    await withoutReplica.addJob({ queue: "r", body: Buffer.from("x"), replicate: 1 });
    assert.equal(await withoutReplica.qlen("r"), 1);
  });

  it("over the RESP door: ADDJOB REPLICATE 2 answers an id with a replica, -NOREPL without", async () => {
    for (const [url, replicas] of [
      [replicated.master.url, 1],
      [alone.url, 0],
    ] as const) {
      const t = await testServer({ http: false, redis: [url], redisPrefix: uniquePrefix("door") });
      const client = new Redis({ port: t.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
      try {
        const add = client.call("ADDJOB", "q", "body", "1000", "REPLICATE", "2");
        if (replicas === 1) {
          assert.match(String(await add), /^D-/);
        } else {
          await assert.rejects(add, /^ReplyError: NOREPL Not enough reachable nodes/);
        }
        assert.match(String(await client.call("INFO", "server")), /store:redis/);
      } finally {
        client.disconnect();
        await t.close();
      }
    }
  });

  it("an add whose connection dropped between its release and the WAIT that confirms it answers NOREPL", async () => {
    // After a drop ioredis sends the WAIT on a new connection, maybe to a promoted replica that
    // lacks the release: there it counts none of the add's writes and answers at once. Here the
    // same master comes back, so the job is there to retract; the Sentinel failover test lost
    // an acknowledged job this way once in 4 runs (under load).
    const broker = await openRedisBroker({ urls: [replicated.master.url], prefix: uniquePrefix("drop") });
    try {
      const store = (broker as unknown as { store: QueueStore }).store;
      const runOn = store.runOn.bind(store);
      store.runOn = async (conn, name, ...rest) => {
        const reply = await runOn(conn, name, ...rest);
        if (name === "release") {
          const repl = conn as Redis;
          const reconnected = new Promise((resolve) => repl.once("ready", resolve));
          repl.stream.destroy();
          await reconnected;
        }
        return reply;
      };
      await assert.rejects(
        broker.addJob({ queue: "dropped", body: Buffer.from("x"), replicate: 2, replicationTimeoutMs: 2000 }),
        (error: unknown) => error instanceof BrokerError && error.code === "NOREPL",
      );
      assert.equal(await broker.qlen("dropped"), 0, "retracted");
    } finally {
      await broker.close();
    }
  });
});
