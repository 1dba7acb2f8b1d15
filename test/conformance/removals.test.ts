import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkOn, forEachStore } from "./suite.js";
import { BY_DESIGN } from "./replayed.js";

/** A job that is gone stays gone: its lease, delay and expiry timers never bring it back. */

forEachStore((open, store) => {
  describe("removed jobs leave no timers behind", () => {
    it("an acked or fast-acked active job is not re-queued when its lease would have run out", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 5 });
      const b = await h.add("q", "b", { retry: 5 });
      await h.take("q", 2);
      assert.equal(await h.broker.ackJobs([a]), 1);
      assert.equal(await h.broker.fastAck([b]), 1);
      await h.advance(5_000);
      assert.equal(await h.broker.qlen("q"), 0);
      assert.deepEqual([await h.state(a), await h.state(b)], [null, null]);
      const s = await h.broker.stats();
      assert.deepEqual([s.jobs, s.requeued, s.expired], [0, 0, 0]);
    });

    it("a deleted or flushed delayed job is not queued when its delay ends", async () => {
      const h = await open();
      const a = await h.add("q", "a", { delay: 5 });
      await h.add("r", "b", { delay: 5 });
      assert.equal(await h.broker.deleteJobs([a]), 1);
      assert.equal(await h.broker.flushQueue("r"), 1);
      await h.advance(5_000);
      assert.deepEqual([await h.broker.qlen("q"), await h.broker.qlen("r")], [0, 0]);
      assert.equal((await h.broker.stats()).jobs, 0);
      assert.deepEqual((await h.broker.jscan(0, { count: 10, busyloop: true })).items, []);
    });

    it("a consumed job and a dead letter neither expire nor re-queue later", async () => {
      const h = await open();
      await h.add("q", "a", { retry: 5, ttl: 20 });
      await h.take("q", 1, { consume: true });
      const dead = await h.add("d", "b", { retry: 5, ttl: 20, retryBudget: 0 });
      await h.take("d");
      assert.equal(await h.broker.retryJob("d", dead), "deadlettered");
      await h.advance(20_000);
      const s = await h.broker.stats();
      assert.deepEqual([s.jobs, s.expired, s.requeued], [0, 0, 0]);
      assert.equal(await h.broker.qlen("q"), 0);
      assert.equal(await h.broker.qlen("d"), 0);
      // the dead letter is kept until redriven or flushed, whatever its TTL
      assert.equal((await h.broker.deadLetters("d", 10)).length, 1);
    });
  });

  describe("totals and flushAll", () => {
    checkOn(store, { replayed: BY_DESIGN.totals })(
      "stats totals count dialect operations: ackInQueue acks, redrive adds, consume delivers",
      async () => {
        const h = await open();
        const a = await h.add("q", "a");
        await h.add("q", "b");
        const c = await h.add("q", "c", { retryBudget: 0 });
        assert.equal(await h.broker.ackInQueue("q", a, "id"), 1);
        await h.take("q", 1, { consume: true });
        assert.equal(await h.broker.retryJob("q", c), "deadlettered");
        assert.equal(await h.broker.redrive("q", { count: 1 }), 1);
        const s = await h.broker.stats();
        assert.deepEqual(
          { jobs: s.jobs, added: s.added, delivered: s.delivered, acked: s.acked },
          { jobs: 1, added: 4, delivered: 1, acked: 1 },
        );
        const q = (await h.broker.qstat("q"))!;
        assert.deepEqual([q.len, q.jobsIn, q.jobsOut], [1, 4, 1]);
      },
    );

    it("flushQueue keeps the totals", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      await h.add("q", "b");
      await h.add("r", "c");
      await h.take("q");
      await h.broker.ackJobs([a]);
      assert.equal(await h.broker.flushQueue("q"), 1);
      const s = await h.broker.stats();
      assert.deepEqual(
        { jobs: s.jobs, added: s.added, delivered: s.delivered, acked: s.acked },
        { jobs: 1, added: 3, delivered: 1, acked: 1 },
      );
    });

    checkOn(store, { replayed: BY_DESIGN.totals })(
      "flushAll keeps the totals but drops dead letters, event ids and pauses",
      async () => {
        const h = await open();
        const dead = await h.add("q", "a", { retryBudget: 0 });
        await h.add("q", "b", { clientKey: "e" });
        await h.take("q");
        await h.broker.ackJobs([dead]);
        const d2 = await h.add("q", "c", { retryBudget: 0 });
        assert.equal(await h.broker.retryJob("q", d2), "deadlettered");
        await h.broker.pause("q", ["in"]);
        await h.broker.flushAll();
        assert.deepEqual(await h.broker.deadLetters("q", 10), []);
        assert.equal(await h.broker.redrive("q", { count: 10 }), 0);
        await h.add("q", "again", { clientKey: "e" });
        const s = await h.broker.stats();
        assert.deepEqual([s.jobs, s.queues, s.added, s.delivered, s.acked], [1, 1, 4, 1, 1]);
        assert.deepEqual(await h.broker.queueCounts(), [
          { name: "q", total: 1, waiting: 1, processing: 0, consumers: 0 },
        ]);
      },
    );
  });
});
