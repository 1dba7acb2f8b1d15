import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { after, before, describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { parseBackoff } from "../../src/core/failures.js";
import { keySlot, Keys } from "../../src/stores/redis/keys.js";
import { spawnServer } from "../helpers/process.js";
import { startRedisCluster, uniquePrefix, type RedisCluster } from "../helpers/redis.js";
import { tempDataDir } from "../helpers/server.js";

/** Two docket brokers over a 3-master Redis Cluster, queues spread over slots. */
describe("Redis Cluster", () => {
  let cluster: RedisCluster;
  let one: RedisBroker;
  let two: RedisBroker;
  const clock = new ManualClock(Date.now());
  const prefix = uniquePrefix("cluster");

  before(async () => {
    cluster = await startRedisCluster(3);
    one = await openRedisBroker({ urls: cluster.urls, prefix, clock });
    two = await openRedisBroker({ urls: cluster.urls, prefix, clock, port: 7800 });
  });
  after(async () => {
    await Promise.all([one.close(), two.close()]);
    await cluster.stop();
  });

  it("spreads queues over the masters; add on one server, fetch and ack on the other", async () => {
    const queues = Array.from({ length: 30 }, (_, i) => `queue-${i}`);
    const ids = new Map<string, string>();
    for (const queue of queues) ids.set(queue, (await one.addJob({ queue, body: Buffer.from(queue) })).id);

    // Which master holds each queue's keys.
    const keys = new Keys(prefix);
    const owners = new Set<number>();
    for (const queue of queues) {
      const slot = keySlot(keys.queue(queue)[0]!);
      for (const node of cluster.nodes) {
        const admin = new Redis(node.port, "127.0.0.1");
        try {
          if (Number(await admin.cluster("COUNTKEYSINSLOT", slot)) > 0) owners.add(node.port);
        } finally {
          admin.disconnect();
        }
      }
    }
    assert.equal(owners.size, 3, "queues land on every master");

    for (const queue of queues) {
      const jobs = await two.getJobs({ queues: [queue], count: 1, nohang: true, timeoutMs: 0 });
      assert.equal(jobs?.[0]?.id, ids.get(queue));
    }
    assert.equal(await two.ackJobs([...ids.values()]), queues.length);
    for (const queue of queues) assert.equal(await one.qlen(queue), 0);
    assert.equal((await one.stats()).jobs, 0);
  });

  it("a GETJOB across queues in different slots takes one per queue per round", async () => {
    await one.addJob({ queue: "x", body: Buffer.from("x1") });
    await one.addJob({ queue: "y", body: Buffer.from("y1") });
    await one.addJob({ queue: "x", body: Buffer.from("x2") });
    const jobs = await two.getJobs({ queues: ["x", "y"], count: 3, nohang: true, timeoutMs: 0 });
    assert.deepEqual(
      jobs?.map((job) => job.body.toString()),
      ["x1", "y1", "x2"],
    );
    await two.ackJobs(jobs!.map((job) => job.id));
  });

  it("blocked fetch on one server is woken by an add on the other; leases come back by any server's timers", async () => {
    const waiting = two.getJobs({ queues: ["wake"], count: 1, nohang: false, timeoutMs: 0 });
    await new Promise((resolve) => setTimeout(resolve, 20));
    const { id } = await one.addJob({ queue: "wake", body: Buffer.from("w"), retry: 5 });
    assert.equal((await waiting)?.[0]?.id, id);
    clock.advance(5_000);
    await one.runDue();
    assert.equal(await two.qlen("wake"), 1);
    assert.equal((await two.show(id))?.additionalDeliveries, 1);
    assert.equal(await two.deleteJobs([id]), 1);
  });

  it("keySlot agrees with CLUSTER KEYSLOT; every key of a queue is in one slot", async () => {
    const admin = new Redis(cluster.nodes[0]!.port, "127.0.0.1");
    try {
      const keys = new Keys(prefix);
      for (const queue of ["", "q", "emails", "a{b}c", "日本語", "x".repeat(300)]) {
        const slots = new Set<number>();
        for (const key of [
          ...keys.queue(queue),
          ...keys.lanes(queue),
          keys.idempotencyKey(queue, "order-1{x}"),
        ]) {
          assert.equal(keySlot(key), Number(await admin.cluster("KEYSLOT", key)), key);
          slots.add(keySlot(key));
        }
        assert.equal(slots.size, 1, `one slot for every key of queue ${JSON.stringify(queue)}`);
      }
      assert.equal(keySlot("no-tag"), Number(await admin.cluster("KEYSLOT", "no-tag")));
    } finally {
      admin.disconnect();
    }
  });

  it("failures on queues spread over the masters: policy, backoff, dead letters, redrive, results", async () => {
    const queues = Array.from({ length: 6 }, (_, i) => `failing-${i}`);
    for (const queue of queues) {
      await one.setQueuePolicy(queue, { retryBudget: 1, backoff: parseBackoff("fixed:100") });
      const { id } = await one.addJob({ queue, body: Buffer.from(queue) });
      for (let failure = 1; failure <= 2; failure++) {
        const got = await two.getJobs({ queues: [queue], count: 1, nohang: true, timeoutMs: 0 });
        assert.equal(got?.[0]?.id, id);
        await two.nack([id], { backoff: true, error: `e${failure}` });
        if (failure === 1) {
          assert.equal((await one.show(id))?.state, "backoff");
          // ENQUEUE ends a backoff at once (the shared clock stays: HELLO's heartbeats read it)
          assert.equal(await one.enqueue([id]), 1);
        }
      }
      assert.deepEqual(
        (await one.deadLetter(id))?.attempts.map((a) => a.error),
        ["e1", "e2"],
      );
      assert.equal(await two.redrive(queue, { ids: [id] }), 1);
      const fresh = await one.getJobs({ queues: [queue], count: 1, nohang: true, timeoutMs: 0 });
      assert.equal(await one.ackJobs([fresh![0]!.id], Buffer.from(`done ${queue}`)), 1);
      assert.equal((await two.result(fresh![0]!.id))?.body.toString(), `done ${queue}`);
      assert.equal(await two.waitJob(fresh![0]!.id, 0), "acked");
    }
    const stats = await two.stats();
    assert.ok(stats.deadLettered >= queues.length && stats.results >= queues.length);
  });

  it("scheduling on queues spread over the masters: priorities, groups, GROUPLIMIT, rate limit, keys", async () => {
    const queues = Array.from({ length: 6 }, (_, i) => `sched-${i}`);
    for (const queue of queues) {
      await one.setQueuePolicy(queue, { groupLimit: 1, rateLimit: { count: 100, periodMs: 1000 } });
      const add = (body: string, more: object) => one.addJob({ queue, body: Buffer.from(body), ...more });
      await add("a1", { group: "a" });
      await add("a2", { group: "a" });
      await add("plain", {});
      await add("b1", { group: "b", priority: 0 });
      const first = await add("keyed", { key: `k-${queue}`, priority: 5 });
      const again = await two.addJob({ queue, body: Buffer.from("again"), key: `k-${queue}` });
      assert.deepEqual([again.id, again.duplicate, again.state], [first.id, true, "queued"]);
      const got = await two.getJobs({ queues: [queue], count: 10, nohang: true, timeoutMs: 0 });
      // a2 and plain are held back: group a and the ungrouped jobs (group "") have one in flight each
      assert.deepEqual(
        got?.map((job) => job.body.toString()),
        ["b1", "keyed", "a1"],
      );
      const stats = (await one.qstat(queue))!;
      assert.deepEqual([stats.len, stats.heldBack, stats.groups], [2, 2, 2]);
      assert.equal(await one.ackJobs(got!.map((job) => job.id)), 3);
      const last = await two.getJobs({ queues: [queue], count: 10, nohang: true, timeoutMs: 0 });
      assert.deepEqual(
        last?.map((job) => job.body.toString()),
        ["plain", "a2"],
      );
      assert.equal(await two.ackJobs(last!.map((job) => job.id)), 2);
    }
  });

  it("HELLO lists both servers", async () => {
    const nodes = await one.nodes();
    assert.deepEqual(nodes.map((n) => n.id).sort(), [one.nodeId, two.nodeId].sort());
  });

  it("docket serve --redis <every master> runs on the Cluster", async () => {
    const server = await spawnServer(tempDataDir(), ["--redis", ...cluster.urls, "--redis-prefix", prefix]);
    const client = new Redis({ port: server.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
    try {
      const id = String(await client.call("ADDJOB", "from-cli", "x", "0"));
      const jobs = await one.getJobs({ queues: ["from-cli"], count: 1, nohang: true, timeoutMs: 0 });
      assert.equal(jobs?.[0]?.id, id);
      assert.equal(await client.call("ACKJOB", id), 1);
      assert.match(String(await client.call("INFO", "redis")), /redis_mode:cluster/);
      const hello = (await client.call("HELLO")) as unknown[];
      assert.equal(hello.length - 2, 3, "this server and the two brokers");
    } finally {
      client.disconnect();
      server.child.kill("SIGKILL");
      await server.exited;
    }
  });
});
