import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Change } from "../../src/core/changes.js";
import { harness, sync, T0, track, settle } from "./helpers.js";

/**
 * The engine's scheduling internals (core/scheduling.ts): the rounds it
 * records, the lanes that hold a group back, the timer that wakes a
 * rate-limited queue's fetchers, the keys' expiry. What every store shows is
 * in test/conformance/{priorities,groups,rate-limit,idempotency-keys}.test.ts.
 */

function roundsOf(changes: Change[]): Record<string, number | undefined> {
  const out: Record<string, number | undefined> = {};
  for (const change of changes) {
    if (change.type === "add") out[String(change.job.body)] = change.job.round;
  }
  return out;
}

describe("rounds", () => {
  it("the n-th queued job of a group gets round n-1; a group with nothing queued starts at the round delivered last", () => {
    const h = harness();
    for (const b of ["a1", "a2", "a3"]) h.add("q", b, { group: "a" });
    h.add("q", "b1", { group: "b" });
    h.add("q", "u1");
    assert.deepEqual(roundsOf(h.changes), { a1: 0, a2: 1, a3: 2, b1: 0, u1: 0 });
    h.take("q", 3); // a1, b1, u1
    h.take("q", 1); // a2: round 1 delivered
    h.add("q", "c1", { group: "c" });
    h.add("q", "c2", { group: "c" });
    h.add("q", "a4", { group: "a" });
    const rounds = roundsOf(h.changes);
    assert.deepEqual([rounds.c1, rounds.c2, rounds.a4], [1, 2, 3]);
  });

  it("a put-back keeps its round and rank: back ahead of its group's later jobs", () => {
    const h = harness();
    const a1 = h.add("q", "a1", { group: "a", retry: 10 });
    const a2 = h.add("q", "a2", { group: "a" });
    const b1 = h.add("q", "b1", { group: "b" });
    assert.deepEqual(h.ids("q"), [a1]);
    h.advance(10_000); // a1's lease runs out
    assert.deepEqual(h.peekIds("q"), [a1, b1, a2]);
  });

  it("a flood of one group does not make a fetch walk it: 10^5 held back, another group's job goes at once", () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { groupLimit: 1 }));
    for (let i = 0; i < 100_000; i++) h.add("q", "f", { group: "flood" });
    h.take("q");
    const started = performance.now();
    for (let i = 0; i < 1000; i++) {
      const id = h.add("q", "s", { group: `single-${i}` });
      assert.deepEqual(h.ids("q"), [id]);
      assert.equal(h.take("q"), null);
    }
    const ms = performance.now() - started;
    // a walk over the held-back jobs would cost seconds; the lanes make each fetch O(log n)
    assert.ok(ms < 2000, `1000 fetches past 10^5 held-back jobs took ${ms.toFixed(0)} ms`);
    assert.equal(sync(h.engine.qstat("q"))!.heldBack, 99_999);
  });
});

describe("GROUPLIMIT", () => {
  it("a failure that backs off frees its group's slot and serves a blocked fetcher", async () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { groupLimit: 1 }));
    const a1 = h.add("q", "a1", { group: "a" });
    const a2 = h.add("q", "a2", { group: "a" });
    h.take("q");
    const w = track(h.block({ queues: ["q"] }));
    await settle();
    assert.equal(w.done, false);
    assert.equal(sync(h.engine.nack([a1], { delayMs: 5000 })), 1);
    await settle();
    assert.deepEqual(
      w.value?.map((d) => d.id),
      [a2],
    );
    assert.equal(h.state(a1), "backoff");
  });

  it("setting the limit counts the jobs already in flight; removing it lets every held job go", () => {
    const h = harness();
    const a1 = h.add("q", "a1");
    h.add("q", "a2");
    h.add("q", "a3");
    assert.deepEqual(h.ids("q"), [a1]);
    sync(h.engine.setQueuePolicy("q", { groupLimit: 1 }));
    assert.equal(sync(h.engine.qstat("q"))!.heldBack, 2);
    assert.equal(h.take("q"), null);
    sync(h.engine.setQueuePolicy("q", {}));
    assert.equal(h.take("q", 5)!.length, 2);
  });

  it("EXPLAIN says group-limit for a held-back job", () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { groupLimit: 1 }));
    h.add("q", "a1", { group: "a" });
    const a2 = h.add("q", "a2", { group: "a" });
    h.take("q");
    const facts = sync(h.engine.explain(a2));
    assert.deepEqual(
      [facts.cause, facts.group, facts.groupLimit, facts.position],
      ["group-limit", "a", 1, 1],
    );
  });
});

