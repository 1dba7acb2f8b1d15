import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { T0, expectError, harness, settle, sync, track } from "./helpers.js";

/** The engine methods the okq, takeanumber and TaskQ doors use, on a ManualClock. */

const bodies = (jobs: { body: Buffer }[] | null) => (jobs ?? []).map((j) => j.body.toString());

describe("event ids (okq)", () => {
  it("are unique among a queue's live jobs; free again once the job is gone", () => {
    const h = harness();
    h.add("q", "a", { clientKey: "e1" });
    expectError(() => h.add("q", "b", { clientKey: "e1" }), "ERR", "duplicate event e1");
    h.add("other", "c", { clientKey: "e1" }); // another queue: fine
    assert.equal(sync(h.engine.qlen("q")), 1);
    const [d] = h.take("q")!;
    assert.equal(d!.clientKey, "e1");
    assert.equal(sync(h.engine.ackInQueue("q", "e1", "event")), 1);
    assert.equal(sync(h.engine.ackInQueue("q", "e1", "event")), 0);
    h.add("q", "again", { clientKey: "e1" });
    assert.equal(sync(h.engine.qpeek("q", 1))[0]!.clientKey, "e1");
  });

  it("ackInQueue finds jobs by id, event id (falling back to the id) and seq, only in their queue", () => {
    const h = harness();
    const a = sync(h.engine.addJob({ queue: "q", body: Buffer.from("a") }));
    const b = sync(h.engine.addJob({ queue: "q", body: Buffer.from("b") }));
    const c = sync(h.engine.addJob({ queue: "q", body: Buffer.from("c") }));
    assert.equal(sync(h.engine.ackInQueue("other", a.id, "id")), 0);
    assert.equal(sync(h.engine.ackInQueue("q", a.id, "id")), 1);
    assert.equal(sync(h.engine.ackInQueue("q", b.id, "event")), 1);
    assert.equal(sync(h.engine.ackInQueue("q", "x1", "seq")), 0);
    assert.equal(sync(h.engine.ackInQueue("q", String(c.seq), "seq")), 1);
    assert.equal(sync(h.engine.qlen("q")), 0);
    assert.deepEqual(
      h.changes.filter((c) => c.type === "delete").map((c) => c.type === "delete" && c.reason),
      ["ack", "ack", "ack"],
    );
  });
});

describe("per-fetch lease and consume", () => {
  it("leaseSeconds overrides the job's RETRY for that delivery only", () => {
    const h = harness();
    const id = h.add("q", "a", { retry: 300 });
    const jobs = sync(
      h.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0, leaseSeconds: 30 }),
    );
    assert.equal(jobs![0]!.id, id);
    h.advance(29_999);
    assert.equal(h.state(id), "active");
    h.advance(1);
    assert.equal(h.state(id), "queued");
    assert.equal(sync(h.engine.show(id))!.additionalDeliveries, 1);
    // the next plain delivery uses RETRY again
    h.take("q");
    h.advance(30_000);
    assert.equal(h.state(id), "active");
    h.advance(270_000);
    assert.equal(h.state(id), "queued");
  });

  it("rejects a lease that is not a positive integer", () => {
    const h = harness();
    expectError(
      () => h.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0, leaseSeconds: 0 }),
      "ERR",
    );
  });

  it("consume deletes what it delivers, for immediate and blocked fetches", async () => {
    const h = harness();
    const id = h.add("q", "a");
    const got = sync(
      h.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0, consume: true }),
    );
    assert.deepEqual(bodies(got), ["a"]);
    assert.equal(sync(h.engine.show(id)), null);
    assert.deepEqual(h.changes.at(-1), { type: "delete", id, reason: "noack" });
    const waiting = h.block({ queues: ["q"], consume: true });
    const id2 = h.add("q", "b");
    assert.deepEqual(bodies(await waiting), ["b"]);
    assert.equal(sync(h.engine.show(id2)), null);
    assert.equal(sync(h.engine.stats()).jobs, 0);
  });
});

