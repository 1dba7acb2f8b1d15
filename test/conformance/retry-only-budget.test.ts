import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { forEachStore } from "./suite.js";

/**
 * takeanumber's budget (AddJobRequest.retryOnlyBudget) counts RETRY commands
 * only, as the original's does (DIALECTS.md section 1): a lease that runs out
 * queues the job again and spends nothing, where any other job's lease
 * spends a retry (docs/failures.md). Kept across a restart and a redrive.
 */
forEachStore((open) => {
  describe("a retry-only budget", () => {
    it("a lease that runs out spends nothing; RETRY spends it; none left dead-letters", async () => {
      const h = await open();
      const id = await h.add("q", "a", { retryBudget: 1, retryOnlyBudget: true, retry: 10 });
      for (let lease = 0; lease < 3; lease++) {
        assert.deepEqual(await h.ids("q"), [id]);
        await h.advance(10_000);
      }
      const shown = await h.show(id);
      assert.equal(shown.state, "queued");
      assert.equal(shown.additionalDeliveries, 3);
      assert.equal(shown.retryBudgetLeft, 1);
      await h.take("q");
      assert.equal(await h.broker.retryJob("q", id), "requeued");
      await h.take("q");
      assert.equal(await h.broker.retryJob("q", id), "deadlettered");
      assert.deepEqual(
        (await h.broker.deadLetters("q", 10)).map((letter) => letter.id),
        [id],
      );
    });

    it("a redriven job keeps it", async () => {
      const h = await open();
      const id = await h.add("q", "a", { retryBudget: 0, retryOnlyBudget: true, retry: 10 });
      await h.take("q");
      assert.equal(await h.broker.retryJob("q", id), "deadlettered");
      assert.equal(await h.broker.redrive("q", { count: 1 }), 1);
      const [again] = await h.ids("q");
      assert.ok(again);
      await h.advance(10_000);
      assert.deepEqual(await h.ids("q"), [again]);
    });

    it("without it, the same lease dead-letters a job with no retry left", async () => {
      const h = await open();
      const id = await h.add("q", "a", { retryBudget: 0, retry: 10 });
      await h.take("q");
      await h.advance(10_000);
      assert.deepEqual(await h.ids("q"), []);
      assert.equal((await h.broker.deadLetter(id))?.reason, "retries exhausted");
    });
  });
});
