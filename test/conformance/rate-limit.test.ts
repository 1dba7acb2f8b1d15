import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { T0, bodies } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * QPOLICY … RATE (core/scheduling.ts, GCRA): checked at delivery. `count`
 * jobs may go at once after a quiet period, then one per periodMs / count;
 * when no slot is free the queue delivers nothing and a blocked fetch is
 * answered at the slot time.
 */

const TWO_PER_SECOND = { rateLimit: { count: 2, periodMs: 1000 } };

forEachStore((open) => {
  describe("rate limits", () => {
    it("the policy keeps the limit; QSTAT shows it", async () => {
      const h = await open();
      assert.deepEqual(await h.broker.setQueuePolicy("q", TWO_PER_SECOND), TWO_PER_SECOND);
      assert.deepEqual((await h.broker.queuePolicy("q")).rateLimit, TWO_PER_SECOND.rateLimit);
      await h.add("q");
      const stats = (await h.broker.qstat("q"))!;
      assert.deepEqual(stats.rateLimit, TWO_PER_SECOND.rateLimit);
      assert.equal(stats.rateLimitedUntil, null);
    });

    it("delivers a burst of `count`, then one per interval; NOHANG gets nothing in between", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", TWO_PER_SECOND);
      for (const b of ["a", "b", "c", "d", "e"]) await h.add("q", b);
      assert.deepEqual(bodies(await h.take("q", 5)), ["a", "b"]);
      assert.equal(await h.take("q"), null);
      assert.equal((await h.broker.qstat("q"))!.rateLimitedUntil, T0 + 500);
      assert.equal(await h.broker.qlen("q"), 3);
      await h.advance(499);
      assert.equal(await h.take("q"), null);
      await h.advance(1);
      assert.deepEqual(bodies(await h.take("q", 5)), ["c"]);
      await h.advance(500);
      assert.deepEqual(bodies(await h.take("q", 5)), ["d"]);
      await h.advance(2000); // quiet: a full burst again
      assert.deepEqual(bodies(await h.take("q", 5)), ["e"]);
      assert.equal((await h.broker.qstat("q"))!.rateLimitedUntil, null);
    });

    it("a blocked fetch is answered at the slot time", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 1000 } });
      await h.add("q", "a");
      await h.add("q", "b");
      assert.deepEqual(bodies(await h.take("q")), ["a"]);
      const w = await h.block({ queues: ["q"] });
      assert.equal(w.done, false);
      await h.advance(999);
      assert.equal(w.done, false);
      await h.advance(1);
      assert.deepEqual(bodies(await h.answer(w)), ["b"]);
    });

    it("a blocked fetch waiting for a job added to a rate-limited queue gets it when the slot comes", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 1000 } });
      await h.add("q", "a");
      await h.take("q");
      const w = await h.block({ queues: ["q"] });
      await h.add("q", "b");
      await h.settle();
      assert.equal(w.done, false);
      await h.advance(1000);
      assert.deepEqual(bodies(await h.answer(w)), ["b"]);
    });

    it("a rate-limited queue does not hold back the other queues of a fetch", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("slow", { rateLimit: { count: 1, periodMs: 60_000 } });
      await h.add("slow", "s1");
      await h.add("slow", "s2");
      await h.add("fast", "f1");
      await h.add("fast", "f2");
      assert.deepEqual(bodies(await h.take(["slow", "fast"], 4)), ["s1", "f1", "f2"]);
    });

    it("EXPLAIN says rate-limited until the slot, then ready", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", TWO_PER_SECOND);
      for (const b of ["a", "b", "c"]) await h.add("q", b);
      await h.take("q", 2);
      const [c] = await h.peekIds("q");
      const facts = await h.broker.explain(c!);
      assert.deepEqual(
        [facts.cause, facts.until, facts.rateLimit, facts.position, facts.ready],
        ["rate-limited", T0 + 500, "2/1s", 1, 1],
      );
      await h.advance(500);
      assert.equal((await h.broker.explain(c!)).cause, "ready");
    });

    it("removing the limit lets the queue deliver at once", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { rateLimit: { count: 1, periodMs: 60_000 } });
      await h.add("q", "a");
      await h.add("q", "b");
      await h.take("q");
      assert.equal(await h.take("q"), null);
      await h.broker.setQueuePolicy("q", {});
      assert.deepEqual(bodies(await h.take("q")), ["b"]);
      const stats = (await h.broker.qstat("q"))!;
      assert.equal(stats.rateLimit, undefined);
      assert.equal(stats.rateLimitedUntil, null);
    });
  });
});