describe("retries budget and dead letters (takeanumber)", () => {
  it("RETRY puts the job back at its own place and counts down; with none left it is dead-lettered", () => {
    const h = harness();
    const a = h.add("q", "a", { retryBudget: 1 });
    h.add("q", "b");
    assert.deepEqual(h.ids("q"), [a]);
    assert.equal(sync(h.engine.retryJob("q", a)), "requeued");
    assert.deepEqual(bodies(sync(h.engine.qpeek("q", 10))), ["a", "b"]);
    const later = h.add("q", "c");
    assert.deepEqual(bodies(sync(h.engine.qpeek("q", 10))), ["a", "b", "c"]);
    assert.equal(sync(h.engine.show(a))!.retryBudgetLeft, 0);
    assert.equal(sync(h.engine.show(a))!.nacks, 1);
    const failed = h.changes.find((c) => c.type === "failed");
    assert.ok(failed && failed.type === "failed" && failed.id === a && failed.retryBudgetLeft === 0);

    h.advance(5000);
    assert.equal(sync(h.engine.retryJob("q", a)), "deadlettered");
    assert.equal(sync(h.engine.show(a)), null);
    assert.deepEqual(bodies(sync(h.engine.qpeek("q", 10))), ["b", "c"]);
    const letters = sync(h.engine.deadLetters("q", 10));
    assert.equal(letters.length, 1);
    assert.deepEqual(
      {
        id: letters[0]!.id,
        body: letters[0]!.body.toString(),
        reason: letters[0]!.reason,
        at: letters[0]!.at,
      },
      { id: a, body: "a", reason: "retries exhausted", at: T0 + 5000 },
    );
    assert.deepEqual(h.changes.at(-1), {
      type: "deadletter",
      id: a,
      queue: "q",
      reason: "retries exhausted",
      at: T0 + 5000,
      attempt: { at: T0 + 5000, cause: "nack", error: "" },
      retryBudget: 1,
    });
    assert.equal(sync(h.engine.retryJob("q", a)), null);
    assert.equal(sync(h.engine.retryJob("other", later)), null);
  });

  it("jobs without a budget are retried forever", () => {
    const h = harness();
    const a = h.add("q", "a");
    for (let i = 0; i < 5; i++) assert.equal(sync(h.engine.retryJob("q", a)), "requeued");
    assert.equal(sync(h.engine.deadLetters("q", 10)).length, 0);
  });

  it("rejects a negative budget", () => {
    const h = harness();
    expectError(() => h.add("q", "a", { retryBudget: -1 }), "ERR", "retries must be a non negative integer");
  });

  it("REDRIVE queues the oldest dead letters again as fresh jobs with their budget", () => {
    const h = harness();
    const ids = ["a", "b", "c"].map((body) => h.add("q", body, { retryBudget: 0, clientKey: `e-${body}` }));
    for (const id of ids) assert.equal(sync(h.engine.retryJob("q", id)), "deadlettered");
    assert.equal(sync(h.engine.deadLetters("q", 2)).length, 2);
    assert.equal(sync(h.engine.redrive("q", { count: 2 })), 2);
    const redriven = h.changes.filter((c) => c.type === "redrive");
    assert.equal(redriven.length, 2);
    assert.deepEqual(bodies(sync(h.engine.qpeek("q", 10))), ["a", "b"]);
    const fresh = sync(h.engine.qpeek("q", 1))[0]!;
    assert.notEqual(fresh.id, ids[0]);
    assert.equal(fresh.clientKey, "e-a");
    assert.equal(fresh.retryBudgetLeft, 0);
    assert.deepEqual(bodies(sync(h.engine.deadLetters("q", 10))), ["c"]);
    assert.equal(sync(h.engine.redrive("q", { count: 10 })), 1);
    assert.equal(sync(h.engine.redrive("q", { count: 10 })), 0);
    assert.equal(sync(h.engine.queueCounts(["q"]))[0]!.total, 3);
  });
});

