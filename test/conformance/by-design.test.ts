import assert from "node:assert/strict";
import { afterEach, describe, it } from "node:test";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import { T0 } from "../helpers/broker.js";
import { BY_DESIGN, JournaledEngine } from "./replayed.js";

/**
 * What a restart resets, by design (docs/persistence.md): the conformance
 * checks that BY_DESIGN keeps off the replayed store hold these instead.
 */
describe("replayed store: what a restart resets, by design", () => {
  let store: JournaledEngine | undefined;
  afterEach(async () => await store?.close());

  async function open(): Promise<JournaledEngine> {
    store = await JournaledEngine.open(new ManualClock(T0));
    return store;
  }

  it(`totals: ${BY_DESIGN.totals}`, async () => {
    const s = await open();
    const { id } = s.engine.addJob({ queue: "q", body: Buffer.from("a") });
    s.engine.addJob({ queue: "q", body: Buffer.from("b") });
    s.engine.ackJobs([id]);
    const failing = s.engine.addJob({ queue: "f", body: Buffer.from("f"), retryBudget: 0 }).id;
    assert.equal(s.engine.retryJob("f", failing), "deadlettered");
    assert.equal(s.engine.stats().added, 3);
    assert.equal(s.engine.stats().deadLettered, 1);
    assert.equal(s.engine.qstat("q")!.jobsIn, 2);
    await s.reopen();
    const stats = s.engine.stats();
    assert.deepEqual([stats.added, stats.acked, stats.jobs, stats.deadLettered], [0, 0, 1, 0]);
    assert.equal(s.engine.deadLetters("f", 10).length, 1, "the dead letter itself is journaled");
    assert.equal(s.engine.qlen("q"), 1);
  });

  it(`registrations: ${BY_DESIGN.registrations}`, async () => {
    const s = await open();
    s.engine.addJob({ queue: "q", body: Buffer.from("a") });
    s.engine.registerConsumer("worker-1", ["q"]);
    assert.equal(s.engine.queueCounts(["q"])[0]!.consumers, 1);
    await s.reopen();
    assert.equal(s.engine.queueCounts(["q"])[0]!.consumers, 0);
    assert.equal(s.engine.queueCounts(["q"])[0]!.total, 1);
  });

  it(`empty queues: ${BY_DESIGN.emptyQueues}`, async () => {
    const s = await open();
    const { id } = s.engine.addJob({ queue: "gone", body: Buffer.from("a") });
    s.engine.addJob({ queue: "kept", body: Buffer.from("b") });
    s.engine.pause("paused", ["in"]);
    s.engine.ackJobs([id]);
    assert.notEqual(s.engine.qstat("gone"), null);
    await s.reopen();
    assert.equal(s.engine.qstat("gone"), null); // its job's records no longer bring it back
    assert.equal(s.engine.qstat("kept")!.len, 1);
    assert.equal(s.engine.qstat("paused")!.pause, "in"); // a paused queue is journaled
    assert.deepEqual(s.engine.qscan(0, { count: 10, busyloop: true }).items.sort(), ["kept", "paused"]);
  });

  it(`rate state: ${BY_DESIGN.rateState}`, async () => {
    const s = await open();
    s.engine.setQueuePolicy("q", { rateLimit: { count: 2, periodMs: 60_000 } });
    for (const b of ["a", "b", "c", "d", "e"]) s.engine.addJob({ queue: "q", body: Buffer.from(b) });
    const take = () => s.engine.getJobs({ queues: ["q"], count: 5, nohang: true, timeoutMs: 0 }) ?? [];
    assert.equal((take() as unknown[]).length, 2);
    assert.equal(s.engine.qstat("q")!.rateLimitedUntil, T0 + 30_000);
    await s.reopen();
    assert.deepEqual(
      s.engine.queuePolicy("q").rateLimit,
      { count: 2, periodMs: 60_000 },
      "the limit is kept",
    );
    assert.equal(s.engine.qstat("q")!.rateLimitedUntil, null);
    assert.equal((take() as unknown[]).length, 2, "a fresh burst of 2");
  });
});
