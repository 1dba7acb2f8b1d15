import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import type { Consumer, Delivery, GetJobsRequest } from "../../src/core/contract.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { KNOWN_EMPTY_MS } from "../../src/stores/redis/idle-queues.js";
import { T0, trackPromise } from "../helpers/broker.js";
import { redisSuite, uniquePrefix } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait.js";

const X: Consumer = { id: "7", addr: "10.0.0.7:41000" };
const Y: Consumer = { id: "8", addr: "10.0.0.8:42000" };

/**
 * A GETJOB on a queue this server knows empty blocks without a take script
 * (src/stores/redis/idle-queues.ts): what it saves, and what it must keep —
 * a job added by any server reaches the blocked fetch, NOHANG still asks
 * Redis, EXPLAIN still counts the fetch, the queue is still made known.
 */
describe("Redis store: a fetch on a queue known empty blocks without a script", () => {
  const suite = redisSuite<RedisBroker>();

  async function open(clock: ManualClock, prefix = uniquePrefix("idle")): Promise<RedisBroker> {
    const broker = await openRedisBroker({ urls: [suite.redis.url], clock, prefix });
    suite.opened.push(broker);
    return broker;
  }

  /** scripts Redis has run so far (every store script is an EVALSHA) */
  async function scriptsRun(): Promise<number> {
    const stats = await suite.admin.info("commandstats");
    let calls = 0;
    for (const m of stats.matchAll(/^cmdstat_(?:evalsha|eval):calls=(\d+)/gm)) calls += Number(m[1]);
    return calls;
  }

  function fetch(queues: string[], extra: Partial<GetJobsRequest> = {}): GetJobsRequest {
    return { queues, count: 1, nohang: false, timeoutMs: 100, consumer: X, ...extra };
  }

  /** one GETJOB TIMEOUT 100 that times out on the manual clock */
  async function fetchTimingOut(broker: RedisBroker, clock: ManualClock, req: GetJobsRequest): Promise<void> {
    const got = trackPromise(broker.getJobs(req));
    await waitFor(() => broker.nextLocalDeadline() < Infinity);
    clock.advance(req.timeoutMs);
    await broker.runDue();
    assert.equal(await got.promise, null);
  }

  it("a consumer blocked-polling an idle queue runs a take only when its knowledge runs out", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock);
    await fetchTimingOut(broker, clock, fetch(["q"]));
    const before = await scriptsRun();
    const cycles = 20;
    for (let i = 0; i < cycles; i++) await fetchTimingOut(broker, clock, fetch(["q"]));
    const scripts = (await scriptsRun()) - before;
    // 20 fetches over 2 s of the clock: a take each time the knowledge ran out (KNOWN_EMPTY_MS), and
    // the once-a-second (real time) re-check of the blocked and write of the fetch records
    const takes = (cycles * 100) / KNOWN_EMPTY_MS;
    assert.ok(scripts <= takes + 4, `${scripts} scripts for ${cycles} fetches (a take each before)`);
  });

  it("a job added by another server reaches a fetch that blocked without a take", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("idle2");
    const a = await open(clock, prefix);
    const b = await open(clock, prefix);
    await fetchTimingOut(a, clock, fetch(["q"]));
    const before = await scriptsRun();
    const blocked = trackPromise(a.getJobs(fetch(["q"], { timeoutMs: 60_000 })));
    await waitFor(() => a.nextLocalDeadline() < Infinity);
    assert.equal(await scriptsRun(), before, "blocked without a script");
    const { id } = await b.addJob({ queue: "q", body: Buffer.from("from b") });
    const jobs = (await blocked.promise) as Delivery[];
    assert.deepEqual(
      jobs.map((j) => j.id),
      [id],
    );
  });

  it("serving blocked fetches with fewer jobs than fetches leaves the queue known empty", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("idle5");
    const a = await open(clock, prefix);
    const b = await open(clock, prefix);
    await fetchTimingOut(a, clock, fetch(["q"]));
    const first = trackPromise(a.getJobs(fetch(["q"], { timeoutMs: 60_000 })));
    const second = trackPromise(a.getJobs(fetch(["q"], { timeoutMs: 60_000, consumer: Y })));
    await b.addJob({ queue: "q", body: Buffer.from("one") });
    assert.equal(((await first.promise) ?? []).length, 1, "the first fetch is served");
    assert.equal(second.done, false);
    const before = await scriptsRun();
    const again = trackPromise(a.getJobs(fetch(["q"], { timeoutMs: 50_000 })));
    // blocked: its deadline is the earliest
    await waitFor(() => a.nextLocalDeadline() === clock.now() + 50_000);
    assert.equal(await scriptsRun(), before, "the serving take found the queue empty: no take");
    const { id } = await b.addJob({ queue: "q", body: Buffer.from("two") });
    assert.deepEqual(
      ((await second.promise) ?? []).map((j) => j.id),
      [id],
      "served in arrival order",
    );
    assert.equal(again.done, false);
  });

  it("a fetch joins the fetches blocked on its queue without a take, even once the queue changed", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock);
    await fetchTimingOut(broker, clock, fetch(["q"]));
    const first = trackPromise(broker.getJobs(fetch(["q"], { timeoutMs: 60_000 })));
    // a delayed job: a change this server made (no longer known empty), no wake-up, nothing ready
    await broker.addJob({ queue: "q", body: Buffer.from("later"), delay: 5 });
    const before = await scriptsRun();
    const second = trackPromise(broker.getJobs(fetch(["q"], { timeoutMs: 50_000, consumer: Y })));
    await waitFor(() => broker.nextLocalDeadline() === clock.now() + 50_000);
    assert.equal(await scriptsRun(), before, "joined the blocked fetch: no take");
    const { id } = await broker.addJob({ queue: "q", body: Buffer.from("now") });
    assert.deepEqual(
      ((await first.promise) ?? []).map((j) => j.id),
      [id],
      "the earlier fetch is served first",
    );
    assert.equal(second.done, false);
  });

  it("NOHANG on a queue known empty asks Redis: another server's add is seen at once", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("idle3");
    const a = await open(clock, prefix);
    const b = await open(clock, prefix);
    await fetchTimingOut(a, clock, fetch(["q"]));
    // the add's reply comes before its wake-up reaches a: only a take can see the job
    const { id } = await b.addJob({ queue: "q", body: Buffer.from("now") });
    const jobs = await a.getJobs(fetch(["q"], { nohang: true }));
    assert.deepEqual(
      jobs?.map((j) => j.id),
      [id],
    );
  });

  it("a fetch that blocked without a take counts for EXPLAIN, as a take's would", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock);
    await fetchTimingOut(broker, clock, fetch(["a", "q"]));
    clock.advance(300);
    const before = await scriptsRun();
    await fetchTimingOut(broker, clock, fetch(["a", "q"], { consumer: Y }));
    assert.equal(await scriptsRun(), before, "blocked without a script");
    const { id } = await broker.addJob({ queue: "q", body: Buffer.from("x") });
    const facts = await broker.explain(id);
    assert.deepEqual([facts.cause, facts.recentFetchers], ["ready", 2]);
    assert.deepEqual(facts.lastFetch, { at: T0 + 400, consumer: Y, queues: ["a", "q"] });
  });

  it("a deferred record older than a take's leaves the last fetch to the take", async () => {
    const clock = new ManualClock(T0);
    const prefix = uniquePrefix("idle4");
    const a = await open(clock, prefix);
    const b = await open(clock, prefix);
    await fetchTimingOut(a, clock, fetch(["q"]));
    await fetchTimingOut(a, clock, fetch(["q"], { consumer: Y }));
    // b's fetch is a take (b knows nothing of q), later than a's fetch still waiting to be written
    await fetchTimingOut(b, clock, fetch(["q"]));
    const { id } = await b.addJob({ queue: "q", body: Buffer.from("x") });
    const facts = await a.explain(id);
    assert.deepEqual(
      [facts.recentFetchers, facts.lastFetch?.at, facts.lastFetch?.consumer],
      [2, T0 + 200, X],
    );
  });

  it("after DEBUG FLUSHALL a blocking fetch makes its queue known again", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock);
    await fetchTimingOut(broker, clock, fetch(["q"]));
    await broker.flushAll();
    assert.equal(await broker.qstat("q"), null);
    await fetchTimingOut(broker, clock, fetch(["q"]));
    assert.notEqual(await broker.qstat("q"), null);
  });

  it("a queue this server changed is asked again: its own add's wake-up may come after the reply", async () => {
    const clock = new ManualClock(T0);
    const broker = await open(clock);
    await fetchTimingOut(broker, clock, fetch(["q"]));
    const { id } = await broker.addJob({ queue: "q", body: Buffer.from("mine") });
    const jobs = await broker.getJobs(fetch(["q"], { timeoutMs: 0 }));
    assert.deepEqual(
      jobs?.map((j) => j.id),
      [id],
    );
  });
});
