import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { after, before, describe, it } from "node:test";
import { connect, DocketError } from "../../src/client/index.js";
import { ManualClock } from "../../src/core/clock.js";
import { openRedisBroker } from "../../src/stores/redis/index.js";
import { launchServer } from "../helpers/process.js";
import { startReplicated, uniquePrefix } from "../helpers/redis.js";
import { http } from "../helpers/http.js";
import { testServer } from "../helpers/server.js";

/**
 * Issue 18, scope 1: a REPLICATE n > 1 job is added in the "wait-repl" state
 * and becomes deliverable only after WAIT confirmed n-1 replicas. The replica
 * is frozen with SIGSTOP (it stays "attached" for the master, as a slow or
 * partitioned replica does) and thawed with SIGCONT.
 */
describe("REPLICATE n > 1 on the Redis store: replicated before deliverable", () => {
  let replicated: Awaited<ReturnType<typeof startReplicated>>;
  const freeze = (): boolean => replicated.replicas[0]!.child.kill("SIGSTOP");
  const thaw = (): boolean => replicated.replicas[0]!.child.kill("SIGCONT");
  const client = (port: number): Redis => new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0 });

  before(async () => {
    replicated = await startReplicated(1);
  });
  after(async () => {
    thaw();
    await replicated.stop();
  });

  it("the issue's reproduction: NOREPL, the blocked GETJOB never gets the job, and the job is gone", async () => {
    const t = await testServer({
      http: false,
      redis: [replicated.master.url],
      redisPrefix: uniquePrefix("norepl"),
    });
    const consumer = client(t.port);
    const producer = client(t.port);
    try {
      freeze();
      const got = consumer.call("GETJOB", "TIMEOUT", "3000", "FROM", "rqc");
      got.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await assert.rejects(
        producer.call("ADDJOB", "rqc", "stopped-replica", "1000", "REPLICATE", "2"),
        /NOREPL Timeout reached/,
      );
      assert.equal(await got, null, "the consumer must not get a job whose add answered NOREPL");
      assert.equal(await producer.call("QLEN", "rqc"), 0);
      assert.deepEqual(await producer.call("QPEEK", "rqc", "10"), []);
    } finally {
      thaw();
      consumer.disconnect();
      producer.disconnect();
      await t.close();
    }
  });

  it("a blocked consumer gets a REPLICATE-2 job only once the replica has it; SHOW says wait-repl meanwhile", async () => {
    const t = await testServer({
      http: false,
      redis: [replicated.master.url],
      redisPrefix: uniquePrefix("held"),
    });
    const consumer = client(t.port);
    const producer = client(t.port);
    const observer = client(t.port);
    try {
      freeze();
      const seen: { delivered?: unknown; addedId?: string } = {};
      const got = consumer
        .call("GETJOB", "TIMEOUT", "10000", "FROM", "held")
        .then((r) => (seen.delivered = r));
      got.catch(() => undefined);
      const added = producer
        .call("ADDJOB", "held", "body", "10000", "REPLICATE", "2")
        .then((r) => (seen.addedId = String(r)));
      added.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(seen.delivered, undefined, "delivered before the replica had it");
      assert.equal(seen.addedId, undefined);
      const scan = (await observer.call("JSCAN", "0", "QUEUE", "held", "REPLY", "all")) as unknown[];
      const jobs = scan[1] as unknown[][];
      assert.equal(jobs.length, 1);
      const show = jobs[0]!.map(String);
      assert.equal(show[show.indexOf("state") + 1], "wait-repl");
      assert.equal(await observer.call("QLEN", "held"), 0);
      thaw();
      await added;
      const job = (await got) as unknown[][];
      assert.equal(String(job[0]![1]), seen.addedId);
    } finally {
      thaw();
      consumer.disconnect();
      producer.disconnect();
      observer.disconnect();
      await t.close();
    }
  });

  it("over HTTP, replicate 2: a blocked consumer gets the job only once the replica has it", async () => {
    const t = await testServer({ redis: [replicated.master.url], redisPrefix: uniquePrefix("http") });
    const consumer = client(t.port);
    try {
      freeze();
      const seen: { delivered?: unknown; added?: unknown } = {};
      const got = consumer.call("GETJOB", "TIMEOUT", "10000", "FROM", "hq").then((r) => (seen.delivered = r));
      got.catch(() => undefined);
      const added = http(t.url, "POST", "/v1/queues/hq/jobs", {
        json: { body: "over http", replicate: 2 },
      }).then((r) => (seen.added = r));
      added.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 700));
      assert.equal(seen.delivered, undefined, "delivered before the replica had it");
      assert.equal(seen.added, undefined);
      thaw();
      const reply = await added;
      assert.equal(reply.status, 201);
      const job = (await got) as unknown[][];
      assert.equal(String(job[0]![1]), (reply.json as { id: string }).id);
    } finally {
      thaw();
      consumer.disconnect();
      await t.close();
    }
  });

  it("the client's replicate(2): NOREPL while the replica is frozen, and its blocked get never sees the job", async () => {
    const t = await testServer({
      http: false,
      redis: [replicated.master.url],
      redisPrefix: uniquePrefix("client"),
    });
    const consumer = connect(`127.0.0.1:${t.port}`);
    const producer = connect(`127.0.0.1:${t.port}`);
    try {
      freeze();
      const seen: { delivered?: unknown } = {};
      const got = consumer
        .timeout(2500)
        .get("cq")
        .then((job) => (seen.delivered = job));
      got.catch(() => undefined);
      await new Promise((resolve) => setTimeout(resolve, 100));
      await assert.rejects(
        producer.timeout(1000).replicate(2).add("never runs", "cq"),
        (error: unknown) => error instanceof DocketError && error.code === "NOREPL",
      );
      await assert.rejects(got);
      assert.equal(seen.delivered, undefined);
    } finally {
      thaw();
      consumer.close();
      producer.close();
      await t.close();
    }
  });

  it("docket killed -9 between the add and the release: the orphan is never deliverable and a sweep deletes it", async () => {
    const prefix = uniquePrefix("orphan");
    const dataDir = mkdtempSync(join(tmpdir(), "docket-orphan-"));
    const launched = launchServer(dataDir, ["--redis", replicated.master.url, "--redis-prefix", prefix]);
    const server = await launched.ready;
    const producer = client(server.port);
    producer.on("error", () => undefined);
    try {
      freeze();
      const add = producer.call("ADDJOB", "orph", "body", "2000", "REPLICATE", "2").catch((e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 500));
      server.child.kill("SIGKILL");
      await server.exited;
      assert.ok((await add) instanceof Error, "the producer got no acknowledgement");
      thaw();
      const clock = new ManualClock(Date.now());
      const survivor = await openRedisBroker({ urls: [replicated.master.url], prefix, clock });
      try {
        const held = await survivor.jscan(0, { queue: "orph", count: 100, busyloop: true });
        assert.deepEqual(
          held.items.map((j) => j.state),
          ["wait-repl"],
        );
        assert.equal(
          await survivor.getJobs({ queues: ["orph"], count: 1, nohang: true, timeoutMs: 0 }),
          null,
        );
        assert.deepEqual((await survivor.stats()).jobsByState, {
          "wait-repl": 1,
          active: 0,
          queued: 0,
          acked: 0,
          backoff: 0,
        });
        clock.advance(60_000);
        await survivor.runDue();
        assert.deepEqual((await survivor.jscan(0, { queue: "orph", count: 100, busyloop: true })).items, []);
        assert.deepEqual((await survivor.stats()).jobsByState, {
          "wait-repl": 0,
          active: 0,
          queued: 0,
          acked: 0,
          backoff: 0,
        });
        assert.equal(
          await survivor.getJobs({ queues: ["orph"], count: 1, nohang: true, timeoutMs: 0 }),
          null,
        );
      } finally {
        await survivor.close();
      }
    } finally {
      thaw();
      producer.disconnect();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("an acknowledged REPLICATE-2 job survives on a promoted replica, whatever its timer runs see", async () => {
    const pair = await startReplicated(1);
    const prefix = uniquePrefix("promoted");
    const clock = new ManualClock(Date.now());
    const onMaster = await openRedisBroker({ urls: [pair.master.url], prefix, clock });
    try {
      const { id } = await onMaster.addJob({
        queue: "p",
        body: Buffer.from("acked"),
        replicate: 2,
        replicationTimeoutMs: 1000,
      });
      await onMaster.close();
      // Failover: the master is gone, its replica takes over with what it had.
      pair.master.child.kill("SIGKILL");
      const promote = new Redis({ port: pair.replicas[0]!.port, host: "127.0.0.1" });
      await promote.call("REPLICAOF", "NO", "ONE");
      promote.disconnect();
      const onReplica = await openRedisBroker({ urls: [pair.replicas[0]!.url], prefix, clock });
      try {
        assert.equal((await onReplica.show(id))?.state, "queued");
        clock.advance(60_000); // far past any wait-repl hold deadline
        await onReplica.runDue();
        const jobs = await onReplica.getJobs({ queues: ["p"], count: 1, nohang: true, timeoutMs: 0 });
        assert.equal(jobs?.[0]?.id, id);
      } finally {
        await onReplica.close();
      }
    } finally {
      await pair.stop();
    }
  });
});
