import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bodies } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/** okq QACK … REDO (`requeueFirst`): the same placement on both stores. */

forEachStore((open) => {
  describe("requeueFirst (okq QACK … REDO)", () => {
    it("queues an in-flight event ahead of every queued one, with one more NACK", async () => {
      const h = await open();
      for (const ev of ["a", "b", "c"]) await h.add("q", ev, { clientKey: ev, retry: 10 });
      assert.deepEqual(bodies(await h.take("q", 2)), ["a", "b"]);
      assert.equal(await h.broker.requeueFirst("q", "b", "event"), 1);
      assert.equal(await h.broker.requeueFirst("q", "a", "event"), 1);
      assert.deepEqual((await h.broker.queueCounts(["q"]))[0], {
        name: "q",
        total: 3,
        waiting: 3,
        processing: 0,
        consumers: 0,
      });
      const [first] = (await h.take("q"))!;
      assert.equal(first!.clientKey, "a", "the last one placed is served first");
      assert.equal(first!.nacks, 1);
      assert.deepEqual(bodies(await h.take("q", 2)), ["b", "c"]);
    });

    it("moves a waiting event to the front; QRPUSH-placed events keep the same order rule", async () => {
      const h = await open();
      for (const ev of ["a", "b"]) await h.add("q", ev, { clientKey: ev });
      assert.equal(await h.broker.requeueFirst("q", "b", "event"), 1);
      await h.add("q", "urgent", { clientKey: "u", placement: "front" });
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["urgent", "b", "a"]);
    });

    it("the lease of the delivery it replaces does not queue it a second time", async () => {
      const h = await open();
      await h.add("q", "a", { clientKey: "a", retry: 5 });
      await h.add("q", "b", { clientKey: "b", retry: 5 });
      assert.deepEqual(bodies(await h.take("q")), ["a"]);
      assert.equal(await h.broker.requeueFirst("q", "a", "event"), 1);
      await h.advance(5_000);
      assert.deepEqual(bodies(await h.take("q", 5)), ["a", "b"]);
      assert.equal(await h.broker.qlen("q"), 0);
    });

    it("0 for an unknown event, one of another queue, or one already gone", async () => {
      const h = await open();
      await h.add("q", "a", { clientKey: "a" });
      assert.equal(await h.broker.requeueFirst("q", "nope", "event"), 0);
      assert.equal(await h.broker.requeueFirst("other", "a", "event"), 0);
      assert.equal(await h.broker.ackInQueue("q", "a", "event"), 1);
      assert.equal(await h.broker.requeueFirst("q", "a", "event"), 0);
      assert.equal(await h.broker.qlen("q"), 0);
    });
  });
});
