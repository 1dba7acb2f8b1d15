import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_FAILURES, parseBackoff } from "../../src/core/failures.js";
import { T0 } from "../helpers/broker.js";
import type { Harness } from "./harness.js";
import { forEachStore } from "./suite.js";

/** Results (ACKJOB … RESULT) and the dead-letter list: inspect, redrive, purge, cap. */

/** fails the job with no budget left: dead-lettered at once */
async function deadLetter(h: Harness, queue: string, body: string): Promise<string> {
  const id = await h.add(queue, body, { retryBudget: 0 });
  assert.equal(await h.broker.retryJob(queue, id), "deadlettered");
  return id;
}

forEachStore((open) => {
  describe("results", () => {
    it("ackJobs with a result keeps it until the result TTL has passed", async () => {
      const h = await open();
      h.broker.configureFailures({ ...DEFAULT_FAILURES, resultTtlMs: 60_000 });
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      await h.take("q", 2);
      await h.advance(10);
      assert.equal(await h.broker.ackJobs([a], Buffer.from("answer: 42")), 1);
      assert.equal(await h.broker.ackJobs([b]), 1);
      const kept = await h.broker.result(a);
      assert.ok(kept);
      assert.deepEqual(
        [kept.id, kept.queue, kept.body.toString(), kept.completedAt, kept.expiresAt],
        [a, "q", "answer: 42", T0 + 10, T0 + 60_010],
      );
      assert.equal(await h.broker.result(b), null, "a plain ACKJOB keeps nothing");
      let stats = await h.broker.stats();
      assert.deepEqual([stats.results, stats.resultBytes], [1, 10]);
      await h.advance(59_999);
      assert.ok(await h.broker.result(a));
      await h.advance(1);
      assert.equal(await h.broker.result(a), null);
      stats = await h.broker.stats();
      assert.deepEqual([stats.results, stats.resultBytes], [0, 0]);
    });

    it("an unknown job keeps no result; an empty result is kept", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      assert.equal(await h.broker.ackJobs([a], Buffer.alloc(0)), 1);
      assert.equal((await h.broker.result(a))!.body.length, 0);
      assert.equal(await h.broker.ackJobs([a], Buffer.from("again")), 0);
      assert.equal((await h.broker.result(a))!.body.length, 0, "the second ack changed nothing");
    });

    it("waitJob on a job acked with a kept result answers acked; gone once it expired", async () => {
      const h = await open();
      h.broker.configureFailures({ ...DEFAULT_FAILURES, resultTtlMs: 1000 });
      const a = await h.add("q", "a");
      await h.broker.ackJobs([a], Buffer.from("r"));
      assert.equal(await h.broker.waitJob(a, 0), "acked");
      await h.advance(1000);
      assert.equal(await h.broker.waitJob(a, 0), "gone");
    });

    it("a job acked with a result while waited on: the waiter gets acked, the result is readable", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const wait = await h.pending(() => h.broker.waitJob(a, 0));
      assert.equal(wait.done, false);
      await h.take("q");
      await h.broker.ackJobs([a], Buffer.from("done"));
      assert.equal(await h.answer(wait), "acked");
      assert.equal((await h.broker.result(a))!.body.toString(), "done");
    });
  });

  describe("flushAll", () => {
    it("drops kept results, dead letters and queue policies with the jobs", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      await h.broker.ackJobs([a], Buffer.from("r"));
      const dead = await deadLetter(h, "q", "d");
      await h.broker.setQueuePolicy("q", { retryBudget: 2 });
      await h.broker.flushAll();
      assert.equal(await h.broker.result(a), null);
      assert.equal(await h.broker.deadLetter(dead), null);
      assert.deepEqual(await h.broker.queuePolicy("q"), {});
      const stats = await h.broker.stats();
      assert.deepEqual([stats.results, stats.resultBytes], [0, 0]);
    });
  });

  describe("dead letters", () => {
    it("redrive by count: new ids, a fresh budget, no attempts, the job's policy kept", async () => {
      const h = await open();
      const backoff = parseBackoff("fixed:100");
      const a = await h.add("q", "a", { retryBudget: 1, backoff, runTimeoutMs: 3000 });
      for (let i = 0; i < 2; i++) {
        await h.take("q");
        await h.broker.nack([a], { error: `e${i}` });
      }
      assert.ok(await h.broker.deadLetter(a));
      assert.equal(await h.broker.redrive("q", { count: 5 }), 1);
      assert.equal(await h.broker.deadLetter(a), null);
      const [fresh] = await h.broker.qpeek("q", 10);
      assert.ok(fresh);
      assert.notEqual(fresh.id, a);
      assert.deepEqual(
        [fresh.body.toString(), fresh.retryBudget, fresh.retryBudgetLeft, fresh.attempts, fresh.nacks],
        ["a", 1, 1, undefined, 0],
      );
      assert.deepEqual([fresh.backoff, fresh.runTimeoutMs], [backoff, 3000]);
      assert.equal((await h.broker.qstat("q"))!.deadLetters, 0);
    });

    it("redrive and purge by ids take only those (unknown ids are ignored)", async () => {
      const h = await open();
      const a = await deadLetter(h, "q", "a");
      const b = await deadLetter(h, "q", "b");
      const c = await deadLetter(h, "q", "c");
      const other = await deadLetter(h, "other", "o");
      assert.equal(
        await h.broker.redrive("q", { ids: [b, other, "D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1"] }),
        1,
      );
      assert.deepEqual(
        (await h.broker.qpeek("q", 10)).map((j) => j.body.toString()),
        ["b"],
      );
      assert.equal(await h.broker.purgeDeadLetters("q", { ids: [c, other] }), 1);
      assert.deepEqual(
        (await h.broker.deadLetters("q", 10)).map((l) => l.id),
        [a],
      );
      assert.equal(await h.broker.deadLetter(c), null);
      assert.ok(await h.broker.deadLetter(other));
    });

    it("purge by count drops the oldest", async () => {
      const h = await open();
      await deadLetter(h, "q", "a");
      await deadLetter(h, "q", "b");
      const c = await deadLetter(h, "q", "c");
      assert.equal(await h.broker.purgeDeadLetters("q", { count: 2 }), 2);
      assert.deepEqual(
        (await h.broker.deadLetters("q", 10)).map((l) => l.id),
        [c],
      );
      assert.equal(await h.broker.purgeDeadLetters("q", { count: 10 }), 1);
      assert.equal(await h.broker.purgeDeadLetters("q", { count: 10 }), 0);
    });

    it("the queue's cap evicts the oldest first, else the server default's", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("capped", { deadLetterCap: 2 });
      h.broker.configureFailures({ ...DEFAULT_FAILURES, deadLetterCap: 1 });
      await h.add("capped", "live"); // keeps the queue known for QSTAT
      const ids: string[] = [];
      for (const body of ["a", "b", "c", "d"]) ids.push(await deadLetter(h, "capped", body));
      assert.deepEqual(
        (await h.broker.deadLetters("capped", 10)).map((l) => l.id),
        ids.slice(2),
      );
      assert.equal(await h.broker.deadLetter(ids[0]!), null);
      await deadLetter(h, "plain", "x");
      const y = await deadLetter(h, "plain", "y");
      assert.deepEqual(
        (await h.broker.deadLetters("plain", 10)).map((l) => l.id),
        [y],
      );
      assert.equal((await h.broker.qstat("capped"))!.deadLetters, 2);
    });

    it("leases that run out in the same millisecond dead-letter their jobs in creation order", async () => {
      // the timer heap keeps no order among equal times, a Redis zset orders them by (random) id
      const h = await open();
      await h.broker.setQueuePolicy("q", { deadLetterCap: 20 });
      const ids: string[] = [];
      for (let i = 0; i < 24; i++) ids.push(await h.add("q", `j${i}`, { retry: 5, retryBudget: 0 }));
      assert.equal((await h.take("q", 24))?.length, 24);
      await h.advance(5_000);
      assert.deepEqual(
        (await h.broker.deadLetters("q", 100)).map((l) => l.id),
        ids.slice(4),
        "listed oldest first, the cap evicting the oldest four",
      );
      assert.equal(await h.broker.redrive("q", { count: 1 }), 1);
      assert.equal(await h.broker.deadLetter(ids[4]!), null, "the oldest is redriven first");
    });

    it("the same when one millisecond's timers straddle a batch of timers", async () => {
      // the Redis store runs a queue's due timers 1,000 at a time (timers.ts DUE_BATCH)
      const h = await open();
      await h.broker.setQueuePolicy("q", { deadLetterCap: 2_000 });
      const ids: string[] = [];
      const addAndTake = async (count: number) => {
        for (let i = 0; i < count; i++)
          ids.push(await h.add("q", `j${ids.length}`, { retry: 5, retryBudget: 0 }));
        assert.equal((await h.take("q", count))?.length, count);
      };
      await addAndTake(995);
      await h.advance(1);
      await addAndTake(12); // their leases run out 1 ms after the first 995's: the 1,000th timer is theirs
      await h.advance(5_000);
      const listed = (await h.broker.deadLetters("q", 2_000)).map((l) => l.id);
      assert.equal(listed.length, ids.length);
      assert.deepEqual(listed.slice(990), ids.slice(990));
    });
  });
});
