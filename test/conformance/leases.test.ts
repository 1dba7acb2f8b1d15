import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BAD_ID, T0, UNKNOWN_ID } from "../helpers/broker.js";
import { checkOn, forEachStore } from "./suite.js";
import { BY_DESIGN } from "./replayed.js";

/** Delivered jobs: RETRY leases, NACK, ENQUEUE, DEQUEUE, WORKING, RETRY 0 (at-most-once). */

forEachStore((open, store) => {
  describe("leases and the retry timer", () => {
    checkOn(store, { replayed: BY_DESIGN.totals })(
      "re-queues after RETRY seconds and counts additional-deliveries",
      async () => {
        const h = await open();
        const id = await h.add("q", "x", { retry: 10 });
        await h.take("q");
        await h.advance(9_999);
        assert.equal(await h.state(id), "active");
        assert.equal((await h.show(id)).requeueAt, T0 + 10_000);
        await h.advance(1);
        const info = await h.show(id);
        assert.equal(info.state, "queued");
        assert.equal(info.additionalDeliveries, 1);
        assert.equal(info.requeueAt, T0 + 20_000);
        const [d] = (await h.take("q"))!;
        assert.equal(d!.additionalDeliveries, 1);
        assert.equal(d!.nacks, 0);
        await h.advance(10_000);
        assert.equal((await h.show(id)).additionalDeliveries, 2);
        assert.equal((await h.broker.stats()).requeued, 2);
      },
    );

    it("the lease runs from delivery, and nothing is counted while the job is still queued", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 10 });
      await h.advance(95_000);
      let info = await h.show(id);
      assert.equal(info.state, "queued");
      assert.equal(info.additionalDeliveries, 0);
      assert.equal(info.requeueAt, T0 + 100_000); // rolled forward, never in the past
      assert.equal((await h.broker.qstat("q"))!.jobsIn, 1);
      await h.take("q");
      await h.advance(9_999);
      assert.equal(await h.state(id), "active");
      await h.advance(1);
      info = await h.show(id);
      assert.equal(info.state, "queued");
      assert.equal(info.additionalDeliveries, 1);
    });

    it("NACK counts nacks, re-queues at once and resets the re-queue timer", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 10 });
      await h.take("q");
      await h.advance(5_000);
      assert.equal(await h.broker.nack([id]), 1);
      let info = await h.show(id);
      assert.equal(info.state, "queued");
      assert.equal(info.nacks, 1);
      assert.equal(info.additionalDeliveries, 0);
      assert.equal(info.requeueAt, T0 + 15_000);
      assert.equal(await h.broker.nack([id]), 0); // already queued
      const [d] = (await h.take("q"))!;
      assert.equal(d!.nacks, 1);
      await h.advance(9_999);
      assert.equal(await h.state(id), "active");
      assert.equal(await h.broker.nack([id]), 1);
      info = await h.show(id);
      assert.equal(info.nacks, 2);
      assert.equal(await h.broker.nack([UNKNOWN_ID]), 0);
    });

    it("ENQUEUE counts additional-deliveries only for a job that was queued before", async () => {
      const h = await open();
      const delivered = await h.add("q", "x", { retry: 10 });
      const delayed = await h.add("q", "y", { retry: 10, delay: 60 });
      await h.take("q");
      assert.equal(await h.broker.enqueue([delivered, delayed, UNKNOWN_ID]), 2);
      const a = await h.show(delivered);
      const b = await h.show(delayed);
      assert.deepEqual([a.state, a.additionalDeliveries, a.nacks], ["queued", 1, 0]);
      assert.deepEqual([b.state, b.additionalDeliveries, b.nacks], ["queued", 0, 0]);
      assert.equal(b.awakeAt, b.expiresAt); // the delay is over
      assert.equal(await h.broker.enqueue([delivered]), 0); // queued: skipped
      await h.advance(60_000); // the old delay timer must not queue it a second time
      assert.deepEqual(await h.peekIds("q"), [delivered, delayed]);
      assert.equal(await h.broker.qlen("q"), 2);
    });

    it("DEQUEUE takes queued jobs out without touching the re-queue timer", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 10 });
      const b = await h.add("q", "b", { retry: 10 });
      await h.advance(3_000);
      assert.equal(await h.broker.dequeue([a, UNKNOWN_ID]), 1);
      assert.equal(await h.broker.dequeue([a]), 0); // already active
      assert.deepEqual(await h.peekIds("q"), [b]);
      const info = await h.show(a);
      assert.equal(info.state, "active");
      assert.equal(info.requeueAt, T0 + 10_000);
      await h.advance(6_999);
      assert.equal(await h.state(a), "active");
      await h.advance(1);
      assert.equal(await h.state(a), "queued");
      assert.equal((await h.show(a)).additionalDeliveries, 1);
      assert.deepEqual(await h.peekIds("q"), [a, b]);
    });

    it("DEQUEUE skips delayed and active jobs", async () => {
      const h = await open();
      const delayed = await h.add("q", "d", { delay: 5 });
      const active = await h.add("q", "a");
      await h.take("q");
      assert.equal(await h.broker.dequeue([delayed, active]), 0);
      await h.advance(5_000);
      assert.deepEqual(await h.peekIds("q"), [delayed]);
    });
  });

  describe("SHOW times through a job's life", () => {
    it("requeueAt and awakeAt follow delivery, NACK and the lease; observedAt is the clock", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 10, ttl: 100 });
      await h.advance(2_000);
      await h.take("q");
      let info = await h.show(id);
      assert.deepEqual(
        [info.state, info.requeueAt, info.awakeAt, info.observedAt],
        ["active", T0 + 12_000, T0 + 12_000, T0 + 2_000],
      );
      await h.advance(3_000);
      await h.broker.nack([id]);
      info = await h.show(id);
      assert.deepEqual(
        [info.state, info.requeueAt, info.awakeAt, info.nacks],
        ["queued", T0 + 15_000, T0 + 100_000, 1],
      );
      await h.take("q");
      await h.advance(95_000);
      assert.equal(await h.broker.show(id), null);
    });
  });

  describe("WORKING", () => {
    it("postpones the re-queue to now + retry and answers the retry", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 10, ttl: 100 });
      await h.take("q");
      await h.advance(8_000);
      assert.equal(await h.broker.working(id), 10);
      assert.equal((await h.show(id)).requeueAt, T0 + 18_000);
      await h.advance(9_999);
      assert.equal(await h.state(id), "active");
      await h.advance(1);
      assert.equal(await h.state(id), "queued");
    });

    it("on a queued job takes it out of the queue", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 10 });
      assert.equal(await h.broker.working(id), 10);
      assert.equal(await h.state(id), "active");
      assert.equal(await h.broker.qlen("q"), 0);
      await h.advance(10_000);
      assert.equal(await h.state(id), "queued");
    });

    it("on a delayed job: queued once, at now + retry, never twice", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 10, delay: 100, ttl: 1000 });
      assert.equal(await h.broker.working(id), 10);
      await h.advance(10_000);
      let info = await h.show(id);
      assert.equal(info.state, "queued");
      assert.equal(info.additionalDeliveries, 0); // it was never delivered
      await h.advance(90_000); // the original delay's end
      assert.equal(await h.broker.qlen("q"), 1);
      assert.deepEqual(await h.peekIds("q"), [id]);
      assert.equal((await h.broker.qstat("q"))!.jobsIn, 1);
      assert.deepEqual(await h.ids("q", 5), [id]);
      assert.equal(await h.broker.qlen("q"), 0);
      info = await h.show(id);
      assert.equal(info.state, "active");
    });

    it("TOOLATE after half the TTL, NOJOB for unknown ids, BADID for malformed ones", async () => {
      const h = await open();
      const id = await h.add("q", "x", { ttl: 100, retry: 5 });
      await h.take("q");
      await h.advance(50_000);
      assert.equal(await h.broker.working(id), 5); // exactly half: still allowed
      await h.advance(1);
      await h.expectError(
        () => h.broker.working(id),
        "TOOLATE",
        "Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.",
      );
      await h.expectError(
        () => h.broker.working(UNKNOWN_ID),
        "NOJOB",
        "Job not known in the context of this node.",
      );
      await h.expectError(() => h.broker.working(BAD_ID), "BADID", "Invalid Job ID format.");
    });

    it("on a RETRY 0 job answers 0 and postpones nothing", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 0 });
      assert.equal(await h.broker.working(id), 0);
      assert.equal(await h.state(id), "queued");
      await h.take("q");
      assert.equal(await h.broker.working(id), 0);
      assert.equal((await h.show(id)).requeueAt, null);
    });
  });

  describe("RETRY 0 (at-most-once)", () => {
    it("is never re-queued; NACK and ENQUEUE return 0; the TTL still deletes it", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 0, ttl: 1000 });
      assert.equal((await h.show(id)).requeueAt, null);
      await h.take("q");
      await h.advance(999_000);
      const info = await h.show(id);
      assert.equal(info.state, "active");
      assert.equal(info.additionalDeliveries, 0);
      assert.equal(await h.broker.nack([id]), 0);
      assert.equal(await h.broker.enqueue([id]), 0);
      assert.equal((await h.show(id)).nacks, 0);
      assert.equal(await h.broker.qlen("q"), 0);
      await h.advance(1_000);
      assert.equal(await h.broker.show(id), null);
    });

    it("a delayed RETRY 0 job is queued once when its delay ends", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 0, delay: 5, ttl: 100 });
      await h.advance(5_000);
      assert.equal(await h.state(id), "queued");
      assert.deepEqual(await h.ids("q"), [id]);
      assert.equal(await h.broker.nack([id]), 0);
    });
  });
});
