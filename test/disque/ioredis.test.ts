import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { after, before, describe, it } from "node:test";
import { testServer, type TestServer } from "../helpers/server.js";

/** The same flows through a client written by someone else: ioredis's call(). */
describe("Disque commands through ioredis", () => {
  let t: TestServer;
  let redis: Redis;

  before(async () => {
    t = await testServer();
    redis = new Redis({ port: t.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  });
  after(async () => {
    redis.disconnect();
    await t.close();
  });

  it("produce, consume, acknowledge", async () => {
    const id = (await redis.call("ADDJOB", "emails", "send to bob", "0", "RETRY", "60")) as string;
    assert.match(id, /^D-[0-9a-f]{8}-.{24}-[0-9a-f]{4}$/);
    assert.equal(await redis.call("QLEN", "emails"), 1);
    const jobs = (await redis.call(
      "GETJOB",
      "TIMEOUT",
      "100",
      "COUNT",
      "10",
      "FROM",
      "emails",
    )) as Buffer[][];
    assert.deepEqual(
      jobs.map((job) => job.map(String)),
      [["emails", id, "send to bob"]],
    );
    assert.equal(await redis.call("ACKJOB", id), 1);
    assert.equal(await redis.call("SHOW", id), null);
  });

  it("errors arrive as ReplyErrors with Disque's text", async () => {
    await assert.rejects(redis.call("ADDJOB", "q", "b", "0", "TTL", "0"), /ERR TTL must be a number > 0/);
    await assert.rejects(redis.call("ACKJOB", "nope"), /BADID Invalid Job ID format\./);
  });

  it("GETJOB NOHANG is null, a blocking GETJOB times out with null", async () => {
    assert.equal(await redis.call("GETJOB", "NOHANG", "FROM", "nothing"), null);
    assert.equal(await redis.call("GETJOB", "TIMEOUT", "50", "FROM", "nothing"), null);
  });

  it("a blocked GETJOB is woken by an ADDJOB on another connection", async () => {
    const producer = redis.duplicate();
    const pending = redis.call("GETJOB", "FROM", "wake") as Promise<Buffer[][]>;
    await new Promise((resolve) => setTimeout(resolve, 20));
    const id = await producer.call("ADDJOB", "wake", "now", "0");
    const jobs = await pending;
    assert.equal(String(jobs[0]![1]), id);
    producer.disconnect();
  });

  it("pipelines keep order", async () => {
    const pipeline = redis.pipeline();
    for (let i = 0; i < 100; i++) pipeline.call("ADDJOB", "piped", `job-${i}`, "0");
    pipeline.call("QLEN", "piped");
    const results = (await pipeline.exec())!;
    assert.equal(results.length, 101);
    assert.equal(results[100]![1], 100);
    const peek = (await redis.call("QPEEK", "piped", "3")) as Buffer[][];
    assert.deepEqual(
      peek.map((job) => String(job[2])),
      ["job-0", "job-1", "job-2"],
    );
  });

  it("SHOW, QSTAT and INFO parse", async () => {
    const id = (await redis.call("ADDJOB", "inspect", "x", "0")) as string;
    const show = (await redis.call("SHOW", id)) as unknown[];
    assert.equal(show.length, 30);
    assert.equal(String(show[5]), "queued");
    const qstat = (await redis.call("QSTAT", "inspect")) as unknown[];
    assert.equal(qstat.length, 20);
    const info = String(await redis.call("INFO"));
    assert.match(info, /registered_jobs:\d+/);
  });
});
