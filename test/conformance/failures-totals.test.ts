import assert from "node:assert/strict";
import { describe } from "node:test";
import { DEFAULT_FAILURES, parseBackoff } from "../../src/core/failures.js";
import { BY_DESIGN } from "./replayed.js";
import { checkOn, forEachStore } from "./suite.js";

/**
 * The failure totals in stats() (docs/failures.md): counts since start, so
 * not declared on the replayed store (BY_DESIGN.totals, by-design.test.ts).
 */

forEachStore((open, store) => {
  const sinceStart = checkOn(store, { replayed: BY_DESIGN.totals });

  describe("stats: failure totals", () => {
    sinceStart("retried, deadLettered and timedOut count each failure by its outcome", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 2, retry: 10 });
      const plain = await h.add("q", "plain");
      await h.take("q", 2);
      await h.broker.nack([plain]); // a plain NACK re-queues: retried
      await h.broker.nack([a], { timedOut: true, error: "too slow" });
      await h.take("q", 2);
      await h.advance(10_000); // a's lease runs out: retried
      await h.take("q");
      await h.broker.nack([a], { error: "last" }); // none left: dead-lettered
      const stats = await h.broker.stats();
      assert.deepEqual(
        [stats.retried, stats.deadLettered, stats.timedOut, stats.deadLettersEvicted],
        [3, 1, 1, 0],
      );
    });

    sinceStart("a backoff is counted as retried too", async () => {
      const h = await open();
      const a = await h.add("q", "a", { backoff: parseBackoff("fixed:100") });
      await h.take("q");
      await h.broker.nack([a], { backoff: true });
      assert.equal((await h.broker.stats()).retried, 1);
    });

    sinceStart("deadLettersEvicted counts letters dropped by their queue's cap", async () => {
      const h = await open();
      h.broker.configureFailures({ ...DEFAULT_FAILURES, deadLetterCap: 1 });
      for (const body of ["a", "b", "c"]) {
        const id = await h.add("q", body, { retryBudget: 0 });
        assert.equal(await h.broker.retryJob("q", id), "deadlettered");
      }
      const stats = await h.broker.stats();
      assert.deepEqual([stats.deadLettered, stats.deadLettersEvicted], [3, 2]);
      assert.equal((await h.broker.deadLetters("q", 10)).length, 1);
    });
  });
});