describe("rate limits", () => {
  it("arm one timer at the slot for blocked fetchers (onWake), and none without a fetcher", async () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 1000 } }));
    h.add("q", "a");
    h.add("q", "b");
    h.take("q");
    assert.equal(h.engine.nextWakeAt() > T0 + 1000, true, "no timer at the slot without a blocked fetcher");
    const w = track(h.block({ queues: ["q"] }));
    assert.equal(h.engine.nextWakeAt(), T0 + 1000);
    assert.ok(h.wakes.includes(T0 + 1000));
    h.advance(999);
    await settle();
    assert.equal(w.done, false);
    h.advance(1);
    await settle();
    assert.equal(w.value?.[0]?.body.toString(), "b");
  });

  it("EXPLAIN says rate-limited until the slot", () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { rateLimit: { count: 2, periodMs: 1000 } }));
    for (const b of ["a", "b", "c"]) h.add("q", b);
    h.take("q", 2);
    const c = h.peekIds("q")[0]!;
    const facts = sync(h.engine.explain(c));
    assert.deepEqual([facts.cause, facts.until, facts.rateLimit], ["rate-limited", T0 + 500, "2/1s"]);
    h.advance(500);
    assert.equal(sync(h.engine.explain(c)).cause, "ready");
  });

  it("an idle queue whose rate state still counts is not collected", () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 3_600_000 } }));
    h.add("q", "a");
    const [d] = h.take("q")!;
    sync(h.engine.ackJobs([d!.id]));
    h.advance(600_000); // past queue garbage collection
    h.add("q", "b");
    assert.equal(h.take("q"), null, "the hour's one delivery is spent");
  });
});

describe("idempotency keys", () => {
  it("are dropped from memory when they expire on the clock", () => {
    const h = harness();
    const id = h.add("q", "a", { key: "k", keyTtl: 10 });
    sync(h.engine.ackJobs([id]));
    assert.equal([...h.engine.orphanKeys()].length, 1);
    h.advance(9_999);
    assert.equal(sync(h.engine.addJob({ queue: "q", body: Buffer.from("x"), key: "k" })).id, id);
    h.advance(1);
    assert.equal([...h.engine.orphanKeys()].length, 0);
  });

  it("a duplicate records nothing; a key's add records it on the job", () => {
    const h = harness();
    h.add("q", "a", { key: "k", keyTtl: 60 });
    const before = h.changes.length;
    h.add("q", "b", { key: "k" });
    assert.equal(h.changes.length, before);
    const add = h.changes.find((c) => c.type === "add");
    assert.ok(add?.type === "add");
    assert.deepEqual([add.job.key, add.job.keyExpiresAt], ["k", T0 + 60_000]);
  });

  it("an `idemkey` change replayed makes a key whose job is gone", () => {
    const h = harness();
    const id = "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA-05a1";
    h.engine.apply({ type: "idemkey", queue: "q", key: "k", id, seq: 9, expiresAt: T0 + 1000 });
    const dup = sync(h.engine.addJob({ queue: "q", body: Buffer.from("x"), key: "k" }));
    assert.deepEqual(dup, { id, seq: 9, duplicate: true, state: "acked" });
    h.engine.apply({ type: "idemkey", queue: "q", key: "old", id, seq: 9, expiresAt: T0 });
    assert.equal(
      sync(h.engine.addJob({ queue: "q", body: Buffer.from("x"), key: "old" })).duplicate,
      undefined,
    );
  });

  it("DEBUG FLUSHALL forgets them", () => {
    const h = harness();
    h.add("q", "a", { key: "k" });
    h.engine.flushAll();
    assert.equal(
      sync(h.engine.addJob({ queue: "q", body: Buffer.from("x"), key: "k" })).duplicate,
      undefined,
    );
  });
});

describe("DEBUG FLUSHALL and rate limits", () => {
  it("a fetcher still blocked after FLUSHALL is woken at its next slot again", async () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 1000 } }));
    h.add("q", "a");
    h.add("q", "b");
    h.take("q");
    const first = track(h.block({ queues: ["q"] })); // armed for T0 + 1000
    h.engine.flushAll(); // the policy goes too (DEBUG FLUSHALL drops every policy)
    sync(h.engine.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 1000 } }));
    h.add("q", "c");
    await settle();
    assert.equal(first.value?.[0]?.body.toString(), "c", "a fresh queue state: a burst");
    h.add("q", "d");
    const second = track(h.block({ queues: ["q"] }));
    assert.equal(h.engine.nextWakeAt(), T0 + 1000);
    h.advance(1000);
    await settle();
    assert.equal(second.value?.[0]?.body.toString(), "d");
  });
});

describe("queue garbage collection", () => {
  it("keeps a queue whose groups have jobs in flight: GROUPLIMIT still counts them after 300 s idle", () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { groupLimit: 1 }));
    h.add("q", "a1", { group: "a", retry: 0 });
    h.take("q");
    h.advance(600_000); // past queue garbage collection
    h.add("q", "a2", { group: "a" });
    assert.equal(h.take("q"), null, "a1 is still in flight");
    assert.equal(sync(h.engine.qstat("q"))!.heldBack, 1);
  });

  it("keeps a queue whose named group has a job in flight (QSTAT groups)", () => {
    const h = harness();
    h.add("q", "a1", { group: "a", retry: 0 });
    h.take("q");
    h.advance(600_000);
    assert.equal(sync(h.engine.qstat("q"))?.groups, 1);
  });
});
