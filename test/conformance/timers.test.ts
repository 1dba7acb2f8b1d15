import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { T0 } from "../helpers/broker.js";
import { checkOn, forEachStore } from "./suite.js";
import { BY_DESIGN } from "./replayed.js";

/** TTL expiry and DELAY, driven by the clock. */

forEachStore((open, store) => {
  describe("TTL", () => {
    checkOn(store, { replayed: BY_DESIGN.totals })(
      "deletes a job in any state: queued, active, delayed",
      async () => {
        const h = await open();
        const queued = await h.add("q", "queued", { ttl: 10 });
        const active = await h.add("q", "active", { ttl: 10, retry: 50 });
        const delayed = await h.add("d", "delayed", { ttl: 10, delay: 9 });
        assert.deepEqual(await h.ids("q", 1), [queued]);
        await h.broker.nack([queued]); // back to queued
        assert.deepEqual(await h.ids("q", 2), [queued, active]);
        await h.broker.enqueue([queued]);
        await h.advance(8_999);
        const states = async () => [await h.state(queued), await h.state(active), await h.state(delayed)];
        assert.deepEqual(await states(), ["queued", "active", "active"]);
        await h.advance(1_001);
        assert.deepEqual(await states(), [null, null, null]);
        assert.equal(await h.broker.qlen("q"), 0);
        assert.equal(await h.broker.qlen("d"), 0);
        const s = await h.broker.stats();
        assert.equal(s.jobs, 0);
        assert.equal(s.expired, 3);
      },
    );

    it("a job lives exactly its TTL", async () => {
      const h = await open();
      const id = await h.add("q", "x", { ttl: 60 });
      await h.advance(59_999);
      assert.equal(await h.state(id), "queued");
      await h.advance(1);
      assert.equal(await h.broker.show(id), null);
      assert.equal(await h.take("q"), null);
    });
  });

  describe("DELAY", () => {
    it("a delayed job is not queued before its time", async () => {
      const h = await open();
      const id = await h.add("q", "x", { delay: 5, ttl: 60 });
      let info = await h.show(id);
      assert.equal(info.state, "active");
      assert.equal(info.delay, 5);
      assert.equal(info.awakeAt, T0 + 5_000);
      assert.equal(info.requeueAt, null);
      assert.equal(await h.take("q"), null);
      await h.advance(4_999);
      assert.equal(await h.broker.qlen("q"), 0);
      await h.advance(1);
      info = await h.show(id);
      assert.equal(info.state, "queued");
      assert.equal(info.additionalDeliveries, 0);
      assert.equal(info.requeueAt, T0 + 5_000 + 6_000);
      assert.deepEqual(await h.ids("q"), [id]);
    });

    checkOn(store, { replayed: BY_DESIGN.totals })(
      "a queue with only delayed jobs is not known yet: QSTAT null until the first job is queued",
      async () => {
        const h = await open();
        await h.add("q", "x", { delay: 5 });
        assert.equal(await h.broker.qstat("q"), null);
        assert.equal((await h.broker.stats()).queues, 0);
        assert.deepEqual((await h.broker.qscan(0, { count: 10, busyloop: true })).items, []);
        await h.advance(5_000);
        const s = (await h.broker.qstat("q"))!;
        assert.deepEqual([s.len, s.age, s.jobsIn], [1, 0, 1]);
        await h.advance(3_000);
        assert.equal((await h.broker.qstat("q"))!.age, 3);
      },
    );

    it("NACK on a delayed job queues it at once and cancels the delay", async () => {
      const h = await open();
      const id = await h.add("q", "x", { delay: 50 });
      assert.equal(await h.broker.nack([id]), 1);
      assert.equal(await h.state(id), "queued");
      assert.equal((await h.show(id)).nacks, 1);
      await h.take("q");
      await h.advance(50_000);
      assert.equal(await h.state(id), "active");
    });
  });

  describe("SHOW's queue time", () => {
    it("a delayed job says when it is first queued; once queued it says nothing more", async () => {
      const h = await open();
      const id = await h.add("q", "x", { delay: 5, retry: 30 });
      const delayed = await h.broker.show(id);
      assert.equal(delayed?.delayedUntil, T0 + 5_000);
      assert.equal(delayed?.requeueAt, null);
      await h.advance(5_000);
      const queued = await h.broker.show(id);
      assert.equal(queued?.state, "queued");
      assert.equal(queued?.delayedUntil, null);
      assert.equal(queued?.requeueAt, T0 + 35_000);
    });
  });
});
