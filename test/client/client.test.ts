import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RawClient, NULL_BULK, error, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { ConnectionError, DocketError, TimeoutError, connect, type Client } from "../../src/client/index.js";

describe("docket/client", () => {
  let t: TestServer;
  let jobs: Client;

  before(async () => {
    t = await testServer();
    jobs = connect(`127.0.0.1:${t.port}`);
  });
  after(async () => {
    jobs.close();
    await t.close();
  });

  it("add, get, ack: JSON, string and Buffer bodies", async () => {
    const a = await jobs.add({ n: 1 }, "c-basic");
    const b = await jobs.add("plain text", "c-basic");
    const c = await jobs.add(Buffer.from([0, 255, 1]), "c-basic");
    assert.match(a.id, /^D-[0-9a-f]{8}-.{24}-[0-9a-f]{4}$/);
    assert.equal(a.queue, "c-basic");
    assert.deepEqual(a.data, { n: 1 });
    const got = [await jobs.get("c-basic"), await jobs.get("c-basic"), await jobs.get("c-basic")];
    assert.deepEqual(
      got.map((j) => j.id),
      [a.id, b.id, c.id],
    );
    assert.deepEqual(got[0]!.data, { n: 1 });
    assert.equal(got[1]!.data, "plain text");
    assert.deepEqual([...got[2]!.body], [0, 255, 1]);
    assert.equal(got[0]!.nacks, 0);
    assert.equal(await jobs.ack(...got), 3);
    assert.equal(await jobs.ack(a), 0);
  });

  it("get blocks until a job arrives", async () => {
    const pending = jobs.get("c-block");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const added = await jobs.add("late", "c-block");
    const got = await pending;
    assert.equal(got.id, added.id);
    await jobs.ack(got);
  });

  it("a blocked get does not stall other commands", async () => {
    const pending = jobs.get("c-stall");
    assert.equal(await jobs.len("c-stall"), 0);
    await jobs.add(1, "c-stall");
    await jobs.ack(await pending);
  });

  it("get takes from the left-most queue that has a job", async () => {
    await jobs.add("low", "c-low");
    await jobs.add("high", "c-high");
    await jobs.add("high2", "c-high");
    const order = [];
    for (let i = 0; i < 3; i++) order.push((await jobs.get("c-high", "c-low")).data);
    assert.deepEqual(order, ["high", "high2", "low"]);
  });

  it("get with a timeout rejects with TimeoutError; fetch returns []", async () => {
    await assert.rejects(jobs.with({ timeout: 50 }).get("c-empty"), TimeoutError);
    assert.deepEqual(await jobs.fetch(["c-empty"], { timeout: 30 }), []);
    assert.deepEqual(await jobs.fetch(["c-empty"], { nohang: true }), []);
  });

  it("fetch takes several jobs in rounds", async () => {
    await jobs.add("a1", "c-fa");
    await jobs.add("a2", "c-fa");
    await jobs.add("b1", "c-fb");
    const got = await jobs.fetch(["c-fa", "c-fb"], { count: 5 });
    assert.deepEqual(
      got.map((j) => j.data),
      ["a1", "b1", "a2"],
    );
    await jobs.ack(...got);
  });

  it("nack puts a job back and counts it", async () => {
    const job = await jobs.add("retry me", "c-nack");
    const first = await jobs.get("c-nack");
    assert.equal(await jobs.nack(first), 1);
    const again = await jobs.get("c-nack");
    assert.equal(again.id, job.id);
    assert.equal(again.nacks, 1);
    await jobs.ack(again);
  });

  it("working postpones re-delivery and reports it in ms; errors are DocketError", async () => {
    await jobs.retryAfter(20_000).add("long", "c-working");
    const job = await jobs.get("c-working");
    assert.equal(await jobs.working(job), 20_000);
    await jobs.ack(job);
    await assert.rejects(jobs.working(job), (e: unknown) => e instanceof DocketError && e.code === "NOJOB");
    await assert.rejects(
      jobs.ack("not-an-id"),
      (e: unknown) => e instanceof DocketError && e.code === "BADID",
    );
  });

  it("show, len, peek", async () => {
    const job = await jobs.ttl(60_000).retryAfter(5_000).add({ x: 1 }, "c-show");
    await jobs.add("second", "c-show");
    assert.equal(await jobs.len("c-show"), 2);
    assert.equal(await jobs.len("c-nothing"), 0);
    const peeked = await jobs.peek("c-show", 5);
    assert.deepEqual(
      peeked.map((j) => j.data),
      [{ x: 1 }, "second"],
    );
    assert.deepEqual(
      (await jobs.peek("c-show", -1)).map((j) => j.data),
      ["second"],
    );
    assert.equal((await jobs.peek("c-show")).length, 1);
    const info = await jobs.show(job);
    assert.ok(info);
    assert.equal(info.state, "queued");
    assert.equal(info.queue, "c-show");
    assert.deepEqual(info.data, { x: 1 });
    assert.equal(info.ttl, 60_000);
    assert.equal(info.retryAfter, 5_000);
    assert.ok(Math.abs(info.createdAt - Date.now()) < 5000);
    await jobs.ack(job);
    assert.equal(await jobs.show(job), null);
    const stats = await jobs.stats("c-show");
    assert.equal(stats?.len, 1);
    assert.equal(await jobs.stats("c-unknown-queue"), null);
    assert.ok((await jobs.queues()).includes("c-show"));
  });

  it("durations become whole seconds on the wire, rounded up", async () => {
    const job = await jobs.with({ ttl: 1500, retryAfter: 1, delay: 999 }).add("x", "c-round");
    const info = await jobs.show(job);
    assert.equal(info?.ttl, 2000);
    assert.equal(info?.retryAfter, 1000);
    assert.equal(info?.delay, 1000);
    assert.equal(info?.state, "active"); // delayed
    await jobs.ack(job);
  });

  it("config precedence: global < with < chain", async () => {
    const client = connect(`127.0.0.1:${t.port}`, { config: { ttl: 10_000 } });
    try {
      const ttlOf = async (c: Client) => (await client.show((await c.add("p", "c-prec")).id))!.ttl;
      assert.equal(await ttlOf(client), 10_000);
      client.use({ ttl: 20_000 });
      assert.equal(await ttlOf(client), 20_000);
      const withed = client.with({ ttl: 30_000 });
      assert.equal(await ttlOf(withed), 30_000);
      client.use({ ttl: 25_000 }); // global changes do not override with()
      assert.equal(await ttlOf(withed), 30_000);
      assert.equal(await ttlOf(withed.ttl(40_000)), 40_000);
      assert.equal(await ttlOf(client.ttl(40_000).with({ ttl: 30_000 })), 40_000);
      assert.equal(await ttlOf(client), 25_000);
      // chains combine, and the last link of one option wins
      const chained = client.maxLen(1000).retryAfter(60_000).ttl(50_000).ttl(45_000);
      assert.deepEqual(chained.config, { ttl: 45_000, maxLen: 1000, retryAfter: 60_000 });
    } finally {
      client.close();
    }
  });

  it("maxLen and replicate errors come back as DocketError", async () => {
    await jobs.add(1, "c-max");
    await assert.rejects(
      jobs.maxLen(1).add(2, "c-max"),
      (e: unknown) => e instanceof DocketError && e.code === "MAXLEN",
    );
    await assert.rejects(
      jobs.replicate(3).add(2, "c-max"),
      (e: unknown) => e instanceof DocketError && e.code === "NOREPL",
    );
  });

  it("wait is woken by an ack from another connection", async () => {
    const job = await jobs.add("wait for me", "c-wait");
    const other = connect(`127.0.0.1:${t.port}`);
    try {
      let settled = false;
      const waiting = jobs.wait(job).then((outcome) => {
        settled = true;
        return outcome;
      });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(settled, false);
      const got = await other.get("c-wait");
      assert.equal(await other.ack(got), 1);
      assert.deepEqual(await waiting, { outcome: "acked" });
      assert.deepEqual(await jobs.wait(job), { outcome: "gone" });
    } finally {
      other.close();
    }
  });

  it("wait with a timeout rejects with TimeoutError; deletion wakes it", async () => {
    const job = await jobs.add("slow", "c-wait2");
    await assert.rejects(jobs.timeout(50).wait(job), TimeoutError);
    const waiting = jobs.wait(job);
    await jobs.command("DELJOB", job.id);
    assert.deepEqual(await waiting, { outcome: "deleted" });
  });

  it("fails over to the next server, and fails clearly when none is reachable", async () => {
    const second = await testServer();
    const client = connect("127.0.0.1:1", `127.0.0.1:${second.port}`, {
      connectTimeout: 500,
      failoverTimeout: 0,
    });
    try {
      const job = await client.add("over", "c-fail");
      assert.equal(await client.len("c-fail"), 1);
      await second.close();
      await assert.rejects(client.len("c-fail"), ConnectionError);
      assert.ok(job.id);
    } finally {
      client.close();
    }
    const none = connect("127.0.0.1:1", { failoverTimeout: 0 });
    await assert.rejects(none.len("q"), /cannot reach any docket server \(127\.0\.0\.1:1\)/);
    none.close();
  });
});

