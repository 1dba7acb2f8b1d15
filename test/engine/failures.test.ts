import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBackoff } from "../../src/core/failures.js";
import { MAX_QUEUE_POLICIES } from "../../src/core/limits.js";
import { T0, expectError, harness, sync } from "./helpers.js";

/** The engine's failure path as the journal sees it, and its use of the injected random source. */

describe("engine failure path", () => {
  it("jitter draws come from the injected random source", () => {
    // 0x40000000 / 2^32 = 0.25: a quarter of the delay
    const h = harness({ random: (size) => Buffer.alloc(size, 0x40) });
    const id = h.add("q", "a", { backoff: parseBackoff("exponential:1000:60000:jitter") });
    h.take("q");
    sync(h.engine.nack([id], { backoff: true }));
    const quarter = Math.floor((0x40404040 / 2 ** 32) * 1000);
    assert.equal(sync(h.engine.show(id))!.backoffUntil, T0 + quarter);
  });

  it("a plain NACK or lease records what it did before; any other failure records a whole failure", () => {
    const h = harness();
    const plain = h.add("q", "plain", { retry: 5 });
    h.take("q");
    sync(h.engine.nack([plain]));
    assert.deepEqual(h.changes.at(-1), { type: "counters", id: plain, nacks: 1, additionalDeliveries: 0 });
    h.take("q");
    h.advance(5000); // the lease runs out
    assert.deepEqual(h.changes.at(-1), { type: "counters", id: plain, nacks: 1, additionalDeliveries: 1 });
    h.take("q");
    sync(h.engine.nack([plain], { placement: "back" }));
    assert.equal(h.changes.at(-1)?.type, "retry");
    h.take("q");
    sync(h.engine.nack([plain], { error: "now it says why", delayMs: 100 }));
    assert.deepEqual(h.changes.at(-1), {
      type: "failed",
      id: plain,
      rank: sync(h.engine.show(plain))!.seq + 1,
      nacks: 3,
      additionalDeliveries: 1,
      retryBudget: -1,
      retryBudgetLeft: -1,
      awakeAt: T0 + 5000 + 100,
      attempt: { at: T0 + 5000, cause: "nack", error: "now it says why" },
    });
  });

  it("a dead letter past its queue's cap is evicted with a deadpurge change", () => {
    const h = harness();
    sync(h.engine.setQueuePolicy("q", { deadLetterCap: 1 }));
    const a = h.add("q", "a", { retryBudget: 0 });
    const b = h.add("q", "b", { retryBudget: 0 });
    sync(h.engine.retryJob("q", a));
    sync(h.engine.retryJob("q", b));
    assert.deepEqual(h.changes.at(-1), { type: "deadpurge", queue: "q", ids: [a], reason: "evict" });
    assert.equal(sync(h.engine.stats()).deadLettersEvicted, 1);
  });

  it("a result is at most max-job-size; nothing is acked when it is bigger", () => {
    const h = harness({ maxJobSize: 10 });
    const id = h.add("q", "a");
    expectError(
      () => h.engine.ackJobs([id], Buffer.alloc(11)),
      "ERR",
      "result too big: 11 bytes, the limit is 10",
    );
    assert.ok(sync(h.engine.show(id)));
    assert.equal(sync(h.engine.ackJobs([id], Buffer.alloc(10))), 1);
  });

  it(`at most ${MAX_QUEUE_POLICIES} queues have a policy; replacing or removing one is always allowed`, () => {
    const h = harness();
    for (let i = 0; i < MAX_QUEUE_POLICIES; i++) h.engine.setQueuePolicy(`q${i}`, { retryBudget: 1 });
    expectError(() => h.engine.setQueuePolicy("one-more", { retryBudget: 1 }), "ERR");
    assert.deepEqual(h.engine.setQueuePolicy("q0", { retryBudget: 2 }), { retryBudget: 2 });
    assert.deepEqual(h.engine.setQueuePolicy("q1", {}), {});
    assert.deepEqual(h.engine.setQueuePolicy("one-more", { retryBudget: 1 }), { retryBudget: 1 });
  });
});
