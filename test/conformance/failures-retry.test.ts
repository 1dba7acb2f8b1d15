import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_FAILURES, RETRIES_EXHAUSTED, parseBackoff } from "../../src/core/failures.js";
import { MAX_ATTEMPTS_KEPT, MAX_ERROR_BYTES } from "../../src/core/limits.js";
import { T0 } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * Retry budgets (docs/failures.md): where a job's budget comes from, what
 * spends it (NACK, a lease that ran out, takeanumber RETRY), the attempts
 * kept, dead-lettering when none is left. Plain Disque jobs stay unchanged.
 */

forEachStore((open) => {
  describe("retry budget: where it comes from", () => {
    it("the add's budget, else the queue's policy, else the server default (resolved at add)", async () => {
      const h = await open();
      h.broker.configureFailures({ ...DEFAULT_FAILURES, retryBudget: 7 });
      await h.broker.setQueuePolicy("p", { retryBudget: 3 });
      const own = await h.add("p", "own", { retryBudget: 1 });
      const fromQueue = await h.add("p", "queue");
      const fromServer = await h.add("q", "server");
      assert.equal((await h.show(own)).retryBudget, 1);
      assert.equal((await h.show(fromQueue)).retryBudget, 3);
      assert.equal((await h.show(fromQueue)).retryBudgetLeft, 3);
      assert.equal((await h.show(fromServer)).retryBudget, 7);
      // changing the policy or the default affects only jobs added afterwards
      await h.broker.setQueuePolicy("p", {});
      h.broker.configureFailures(DEFAULT_FAILURES);
      assert.equal((await h.show(fromQueue)).retryBudget, 3);
      assert.equal((await h.show(fromServer)).retryBudget, 7);
      const plain = await h.show(await h.add("p", "plain"));
      assert.equal(plain.retryBudget, undefined);
      assert.equal(plain.retryBudgetLeft, undefined);
    });

    it("queue policies: read back, replaced, removed with {}", async () => {
      const h = await open();
      assert.deepEqual(await h.broker.queuePolicy("p"), {});
      const policy = {
        retryBudget: 2,
        backoff: parseBackoff("fixed:500"),
        runTimeoutMs: 30_000,
        deadLetterCap: 5,
      };
      assert.deepEqual(await h.broker.setQueuePolicy("p", policy), policy);
      assert.deepEqual(await h.broker.queuePolicy("p"), policy);
      const job = await h.show(await h.add("p"));
      assert.deepEqual(
        [job.retryBudget, job.backoff, job.runTimeoutMs],
        [2, parseBackoff("fixed:500"), 30_000],
      );
      assert.deepEqual(await h.broker.setQueuePolicy("p", { retryBudget: 4 }), { retryBudget: 4 });
      assert.deepEqual(await h.broker.setQueuePolicy("p", {}), {});
      assert.deepEqual(await h.broker.queuePolicy("p"), {});
      await h.expectError(() => h.broker.setQueuePolicy("p", { retryBudget: -2 }), "ERR");
      await h.expectError(() => h.broker.setQueuePolicy("p", { runTimeoutMs: 0 }), "ERR");
    });

    it("a delivery carries the budget left and the run time-out only when the job has them", async () => {
      const h = await open();
      await h.add("q", "plain");
      await h.add("q", "failing", { retryBudget: 2, runTimeoutMs: 5000 });
      const [plain, failing] = (await h.take("q", 2))!;
      assert.equal("retryBudgetLeft" in plain!, false);
      assert.equal("runTimeoutMs" in plain!, false);
      assert.equal(failing!.retryBudgetLeft, 2);
      assert.equal(failing!.runTimeoutMs, 5000);
    });
  });

  describe("what spends a retry", () => {
    it("a plain Disque NACK of a job with no budget queues it again at once, at its own place, as before", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      assert.deepEqual(await h.ids("q"), [a]);
      assert.equal(await h.broker.nack([a]), 1);
      assert.deepEqual(await h.peekIds("q"), [a, b]);
      const shown = await h.show(a);
      assert.deepEqual(
        [shown.state, shown.nacks, shown.retryBudgetLeft, shown.attempts, shown.backoffUntil],
        ["queued", 1, undefined, undefined, null],
      );
      assert.equal((await h.broker.deadLetters("q", 10)).length, 0);
    });

    it("NACK spends one and records the attempt; none left: dead letter with the last error", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 1 });
      await h.take("q");
      await h.add("q", "live"); // keeps the queue known for QSTAT
      await h.advance(100);
      assert.equal(await h.broker.nack([a], { error: "boom 1" }), 1);
      let shown = await h.show(a);
      assert.deepEqual([shown.state, shown.retryBudget, shown.retryBudgetLeft], ["queued", 1, 0]);
      assert.deepEqual(shown.attempts, [{ at: T0 + 100, cause: "nack", error: "boom 1" }]);
      assert.equal((await h.take("q"))![0]!.retryBudgetLeft, 0);
      shown = await h.show(a);
      assert.equal(shown.state, "active");
      await h.advance(100);
      assert.equal(await h.broker.nack([a], { error: "boom 2" }), 1, "a dead-lettered job counts");
      assert.equal(await h.broker.show(a), null);
      assert.equal(await h.broker.qlen("q"), 1);
      const letter = await h.broker.deadLetter(a);
      assert.ok(letter);
      assert.deepEqual(
        [letter.id, letter.queue, letter.body.toString(), letter.reason, letter.at, letter.retryBudget],
        [a, "q", "a", RETRIES_EXHAUSTED, T0 + 200, 1],
      );
      assert.deepEqual(letter.attempts, [
        { at: T0 + 100, cause: "nack", error: "boom 1" },
        { at: T0 + 200, cause: "nack", error: "boom 2" },
      ]);
      assert.deepEqual(
        (await h.broker.deadLetters("q", 10)).map((l) => [l.id, l.attempts.length]),
        [[a, 2]],
      );
      assert.equal((await h.broker.qstat("q"))!.deadLetters, 1);
    });

    it("a job is tried exactly retries+1 times, then dead-lettered (the queue's budget, a raw NACK)", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { retryBudget: 3 });
      const id = await h.add("q", "x");
      let tries = 0;
      for (;;) {
        const got = await h.take("q");
        if (got === null) break;
        tries++;
        assert.equal(got[0]!.retryBudgetLeft, 3 - (tries - 1));
        await h.broker.nack([id], { error: `try ${tries}` });
      }
      assert.equal(tries, 4);
      const letter = (await h.broker.deadLetter(id))!;
      assert.equal(letter.attempts.length, 4);
      assert.equal(letter.attempts.at(-1)!.error, "try 4");
    });

    it("a lease that ran out spends one (cause lease) and queues the job at once; none left: dead letter", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 10, retryBudget: 1 });
      await h.take("q");
      await h.advance(10_000);
      const shown = await h.show(a);
      assert.deepEqual(
        [shown.state, shown.retryBudgetLeft, shown.additionalDeliveries, shown.nacks],
        ["queued", 0, 1, 0],
      );
      assert.deepEqual(shown.attempts, [{ at: T0 + 10_000, cause: "lease", error: "" }]);
      await h.take("q");
      await h.advance(10_000);
      assert.equal(await h.broker.show(a), null);
      const letter = (await h.broker.deadLetter(a))!;
      assert.deepEqual(
        letter.attempts.map((x) => [x.at, x.cause]),
        [
          [T0 + 10_000, "lease"],
          [T0 + 20_000, "lease"],
        ],
      );
    });

    it("a lease that ran out on a plain job re-queues it as before, with no attempt kept", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 10 });
      await h.take("q");
      await h.advance(10_000);
      const shown = await h.show(a);
      assert.deepEqual([shown.state, shown.additionalDeliveries, shown.attempts], ["queued", 1, undefined]);
    });

    it("takeanumber RETRY spends one and records an attempt", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 1 });
      assert.equal(await h.broker.retryJob("q", a), "requeued");
      assert.deepEqual(
        (await h.show(a)).attempts?.map((x) => x.cause),
        ["nack"],
      );
      assert.equal(await h.broker.retryJob("q", a), "deadlettered");
      assert.equal((await h.broker.deadLetter(a))!.attempts.length, 2);
    });

    it("no budget (-1, the default) never dead-letters, however often the job fails", async () => {
      const h = await open();
      await h.expectError(() => h.add("q", "a", { retryBudget: -1 }), "ERR");
      const a = await h.add("q", "a"); // the server default: -1
      for (let i = 0; i < 5; i++) {
        await h.take("q");
        assert.equal(await h.broker.nack([a], { error: "again" }), 1);
      }
      const shown = await h.show(a);
      assert.deepEqual([shown.state, shown.nacks, shown.retryBudgetLeft], ["queued", 5, undefined]);
      assert.equal((await h.broker.deadLetters("q", 10)).length, 0);
    });
  });

  describe("NACK options", () => {
    it("RETRIES gives a job without a budget one, less its earlier failures; a job with one keeps its own", async () => {
      const h = await open();
      const plain = await h.add("q", "plain", { retry: 10 });
      await h.take("q");
      await h.advance(10_000); // one earlier failure (a lease)
      await h.take("q");
      assert.equal(await h.broker.nack([plain], { retries: 3 }), 1);
      let shown = await h.show(plain);
      assert.deepEqual([shown.retryBudget, shown.retryBudgetLeft], [3, 1]);
      await h.take("q");
      await h.broker.nack([plain], { retries: 3 });
      assert.equal((await h.show(plain)).retryBudgetLeft, 0);
      await h.take("q");
      await h.broker.nack([plain], { retries: 3 });
      assert.equal(await h.broker.show(plain), null, "the fourth failure dead-letters it");
      assert.equal((await h.broker.deadLetter(plain))!.retryBudget, 3, "the budget RETRIES gave it");

      const own = await h.add("q", "own", { retryBudget: 5 });
      await h.take("q");
      await h.broker.nack([own], { retries: 1 });
      shown = await h.show(own);
      assert.deepEqual([shown.retryBudget, shown.retryBudgetLeft], [5, 4]);
      // already failed more often than RETRIES allows: dead-lettered at once
      const many = await h.add("q", "many");
      for (let i = 0; i < 3; i++) {
        await h.take("q");
        await h.broker.nack([many]);
      }
      await h.take("q");
      await h.broker.nack([many], { retries: 2 });
      assert.equal(await h.broker.show(many), null);
      assert.equal((await h.broker.deadLetter(many))!.retryBudget, 2);
    });

    it("TIMEDOUT records the cause timeout; ERROR is cut to MAX_ERROR_BYTES", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 5 });
      await h.take("q");
      await h.broker.nack([a], { timedOut: true, error: "timed out after 10 ms" });
      await h.take("q");
      await h.broker.nack([a], { error: "é".repeat(MAX_ERROR_BYTES) });
      const attempts = (await h.show(a)).attempts!;
      assert.deepEqual(attempts[0], { at: T0, cause: "timeout", error: "timed out after 10 ms" });
      assert.equal(attempts[1]!.cause, "nack");
      assert.equal(attempts[1]!.error, "é".repeat(MAX_ERROR_BYTES / 2));
    });

    it(`only the last ${MAX_ATTEMPTS_KEPT} attempts are kept`, async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 100 });
      for (let i = 1; i <= MAX_ATTEMPTS_KEPT + 3; i++) {
        await h.take("q");
        await h.broker.nack([a], { error: `e${i}` });
      }
      const attempts = (await h.show(a)).attempts!;
      assert.equal(attempts.length, MAX_ATTEMPTS_KEPT);
      assert.equal(attempts[0]!.error, "e4");
      assert.equal(attempts.at(-1)!.error, `e${MAX_ATTEMPTS_KEPT + 3}`);
      assert.equal((await h.show(a)).retryBudgetLeft, 100 - MAX_ATTEMPTS_KEPT - 3);
    });

    it("refuses out-of-range options", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      await h.expectError(() => h.broker.nack([a], { delayMs: -1 }), "ERR");
      await h.expectError(() => h.broker.nack([a], { retries: -1 }), "ERR");
    });
  });
});
