import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JOB_OVERHEAD_BYTES } from "../../src/stores/embedded/engine/memory.js";
import { RESULT_OVERHEAD_BYTES } from "../../src/stores/embedded/engine/results.js";
import { KEY_OVERHEAD_BYTES } from "../../src/stores/embedded/engine/idempotency-keys.js";
import { DEFAULT_FAILURES } from "../../src/core/failures.js";
import { harness, sync } from "./helpers.js";

/** The engine's running total of job data, which --maxmemory counts (src/engine/memory.ts). */
describe("engine data bytes", () => {
  it("follow every way a job comes and goes, dead letters included", () => {
    const h = harness();
    const cost = (body: number) => JOB_OVERHEAD_BYTES + body;
    assert.equal(h.engine.dataBytes(), 0);
    const small = h.add("q", "x".repeat(10));
    const big = h.add("q", "y".repeat(5000)); // kept as a Buffer, not a string
    const dead = h.add("q", "z", { retryBudget: 0 });
    assert.equal(h.engine.dataBytes(), cost(10) + cost(5000) + cost(1));

    assert.equal(sync(h.engine.ackJobs([small])), 1);
    assert.equal(h.engine.dataBytes(), cost(5000) + cost(1));
    assert.equal(sync(h.engine.retryJob("q", dead)), "deadlettered");
    assert.equal(h.engine.dataBytes(), cost(5000) + cost(1), "a dead letter still holds its job");
    assert.equal(sync(h.engine.redrive("q", { count: 10 })), 1);
    assert.equal(h.engine.dataBytes(), cost(5000) + cost(1));
    assert.equal(sync(h.engine.deleteJobs([big])), 1);
    assert.equal(h.engine.dataBytes(), cost(1));
    assert.equal(sync(h.engine.flushQueue("q")), 1);
    assert.equal(h.engine.dataBytes(), 0);

    h.add("t", "a", { ttl: 1 });
    const letter = h.add("t", "b", { retryBudget: 0 });
    sync(h.engine.retryJob("t", letter));
    h.advance(2000); // the first expires
    assert.equal(h.engine.dataBytes(), cost(1));
    h.engine.flushAll();
    assert.equal(h.engine.dataBytes(), 0);
  });

  it("count kept results until they expire or FLUSHALL drops them", () => {
    const h = harness();
    h.engine.configureFailures({ ...DEFAULT_FAILURES, resultTtlMs: 1000 });
    const a = h.add("q", "a");
    const b = h.add("q", "b");
    assert.equal(sync(h.engine.ackJobs([a], Buffer.from("x".repeat(40)))), 1);
    assert.equal(h.engine.dataBytes(), JOB_OVERHEAD_BYTES + 1 + RESULT_OVERHEAD_BYTES + 40);
    h.advance(1000);
    assert.equal(h.engine.dataBytes(), JOB_OVERHEAD_BYTES + 1, "an expired result is no longer counted");
    assert.equal(sync(h.engine.ackJobs([b], Buffer.from("y"))), 1);
    h.engine.flushAll();
    assert.equal(h.engine.dataBytes(), 0);
  });
});

describe("idempotency keys against --maxmemory", () => {
  it("count while they live, also after their job is gone, until they expire or FLUSHALL", () => {
    const h = harness();
    const key = (k: string) => KEY_OVERHEAD_BYTES + k.length;
    const id = h.add("q", "x", { key: "order-1", keyTtl: 10 });
    assert.equal(h.engine.dataBytes(), JOB_OVERHEAD_BYTES + 1 + key("order-1"));
    h.add("q", "y", { key: "order-1" }); // a duplicate adds nothing
    assert.equal(sync(h.engine.ackJobs([id])), 1);
    assert.equal(h.engine.dataBytes(), key("order-1"));
    h.advance(10_000);
    assert.equal(h.engine.dataBytes(), 0);
    h.add("q", "z", { key: "k2" });
    h.engine.flushAll();
    assert.equal(h.engine.dataBytes(), 0);
  });
});
