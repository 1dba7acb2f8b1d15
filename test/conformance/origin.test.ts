import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { JOB_ORIGINS } from "../../src/core/contract.js";
import { forEachStore } from "./suite.js";

/**
 * Which door added a job (AddJobRequest.origin, JobInfo.origin): kept by every
 * store (the replayed one reads it back from the journal), absent when the add
 * did not say, and kept by a redrive, as the job page shows it (issue 17).
 */
forEachStore((open) => {
  describe("a job's origin", () => {
    it("is kept for each door, and absent when not given", async () => {
      const h = await open();
      for (const origin of JOB_ORIGINS) {
        const id = await h.add("q", origin, { origin });
        assert.equal((await h.show(id)).origin, origin);
      }
      const plain = await h.show(await h.add("q", "plain"));
      assert.equal(plain.origin, undefined);
      assert.ok(!("origin" in plain));
    });

    it("survives a delivery and a NACK", async () => {
      const h = await open();
      const id = await h.add("q", "a", { origin: "taskq", retry: 10 });
      await h.take("q");
      assert.equal(await h.broker.nack([id]), 1);
      const shown = await h.show(id);
      assert.equal(shown.nacks, 1);
      assert.equal(shown.origin, "taskq");
    });

    it("a redriven job keeps it", async () => {
      const h = await open();
      const id = await h.add("q", "a", { origin: "http", retryBudget: 0, retry: 10 });
      await h.take("q");
      assert.equal(await h.broker.nack([id]), 1);
      assert.equal((await h.broker.deadLetter(id))?.reason, "retries exhausted");
      assert.equal(await h.broker.redrive("q", { count: 1 }), 1);
      const [again] = await h.peekIds("q");
      assert.ok(again);
      assert.notEqual(again, id);
      assert.equal((await h.show(again)).origin, "http");
    });
  });
});
