import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import type { Broker, ExplainFacts } from "../../src/core/contract.js";
import { Engine } from "../../src/stores/embedded/engine/index.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { keySlot } from "../../src/stores/redis/keys.js";
import { T0 } from "../helpers/broker.js";
import { redisSuite, uniquePrefix } from "../helpers/redis.js";

/**
 * The Redis store's side of docs/scheduling.md that the conformance suite
 * cannot see: idempotency keys shared by several docket servers (atomic, in
 * the queue's slot, kept across a restart, their cost), a plain job's layout
 * untouched by the scheduling lanes, and a rate limit's wake-up through any
 * server's timer run.
 */
describe("Redis store: scheduling", () => {
  const suite = redisSuite<RedisBroker>();

  async function open(clock: ManualClock, prefix: string): Promise<RedisBroker> {
    const broker = await openRedisBroker({ urls: [suite.redis.url], clock, prefix });
    suite.opened.push(broker);
    return broker;
  }

  /** a job record's field names, decoded by Redis's own cmsgpack */
  async function recordFields(jobsKey: string, id: string): Promise<string[]> {
    const script =
      "local t = cmsgpack.unpack(redis.call('HGET', KEYS[1], ARGV[1])) local k = {} " +
      "for f in pairs(t) do k[#k + 1] = f end table.sort(k) return k";
    return (await suite.admin.eval(script, 1, jobsKey, id)) as string[];
  }

  it("two servers adding with one key at once: one job, every other add a duplicate of it", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("keys");
    const one = await open(clock, prefix);
    const two = await open(clock, prefix);
    const adds = Array.from({ length: 40 }, (_, i) =>
      (i % 2 === 0 ? one : two).addJob({ queue: "q", body: Buffer.from(`b${i}`), key: "order-7" }),
    );
    const results = await Promise.all(adds);
    const firsts = results.filter((r) => !r.duplicate);
    assert.equal(firsts.length, 1);
    for (const r of results) assert.equal(r.id, firsts[0]!.id);
    assert.equal(await one.qlen("q"), 1);
    assert.equal((await two.stats()).jobs, 1);
  });

  it("a key is one string in the queue's slot, expiring by Redis after KEYTTL; a restarted server still knows it", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("keyttl");
    const one = await open(clock, prefix);
    const { id } = await one.addJob({ queue: "mail", body: Buffer.from("x"), key: "msg-1", keyTtl: 120 });
    const key = one.keys.idempotencyKey("mail", "msg-1");
    assert.equal(keySlot(key), keySlot(one.keys.queue("mail")[0]!));
    const ttl = await suite.admin.pttl(key);
    assert.ok(ttl > 115_000 && ttl <= 120_000, `PTTL ${ttl}`);
    const bytes = Number(await suite.admin.call("MEMORY", "USAGE", key));
    // docs/redis.md states the cost: measured ~100 bytes for this key (prefix and names included)
    assert.ok(bytes > 0 && bytes < 200, `MEMORY USAGE ${bytes}`);
    await one.close();
    const two = await open(clock, prefix);
    const again = await two.addJob({ queue: "mail", body: Buffer.from("y"), key: "msg-1" });
    assert.deepEqual([again.id, again.duplicate, again.state], [id, true, "queued"]);
    // a queue name with ':' cannot make another queue's key
    assert.notEqual(one.keys.idempotencyKey("a:b", "c"), one.keys.idempotencyKey("a", "b:c"));
  });

  it("a plain job keeps its layout: its record's fields, its rank in the ready zset, no scheduling key or meta field", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("plain");
    const broker = await open(clock, prefix);
    const keys = broker.keys.queue("q");
    const ids: string[] = [];
    for (let i = 0; i < 3; i++)
      ids.push((await broker.addJob({ queue: "q", body: Buffer.from(`p${i}`) })).id);
    assert.deepEqual(await recordFields(keys[4]!, ids[0]!), [
      "ad",
      "aw",
      "c",
      "dl",
      "eq",
      "k",
      "n",
      "r",
      "rl",
      "rp",
      "rq",
      "rs",
      "s",
      "st",
      "ttl",
    ]);
    assert.deepEqual(await suite.admin.zrange(keys[1]!, "0", "-1", "WITHSCORES"), [
      ids[0],
      "1",
      ids[1],
      "2",
      ids[2],
      "3",
    ]);
    const got = await broker.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
    await broker.nack([got![0]!.id]);
    await broker.ackJobs([ids[1]!]);
    assert.equal(await suite.admin.exists(...broker.keys.lanes("q")), 0);
    const meta = await suite.admin.hkeys(keys[0]!);
    for (const field of ["ox", "cr", "gf", "rate", "gl", "tat"]) assert.ok(!meta.includes(field), field);
    assert.equal(await suite.admin.hget(keys[0]!, "sx"), "0");
    assert.equal((await suite.admin.zscore(keys[1]!, ids[0]!))!, "1");
  });

  it("a job with options records only those it has; its lanes are gone once it is", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("options");
    const broker = await open(clock, prefix);
    const keys = broker.keys.queue("q");
    const { id } = await broker.addJob({
      queue: "q",
      body: Buffer.from("x"),
      priority: 3,
      group: "g",
      key: "k",
    });
    const fields = await recordFields(keys[4]!, id);
    for (const field of ["p", "g", "rd", "ik", "ke"]) assert.ok(fields.includes(field), field);
    assert.equal(await suite.admin.exists(...broker.keys.lanes("q")), 3);
    assert.equal(await broker.deleteJobs([id]), 1);
    assert.equal(await suite.admin.exists(...broker.keys.lanes("q")), 0);
    assert.equal(await suite.admin.hget(keys[0]!, "ox"), "0");
  });

  it("a rate-limited fetch blocked on one server is woken at the slot by the other's timer run", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("ratewake");
    const one = await open(clock, prefix);
    const two = await open(clock, prefix);
    await one.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 1000 } });
    await one.addJob({ queue: "q", body: Buffer.from("a") });
    await one.addJob({ queue: "q", body: Buffer.from("b") });
    await one.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
    let answered = false;
    const waiting = one.getJobs({ queues: ["q"], count: 1, nohang: false, timeoutMs: 0 }).then((got) => {
      answered = true;
      return got;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal((await two.qstat("q"))!.rateLimitedUntil, T0 + 1000);
    clock.advance(999);
    await two.runDue();
    await new Promise((resolve) => setTimeout(resolve, 30));
    assert.equal(answered, false);
    clock.advance(1);
    await two.runDue();
    assert.deepEqual(
      (await waiting)?.map((job) => job.body.toString()),
      ["b"],
    );
  });

  it("EXPLAIN says group-limit and rate-limited with the engine's facts", async () => {
    /** the facts each store gives for a held-back job and a rate-limited one (ids and clock left out) */
    async function facts(broker: Broker, clock: ManualClock): Promise<object[]> {
      const take = async (queue: string, count: number) =>
        (await broker.getJobs({ queues: [queue], count, nohang: true, timeoutMs: 0 }))!;
      await broker.setQueuePolicy("held", { groupLimit: 1 });
      await broker.addJob({ queue: "held", body: Buffer.from("a1"), group: "a" });
      const a2 = (await broker.addJob({ queue: "held", body: Buffer.from("a2"), group: "a" })).id;
      await broker.addJob({ queue: "held", body: Buffer.from("u1") });
      await broker.addJob({ queue: "held", body: Buffer.from("u2"), priority: 3 });
      await take("held", 1); // u2 (priority 3): the ungrouped jobs are at their limit
      await take("held", 1); // a1: group a is too
      await broker.setQueuePolicy("slow", { rateLimit: { count: 2, periodMs: 3000 } });
      for (const b of ["x", "y", "z"]) await broker.addJob({ queue: "slow", body: Buffer.from(b) });
      await take("slow", 3);
      const z = (await broker.qpeek("slow", 1))[0]!.id;
      const u1 = (await broker.qpeek("held", 2))[1]!.id;
      clock.advance(100);
      const strip = ({ id: _id, observedAt: _at, ...rest }: ExplainFacts) => rest;
      return [
        strip(await broker.explain(a2)),
        strip(await broker.explain(u1)),
        strip(await broker.explain(z)),
      ];
    }
    const engineClock = new ManualClock(T0);
    const expected = await facts(new Engine({ clock: engineClock }), engineClock);
    const clock = new ManualClock(T0);
    const actual = await facts(await open(clock, uniquePrefix("explain")), clock);
    assert.deepEqual(actual, expected);
    assert.deepEqual(
      expected.map((f) => (f as ExplainFacts).cause),
      ["group-limit", "group-limit", "rate-limited"],
    );
  });

  it("QPEEK both ways, QLEN, QSTAT and EXPLAIN's positions agree with the engine on a queue of every kind of job", async () => {
    async function view(broker: Broker): Promise<object> {
      const add = (body: string, more: object = {}) =>
        broker.addJob({ queue: "q", body: Buffer.from(body), ...more });
      await broker.setQueuePolicy("q", { groupLimit: 2 });
      await add("p1");
      await add("g-a1", { group: "a" });
      await add("hi", { priority: 10 });
      await add("g-a2", { group: "a" });
      await add("p2", { placement: "front" });
      await add("g-b1", { group: "b", priority: 10 });
      await add("lo", { priority: 5000 });
      await add("g-a3", { group: "a" });
      await add("p3");
      await add("g-c1", { group: "c" });
      const taken = (await broker.getJobs({ queues: ["q"], count: 3, nohang: true, timeoutMs: 0 }))!;
      await broker.nack([taken[1]!.id]);
      const bodies = (jobs: Array<{ body: Buffer }>) => jobs.map((j) => j.body.toString());
      const peek = await broker.qpeek("q", 20);
      const stats = (await broker.qstat("q"))!;
      const positions = [];
      for (const job of peek) {
        const f = await broker.explain(job.id);
        positions.push([f.cause, f.position, f.ready]);
      }
      return {
        taken: bodies(taken),
        peek: bodies(peek),
        back: bodies(await broker.qpeek("q", -4)),
        len: await broker.qlen("q"),
        stats: [stats.len, stats.groups, stats.heldBack, stats.inFlight, stats.oldestReadyAt],
        positions,
      };
    }
    const expected = await view(new Engine({ clock: new ManualClock(T0) }));
    const actual = await view(await open(new ManualClock(T0), uniquePrefix("mixed")));
    assert.deepEqual(actual, expected);
  });
});