describe("WAITJOB on the wire", () => {
  let t: TestServer;
  let c: RawClient;
  before(async () => {
    t = await testServer({}, { manualClock: true });
    c = await RawClient.connect(t.port);
  });
  after(async () => {
    c.close();
    await t.close();
  });

  it("replies +gone, +acked, +expired, null on time-out, and checks its arguments", async () => {
    assert.equal(await c.call("WAITJOB", "D-00000000-000000000000000000000000-0000"), simple("gone"));
    assert.equal(await c.call("WAITJOB", "bad"), error("BADID Invalid Job ID format."));
    assert.equal(await c.call("WAITJOB", "x", "-1"), error("ERR timeout is negative"));
    const id = (await c.call("ADDJOB", "w", "b", "0", "TTL", "10")).slice(1, -2);
    assert.equal(await c.call("WAITJOB", id, "abc"), error("ERR timeout is not an integer or out of range"));
    assert.equal(await c.call("WAITJOB", id, "1", "2"), error("ERR syntax error"));
    // time-out: the manual clock moves
    c.send("WAITJOB", id, "1000");
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.clock!.advance(1001);
    t.server.engine.runDue();
    assert.equal(await c.reply(), NULL_BULK);
    // acked from another connection
    const other = await RawClient.connect(t.port);
    c.send("WAITJOB", id);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(await other.call("ACKJOB", id), ":1\r\n");
    assert.equal(await c.reply(), simple("acked"));
    // expired
    const id2 = (await other.call("ADDJOB", "w", "b", "0", "TTL", "5")).slice(1, -2);
    c.send("WAITJOB", id2, "0");
    await new Promise((resolve) => setTimeout(resolve, 50));
    t.clock!.advance(6000);
    t.server.engine.runDue();
    assert.equal(await c.reply(), simple("expired"));
    // a waiter that disconnects is released
    const id3 = (await other.call("ADDJOB", "w", "b", "0")).slice(1, -2);
    const quitter = await RawClient.connect(t.port);
    quitter.send("WAITJOB", id3);
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(t.server.engine.stats().blockedClients, 1);
    quitter.close();
    await new Promise((resolve) => setTimeout(resolve, 50));
    assert.equal(t.server.engine.stats().blockedClients, 0);
    other.close();
  });
});

describe("docket/client stands alone", () => {
  it("imports nothing from the server: no engine, protocols, or pino", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const dir = new URL("../../src/client/", import.meta.url);
    for (const file of readdirSync(dir)) {
      const text = readFileSync(new URL(file, dir), "utf8");
      for (const [, spec] of text.matchAll(/^(?:import|export)[^;]*?from\s+"([^"]+)"/gm)) {
        const ok = spec!.startsWith("node:") || spec === "ioredis" || /^\.\/[a-z-]+\.js$/.test(spec!);
        assert.ok(ok, `${file} imports ${spec}`);
      }
    }
  });
});