describe("flushQueue, queueCounts", () => {
  it("counts waiting and processing per queue; flush deletes both and the dead letters", () => {
    const h = harness();
    h.add("q", "a");
    h.add("q", "b");
    const dead = h.add("q", "c", { retryBudget: 0 });
    h.add("r", "x");
    h.take("q");
    assert.equal(sync(h.engine.retryJob("q", dead)), "deadlettered");
    assert.deepEqual(sync(h.engine.queueCounts()), [
      { name: "q", total: 2, waiting: 1, processing: 1, consumers: 0 },
      { name: "r", total: 1, waiting: 1, processing: 0, consumers: 0 },
    ]);
    assert.equal(sync(h.engine.flushQueue("q")), 2);
    assert.deepEqual(h.changes.at(-1), { type: "flushqueue", queue: "q" });
    assert.deepEqual(sync(h.engine.queueCounts(["q"])), [
      { name: "q", total: 0, waiting: 0, processing: 0, consumers: 0 },
    ]);
    assert.equal(sync(h.engine.deadLetters("q", 10)).length, 0);
    assert.equal(sync(h.engine.stats()).jobs, 1);
    // The in-flight job was flushed: its lease never brings it back.
    h.advance(600_000);
    assert.equal(sync(h.engine.qlen("q")), 0);
  });
});

describe("QNOTIFY waits", () => {
  it("answers at once when a registered queue has a job, without taking it", () => {
    const h = harness();
    h.add("b", "x");
    h.engine.registerConsumer("c1", ["a", "b"]);
    assert.equal(sync(h.engine.notify("c1", 0)), "b");
    assert.equal(sync(h.engine.qlen("b")), 1);
    assert.equal(sync(h.engine.queueCounts(["a"]))[0]!.consumers, 1);
  });

  it("blocks until a job arrives, or times out with null, or aborts", async () => {
    const h = harness();
    h.engine.registerConsumer("c1", ["a", "b"]);
    const woken = track(h.engine.notify("c1", 0));
    await settle();
    assert.equal(woken.done, false);
    assert.equal(sync(h.engine.stats()).blockedClients, 1);
    h.add("a", "x");
    await settle();
    assert.deepEqual(woken, { done: true, value: "a" });
    assert.equal(sync(h.engine.qlen("a")), 1);
    assert.equal(sync(h.engine.stats()).blockedClients, 0);

    h.engine.registerConsumer("c2", ["z"]);
    const timed = track(h.engine.notify("c2", 2000));
    h.advance(1999);
    await settle();
    assert.equal(timed.done, false);
    h.advance(1);
    await settle();
    assert.deepEqual(timed, { done: true, value: null });

    const abort = new AbortController();
    const aborted = track(h.engine.notify("c2", 0, abort.signal));
    abort.abort();
    await settle();
    assert.deepEqual(aborted, { done: true, value: null });
    assert.equal(sync(h.engine.stats()).blockedClients, 0);
    // a later job wakes nobody and stays queued
    h.add("z", "y");
    assert.equal(sync(h.engine.qlen("z")), 1);
  });

  it("consumer counts cost O(1) per queue, however many connections are registered", () => {
    // 20,000 registered connections and a 1,000-name QSTATUS: counting by walking every
    // registration for every name took ~0.5 s here, one event-loop stall.
    const h = harness();
    for (let i = 0; i < 20_000; i++) {
      h.engine.registerConsumer(`c${i}`, [`q${i % 1000}`, `q${(i + 1) % 1000}`, `own${i}`]);
    }
    const names = Array.from({ length: 1000 }, (_, i) => `q${i}`);
    const started = performance.now();
    const counts = sync(h.engine.queueCounts(names));
    const ms = performance.now() - started;
    assert.deepEqual(new Set(counts.map((c) => c.consumers)), new Set([40]));
    assert.ok(ms < 100, `${ms.toFixed(1)} ms`);
  });

  it("unregistering drops the consumer count", () => {
    const h = harness();
    h.engine.registerConsumer("c1", ["q"]);
    h.engine.registerConsumer("c2", ["q", "q"]);
    assert.equal(sync(h.engine.queueCounts(["q"]))[0]!.consumers, 2);
    h.engine.registerConsumer("c1", []);
    assert.equal(sync(h.engine.queueCounts(["q"]))[0]!.consumers, 1);
  });
});

describe("front placement with dialect methods", () => {
  it("a front job is served before older ones; a retried job goes behind them", () => {
    const h = harness();
    const a = h.add("q", "a");
    h.add("q", "urgent", { placement: "front" });
    assert.deepEqual(bodies(h.take("q")), ["urgent"]);
    assert.equal(sync(h.engine.retryJob("q", a)), "requeued");
    h.add("q", "b");
    assert.deepEqual(bodies(sync(h.engine.qpeek("q", 10))), ["a", "b"]);
  });
});
