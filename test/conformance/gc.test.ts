import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QUEUE_IDLE_GC_MS } from "../../src/stores/embedded/engine/index.js";
import { checkOn, forEachStore } from "./suite.js";
import { BY_DESIGN } from "./replayed.js";

/** Queue garbage collection (docs/disque.md): empty, unpaused, unwaited queues idle for 300 s go. */

const GC = QUEUE_IDLE_GC_MS + 10_000; // the collection runs every 10 s

forEachStore((open, store) => {
  describe("queue garbage collection", () => {
    checkOn(store, { replayed: BY_DESIGN.emptyQueues })(
      "drops an empty queue idle for 300 s, not before",
      async () => {
        const h = await open();
        const id = await h.add("q");
        await h.broker.ackJobs([id]);
        await h.advance(QUEUE_IDLE_GC_MS - 10_000);
        assert.notEqual(await h.broker.qstat("q"), null);
        await h.advance(20_000);
        assert.equal(await h.broker.qstat("q"), null);
        assert.equal((await h.broker.stats()).queues, 0);
        assert.deepEqual((await h.broker.qscan(0, { count: 10, busyloop: false })).items, []);
      },
    );

    checkOn(store, { replayed: BY_DESIGN.totals })("the totals outlive a collected queue", async () => {
      const h = await open();
      const id = await h.add("q");
      await h.take("q");
      await h.broker.ackJobs([id]);
      await h.advance(GC);
      assert.equal(await h.broker.qstat("q"), null);
      const s = await h.broker.stats();
      assert.deepEqual([s.added, s.delivered, s.acked], [1, 1, 1]);
    });

    it("keeps a queue that is non-empty, paused, or has blocked fetchers", async () => {
      const h = await open();
      await h.add("full");
      await h.broker.pause("paused", ["in"]);
      const w = await h.block({ queues: ["waited"] });
      await h.add("idle", "x", { retry: 0 });
      await h.take("idle");
      await h.advance(GC);
      assert.notEqual(await h.broker.qstat("full"), null);
      assert.notEqual(await h.broker.qstat("paused"), null);
      assert.notEqual(await h.broker.qstat("waited"), null);
      assert.equal(await h.broker.qstat("idle"), null);
      await h.broker.pause("paused", ["none"]);
      await h.add("waited", "x", { retry: 0 });
      assert.equal((await h.answer(w))!.length, 1);
      await h.advance(GC);
      assert.equal(await h.broker.qstat("paused"), null);
      assert.equal(await h.broker.qstat("waited"), null);
      assert.notEqual(await h.broker.qstat("full"), null);
    });

    it("an active job's queue may go; its lease running out brings the queue back", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 0 });
      await h.take("q");
      await h.advance(GC);
      assert.equal(await h.broker.qstat("q"), null);
      await h.broker.deleteJobs([id]);
      const id2 = await h.add("q", "y", { retry: 1000, ttl: 5000 });
      await h.take("q");
      await h.advance(GC);
      assert.equal(await h.broker.qstat("q"), null);
      await h.advance(1000_000 - GC);
      assert.equal(await h.state(id2), "queued");
      assert.deepEqual(await h.peekIds("q"), [id2]);
    });
  });
});
