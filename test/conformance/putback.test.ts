import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { forEachStore } from "./suite.js";

/** emq's put-backs: NACK to the back of the queue, and release of jobs taken but never handed over. */

forEachStore((open) => {
  describe('NACK placement "back"', () => {
    it("puts the job behind every job queued now and ahead of every job added later", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      assert.deepEqual(await h.ids("q"), [a]);
      assert.equal(await h.broker.nack([a], { placement: "back" }), 1);
      const c = await h.add("q", "c");
      assert.deepEqual(await h.peekIds("q"), [b, a, c]);
      assert.equal((await h.show(a)).nacks, 1);
      assert.deepEqual(await h.ids("q", 3), [b, a, c]);
      assert.equal(await h.broker.nack([c, a], { placement: "back" }), 2);
      assert.deepEqual(await h.peekIds("q"), [c, a]);
    });

    it("leaves queued and at-most-once jobs where they are, and the lease re-queues at the new place", async () => {
      const h = await open();
      const once = await h.add("q", "once", { retry: 0 });
      const a = await h.add("q", "a", { retry: 10 });
      const b = await h.add("q", "b", { retry: 100 });
      assert.equal(await h.broker.nack([a], { placement: "back" }), 0, "queued: not moved");
      assert.deepEqual(await h.ids("q", 2), [once, a]);
      assert.equal(await h.broker.nack([once], { placement: "back" }), 0, "at-most-once: no second delivery");
      assert.equal(await h.broker.nack([a], { placement: "back" }), 1);
      assert.deepEqual(await h.ids("q", 2), [b, a]);
      await h.advance(10_000); // a's lease runs out: it comes back at its new place, behind b
      assert.equal(await h.broker.nack([b], { placement: "own" }), 1);
      assert.deepEqual(await h.peekIds("q"), [b, a]);
    });
  });

  describe("release", () => {
    it("puts taken jobs back at their own place with no counter changed, at-most-once ones too", async () => {
      const h = await open();
      const once = await h.add("q", "once", { retry: 0 });
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      assert.deepEqual(await h.ids("q", 2), [once, a]);
      assert.equal(await h.broker.release([a, once]), 2);
      assert.deepEqual(await h.peekIds("q"), [once, a, b]);
      const shown = await h.show(a);
      assert.deepEqual([shown.state, shown.nacks, shown.additionalDeliveries], ["queued", 0, 0]);
      assert.equal(await h.broker.release([a]), 0, "already queued");
    });
  });
});
