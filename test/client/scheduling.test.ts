import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { testServer, type TestServer } from "../helpers/server.js";
import { STORES, serverOn } from "./stores.js";
import { DocketError, connect, type Client, type Job } from "../../src/client/index.js";

/** The client's scheduling options (docs/scheduling.md) and schedules (docs/schedules.md) against a real server. */
for (const store of STORES)
  describe(`docket/client scheduling (${store} store)`, () => {
    let t: TestServer;
    let jobs: Client;

    before(async () => {
      t = await serverOn(store);
      jobs = connect(`127.0.0.1:${t.port}`);
    });
    after(async () => {
      jobs.close();
      await t.close();
    });

    const ids = (list: Job[]) => list.map((job) => job.id);
    const take = (queue: string, count: number) => jobs.fetch([queue], { count, nohang: true });

    it("priority: lower first, FIFO within one; get and show report it", async () => {
      const low = await jobs.priority(5).add("five", "sc-prio");
      const plain = await jobs.add("default", "sc-prio");
      const first = await jobs.priority(0).add("zero", "sc-prio");
      const second = await jobs.priority(0).add("zero again", "sc-prio");
      assert.equal((await jobs.show(first))?.priority, 0);
      assert.equal((await jobs.show(plain))?.priority, 1024);
      const got = await take("sc-prio", 4);
      assert.deepEqual(ids(got), [first.id, second.id, low.id, plain.id]);
      assert.deepEqual(
        got.map((job) => job.priority),
        [0, 0, 5, undefined],
        "a job at the default priority carries no field",
      );
      await jobs.ack(...got);
      await assert.rejects(
        jobs.priority(-1).add("x", "sc-prio"),
        (e: unknown) => e instanceof DocketError && /PRIORITY/.test(e.message),
      );
    });

    it("key: a second add answers the first job, duplicate and its state, also once it is acked", async () => {
      const plain = await jobs.add("no key", "sc-key");
      assert.equal(plain.duplicate, undefined, "without a key add sends no WITHDETAILS");
      assert.equal(plain.state, undefined);
      const first = await jobs.key("order-1").add({ order: 1 }, "sc-key");
      assert.equal(first.duplicate, false);
      assert.equal(first.state, "queued");
      const again = await jobs.key("order-1").add({ order: 1, retried: true }, "sc-key");
      assert.equal(again.id, first.id);
      assert.equal(again.duplicate, true);
      assert.equal(again.state, "queued");
      assert.equal(await jobs.len("sc-key"), 2, "the duplicate added nothing");
      const details = await jobs.show(first);
      assert.equal(details?.key, "order-1");
      const expires = details!.keyExpiresAt!;
      assert.ok(Math.abs(expires - (Date.now() + 86_400_000)) < 60_000, "KEYTTL defaults to 24 h");
      assert.equal((await jobs.show(plain))?.key, undefined);

      const got = await take("sc-key", 2);
      assert.equal((await jobs.key("order-1").add("x", "sc-key")).state, "active");
      await jobs.ack(...got);
      const afterAck = await jobs.key("order-1").add("x", "sc-key");
      assert.deepEqual([afterAck.id, afterAck.duplicate, afterAck.state], [first.id, true, "acked"]);
      assert.equal(await jobs.len("sc-key"), 0);

      const elsewhere = await jobs.key("order-1").add("x", "sc-key-other");
      assert.equal(elsewhere.duplicate, false, "a key is per queue");
      assert.notEqual(elsewhere.id, first.id);
    });

    it("keyTtl: sent in whole seconds with the key only, its range checked before sending", async () => {
      const job = await jobs.key("ttl-1").keyTtl(1500).add("x", "sc-keyttl");
      const expires = (await jobs.show(job))!.keyExpiresAt!;
      assert.ok(
        Math.abs(expires - (Date.now() + 2000)) < 1500,
        `1500 ms goes as 2 s (${expires - Date.now()})`,
      );
      assert.throws(() => jobs.keyTtl(0), RangeError);
      assert.throws(() => jobs.keyTtl(30 * 86_400_000 + 1), RangeError);
      assert.ok(jobs.keyTtl(30 * 86_400_000));
      await assert.rejects(jobs.with({ key: "k", keyTtl: -5 }).add("x", "sc-keyttl"), RangeError);
      // a keyTtl without a key is not sent (the wire refuses KEYTTL alone)
      const unkeyed = await jobs.with({ keyTtl: 60_000 }).add("x", "sc-keyttl");
      assert.equal((await jobs.show(unkeyed))?.key, undefined);
      await assert.rejects(
        jobs.key("").add("x", "sc-keyttl"),
        (e: unknown) => e instanceof DocketError && /KEY/.test(e.message),
      );
    });

    it("group: one job of every group before a second of any; get and show report it", async () => {
      const a1 = await jobs.group("a").add("a1", "sc-group");
      const a2 = await jobs.group("a").add("a2", "sc-group");
      const a3 = await jobs.group("a").add("a3", "sc-group");
      const b1 = await jobs.group("b").add("b1", "sc-group");
      assert.equal((await jobs.show(b1))?.group, "b");
      const got = await take("sc-group", 4);
      assert.deepEqual(ids(got), [a1.id, b1.id, a2.id, a3.id]);
      assert.deepEqual(
        got.map((job) => job.group),
        ["a", "b", "a", "a"],
      );
      await jobs.ack(...got);
      await assert.rejects(
        jobs.group("with space").add("x", "sc-group"),
        (e: unknown) => e instanceof DocketError && /GROUP/.test(e.message),
      );
    });

    it("policy: groupLimit holds a group's further jobs back; stats count them", async () => {
      const policy = await jobs.policy("sc-glimit", { groupLimit: 1 });
      assert.equal(policy.groupLimit, 1);
      const a1 = await jobs.group("a").add("a1", "sc-glimit");
      const a2 = await jobs.group("a").add("a2", "sc-glimit");
      const b1 = await jobs.group("b").add("b1", "sc-glimit");
      const got = await take("sc-glimit", 3);
      assert.deepEqual(ids(got), [a1.id, b1.id]);
      const stats = await jobs.stats("sc-glimit");
      assert.equal(stats?.heldBack, 1);
      assert.equal(stats?.len, 1, "a held-back job is still counted by QLEN");
      assert.ok(stats!.groups >= 1);
      assert.deepEqual(await take("sc-glimit", 1), []);
      await jobs.ack(got[0]!);
      assert.deepEqual(ids(await take("sc-glimit", 1)), [a2.id]);
      assert.equal((await jobs.setPolicy("sc-glimit", { groupLimit: null })).groupLimit, undefined);
    });

    it("policy: a rate limit lets a burst through, then nothing; stats show it; text and object forms", async () => {
      const set = await jobs.setPolicy("sc-rate", { rateLimit: "2/1h" });
      assert.deepEqual(set.rateLimit, { count: 2, periodMs: 3_600_000 });
      assert.deepEqual((await jobs.policy("sc-rate")).rateLimit, { count: 2, periodMs: 3_600_000 });
      for (let i = 0; i < 3; i++) await jobs.add(i, "sc-rate");
      const burst = await take("sc-rate", 3);
      assert.equal(burst.length, 2);
      assert.deepEqual(await take("sc-rate", 1), [], "no slot: NOHANG gets nothing");
      const stats = await jobs.stats("sc-rate");
      assert.deepEqual(stats?.rateLimit, { count: 2, periodMs: 3_600_000 });
      assert.ok(stats!.rateLimitedUntil! > Date.now(), "the next slot is ahead");
      assert.equal(stats?.len, 1);

      const changed = await jobs.policy("sc-rate", { rateLimit: { count: 5, periodMs: 500 } });
      assert.deepEqual(changed.rateLimit, { count: 5, periodMs: 500 });
      const cleared = await jobs.setPolicy("sc-rate", { rateLimit: null });
      assert.equal(cleared.rateLimit, undefined);
      const plain = await jobs.stats("sc-rate");
      assert.equal(plain?.rateLimit, null);
      assert.equal(plain?.rateLimitedUntil, null);
      assert.equal((await take("sc-rate", 1)).length, 1, "without the limit the job goes");
      await assert.rejects(
        jobs.setPolicy("sc-rate", { rateLimit: "lots" }),
        (e: unknown) => e instanceof DocketError && /rate/.test(e.message),
      );
    });

    it("schedules: upsert, get, replace, list in pages, remove", async () => {
      const template = {
        queue: "sc-sched",
        data: { report: "daily" },
        ttl: 3_600_000,
        retryAfter: 30_000,
        priority: 3,
        group: "tenant-1",
        retries: 2,
        runTimeout: 5000,
      };
      const saved = await jobs.schedules.upsert("every-minute", { every: 60_000 }, template);
      assert.equal(saved.name, "every-minute");
      assert.deepEqual(saved.timing, { every: 60_000 });
      const { body, ...rest } = saved.template;
      assert.deepEqual(rest, template);
      assert.equal(body.toString(), '{"report":"daily"}');
      assert.ok(saved.nextRunAt > Date.now() - 1000 && saved.nextRunAt <= Date.now() + 61_000);
      assert.deepEqual([saved.lastRunAt, saved.lastJobId, saved.runs], [null, null, 0]);
      assert.deepEqual(await jobs.schedules.get("every-minute"), saved);

      const nightly = await jobs.schedules.upsert(
        "nightly",
        { cron: "0 3 * * *", timezone: "Europe/Paris" },
        { queue: "sc-sched", data: "night" },
      );
      assert.deepEqual(nightly.timing, { cron: "0 3 * * *", timezone: "Europe/Paris" });
      assert.deepEqual(nightly.template, { queue: "sc-sched", data: "night", body: Buffer.from("night") });
      const replaced = await jobs.schedules.upsert(
        "nightly",
        { cron: "30 4 * * *" },
        { queue: "sc-other", data: 1 },
      );
      assert.deepEqual(replaced.timing, { cron: "30 4 * * *" });
      assert.equal(replaced.template.queue, "sc-other");
      assert.equal(replaced.createdAt, nightly.createdAt, "an upsert keeps the schedule");

      await jobs.schedules.upsert("third", { every: 3_600_000 }, { queue: "sc-sched", data: 3 });
      const names: string[] = [];
      for await (const name of jobs.schedules.list({ count: 1 })) names.push(name);
      assert.deepEqual(names.sort(), ["every-minute", "nightly", "third"]);

      assert.equal(await jobs.schedules.remove("third"), true);
      assert.equal(await jobs.schedules.remove("third"), false);
      assert.equal(await jobs.schedules.get("third"), null);
      await assert.rejects(
        jobs.schedules.upsert("fast", { every: 10 }, { queue: "sc-sched", data: 1 }),
        (e: unknown) => e instanceof DocketError && /EVERY/.test(e.message),
      );
      await assert.rejects(
        jobs.schedules.upsert("bad", { cron: "not cron" }, { queue: "sc-sched", data: 1 }),
        (e: unknown) => e instanceof DocketError && /cron/.test(e.message),
      );
      await jobs.schedules.remove("every-minute");
      await jobs.schedules.remove("nightly");
    });
  });

