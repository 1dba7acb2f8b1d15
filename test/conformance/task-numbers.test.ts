import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { QUEUE_IDLE_GC_MS } from "../../src/stores/embedded/engine/index.js";
import { forEachStore } from "./suite.js";

/** TaskQ's task ids (DIALECTS.md section 3): numbered per queue by the store, never handed out twice. */

forEachStore((open) => {
  describe("task numbers (TaskQ)", () => {
    it("each queue numbers its tasks 1, 2, 3 …; the number is the job's event id", async () => {
      const h = await open();
      const numbered = { perQueueNumber: true };
      assert.equal((await h.addJob("a", "a1", numbered)).clientKey, "1");
      assert.equal((await h.addJob("a", "a2", numbered)).clientKey, "2");
      assert.equal((await h.addJob("b", "b1", numbered)).clientKey, "1");
      const plain = await h.addJob("a", "plain");
      assert.equal(plain.clientKey, undefined);
      assert.equal((await h.addJob("a", "a3", numbered)).clientKey, "3");
      const taken = (await h.take("a", 4))!;
      assert.deepEqual(
        taken.map((d) => [d.body.toString(), d.clientKey]),
        [
          ["a1", "1"],
          ["a2", "2"],
          ["plain", undefined],
          ["a3", "3"],
        ],
      );
      // one call acks a task by its number, in its own queue only
      assert.equal(await h.broker.ackInQueue("b", "2", "event"), 0);
      assert.equal(await h.broker.ackInQueue("a", "2", "event"), 1);
      assert.equal(await h.broker.ackInQueue("a", "2", "event"), 0);
    });

    it("a number is never handed out again: not after its ack, a QFLUSH or its queue being forgotten", async () => {
      const h = await open();
      const numbered = { perQueueNumber: true };
      await h.addJob("q", "1", numbered);
      await h.addJob("q", "2", numbered);
      assert.equal(await h.broker.ackInQueue("q", "2", "event"), 1);
      assert.equal((await h.addJob("q", "3", numbered)).clientKey, "3");
      assert.equal(await h.broker.flushQueue("q"), 2);
      assert.equal((await h.addJob("q", "4", numbered)).clientKey, "4");
      assert.equal(await h.broker.ackInQueue("q", "4", "event"), 1);
      await h.advance(QUEUE_IDLE_GC_MS + 2 * 60_000);
      assert.equal(await h.broker.qstat("q"), null);
      assert.equal((await h.addJob("q", "5", numbered)).clientKey, "5");
    });

    it("numbers skip past a numeric okq event id the queue has had; other event ids do not count", async () => {
      const h = await open();
      const numbered = { perQueueNumber: true };
      await h.addJob("q", "okq", { clientKey: "7" });
      await h.addJob("q", "okq", { clientKey: "07" });
      await h.addJob("q", "okq", { clientKey: "x12" });
      assert.equal((await h.addJob("q", "t", numbered)).clientKey, "8");
      assert.equal(await h.broker.ackInQueue("q", "7", "event"), 1);
      assert.equal((await h.addJob("q", "t", numbered)).clientKey, "9");
    });

    it("a refused add uses no number; DEBUG FLUSHALL starts every queue at 1 again", async () => {
      const h = await open();
      const numbered = { perQueueNumber: true };
      await h.addJob("q", "1", numbered);
      await h.expectError(() => h.addJob("q", "full", { ...numbered, maxlen: 1 }), "MAXLEN");
      assert.equal((await h.addJob("q", "2", numbered)).clientKey, "2");
      await h.broker.flushAll();
      assert.equal((await h.addJob("q", "again", numbered)).clientKey, "1");
    });
  });
});
