import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer } from "../../src/core/explain.js";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import { T0 } from "../helpers/broker.js";
import { JournaledEngine } from "../conformance/replayed.js";

/**
 * EXPLAIN's facts are not journaled (docs/explain.md, docs/persistence.md):
 * a restart forgets leases, who paused a queue and since when, and the
 * fetch records; what it keeps (the pause, the jobs) EXPLAIN still tells.
 */

const X: Consumer = { id: "17", addr: "10.0.0.7:41000" };

describe("EXPLAIN after a restart of the embedded store", () => {
  it("forgets the lease, the pause's author and time, and the fetches", async () => {
    const j = await JournaledEngine.open(new ManualClock(T0));
    try {
      const delivered = j.engine.addJob({ queue: "q", body: Buffer.from("a"), retry: 60 }).id;
      const waiting = j.engine.addJob({ queue: "q", body: Buffer.from("b") }).id;
      const other = j.engine.addJob({ queue: "p", body: Buffer.from("c") }).id;
      j.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0, consumer: X });
      j.engine.pause("p", ["out"], X);
      j.clock.advance(1000);
      assert.deepEqual(j.engine.explain(delivered).leasedTo, X);
      assert.deepEqual(j.engine.explain(other).pausedBy, X);
      assert.deepEqual(j.engine.explain(waiting).lastFetch?.consumer, X);

      await j.reopen();
      const requeued = j.engine.explain(delivered);
      assert.deepEqual([requeued.cause, requeued.position, requeued.ready], ["ready", 1, 2]);
      const ready = j.engine.explain(waiting);
      assert.deepEqual([ready.cause, ready.recentFetchers, ready.lastFetch], ["ready", 0, null]);
      const paused = j.engine.explain(other);
      assert.deepEqual(
        [paused.cause, paused.pause, paused.pausedSince, paused.pausedBy],
        ["paused", "out", null, null],
      );
      assert.equal(j.engine.qstat("q")!.inFlight, 0);
    } finally {
      await j.close();
    }
  });
});