/** What needs time to pass: the embedded store's ManualClock. */
describe("docket/client scheduling over time (embedded store, manual clock)", () => {
  let t: TestServer;
  let jobs: Client;

  before(async () => {
    t = await testServer({}, { manualClock: true });
    jobs = connect(`127.0.0.1:${t.port}`);
  });
  after(async () => {
    jobs.close();
    await t.close();
  });

  const advance = (ms: number) => {
    t.clock!.advance(ms);
    t.server.engine.runDue();
  };

  it("a key expires keyTtl after its add: the next add is a new job", async () => {
    const first = await jobs.key("once").keyTtl(2000).add("x", "tm-key");
    await jobs.ack(first);
    assert.equal((await jobs.key("once").add("x", "tm-key")).state, "acked");
    advance(2001);
    const fresh = await jobs.key("once").add("x", "tm-key");
    assert.equal(fresh.duplicate, false);
    assert.notEqual(fresh.id, first.id);
  });

  it("a schedule adds its job at the due time; get shows the run, show the job's schedule", async () => {
    const saved = await jobs.schedules.upsert(
      "tick",
      { every: 60_000 },
      { queue: "tm-sched", data: "tick", priority: 2, group: "g" },
    );
    assert.equal(await jobs.len("tm-sched"), 0);
    advance(saved.nextRunAt - t.clock!.now() + 1);
    assert.equal(await jobs.len("tm-sched"), 1);
    const after1 = (await jobs.schedules.get("tick"))!;
    assert.equal(after1.runs, 1);
    assert.equal(after1.lastRunAt, saved.nextRunAt);
    assert.ok(after1.nextRunAt > saved.nextRunAt);
    const details = await jobs.show(after1.lastJobId!);
    assert.equal(details?.schedule, "tick");
    assert.equal(details?.priority, 2);
    assert.equal(details?.group, "g");
    assert.equal(details?.data, "tick");
    await jobs.schedules.remove("tick");
  });
});
