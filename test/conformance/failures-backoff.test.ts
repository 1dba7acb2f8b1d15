import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_FAILURES, parseBackoff } from "../../src/core/failures.js";
import { T0 } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * Backoff (docs/failures.md): NACK … DELAY and NACK … BACKOFF put a job in
 * state `backoff` until its wait is over, then queue it at its own place.
 */

forEachStore((open) => {
  describe("NACK DELAY", () => {
    it("waits in state backoff, is not deliverable until then, then is queued at its own place", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      await h.take("q");
      assert.equal(await h.broker.nack([a], { delayMs: 5000 }), 1);
      let shown = await h.show(a);
      assert.deepEqual([shown.state, shown.backoffUntil, shown.nacks], ["backoff", T0 + 5000, 1]);
      assert.equal(shown.delayedUntil, null);
      assert.deepEqual(await h.peekIds("q"), [b]);
      const qstat = (await h.broker.qstat("q"))!;
      assert.deepEqual([qstat.len, qstat.backingOff], [1, 1]);
      assert.equal((await h.broker.stats()).jobsByState.backoff, 1);
      const scan = await h.broker.jscan(0, { count: 100, busyloop: true, states: ["backoff"] });
      assert.deepEqual(
        scan.items.map((j) => j.id),
        [a],
      );
      await h.advance(4999);
      assert.equal(await h.state(a), "backoff");
      await h.advance(1);
      shown = await h.show(a);
      assert.deepEqual([shown.state, shown.backoffUntil], ["queued", null]);
      assert.deepEqual(await h.peekIds("q"), [a, b], "back at its own place, ahead of b");
      assert.equal((await h.broker.qstat("q"))!.backingOff, 0);
    });

    it("DELAY 0 queues the job at once", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      await h.take("q");
      await h.broker.nack([a], { delayMs: 0 });
      assert.equal(await h.state(a), "queued");
    });

    it("wakes a blocked fetcher when the backoff ends", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      await h.take("q");
      await h.broker.nack([a], { delayMs: 1000 });
      const fetch = await h.block({ queues: ["q"] });
      assert.equal(fetch.done, false);
      await h.advance(1000);
      assert.deepEqual(
        (await h.answer(fetch))!.map((d) => d.id),
        [a],
      );
    });

    it("a job in backoff: a late NACK spends nothing, an ACK removes it", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 2 });
      await h.take("q");
      await h.broker.nack([a], { delayMs: 1000, error: "later" });
      const shown = await h.show(a);
      assert.deepEqual([shown.state, shown.retryBudgetLeft], ["backoff", 1]);
      assert.equal(await h.broker.nack([a], { error: "late" }), 0, "a job in backoff is not nacked again");
      assert.equal((await h.show(a)).retryBudgetLeft, 1);
      assert.equal(await h.broker.ackJobs([a]), 1);
      assert.equal(await h.broker.show(a), null);
      await h.advance(1000);
      assert.equal(await h.broker.qlen("q"), 0);
    });
  });

  describe("NACK BACKOFF", () => {
    it("exponential without jitter: the job is tried retries+1 times with growing delays, then dead-lettered", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retryBudget: 3, backoff: parseBackoff("exponential:1000:3000") });
      const waits: number[] = [];
      let tries = 0;
      for (;;) {
        const got = await h.take("q");
        if (got === null) {
          const shown = await h.broker.show(id);
          if (shown === null) break;
          assert.equal(shown.state, "backoff");
          const wait = shown.backoffUntil! - h.clock.now();
          waits.push(wait);
          await h.advance(wait);
          continue;
        }
        tries++;
        await h.broker.nack([id], { backoff: true, error: `failure ${tries}` });
      }
      assert.equal(tries, 4);
      assert.deepEqual(waits, [1000, 2000, 3000]);
      const letter = (await h.broker.deadLetter(id))!;
      assert.equal(letter.attempts.length, 4);
      assert.equal(letter.attempts.at(-1)!.error, "failure 4");
    });

    it("fixed: the same wait every time; the job's own policy shows in SHOW", async () => {
      const h = await open();
      const a = await h.add("q", "a", { backoff: parseBackoff("fixed:250") });
      for (let i = 0; i < 3; i++) {
        await h.take("q");
        await h.broker.nack([a], { backoff: true });
        const shown = await h.show(a);
        assert.equal(shown.backoffUntil! - h.clock.now(), 250);
        assert.deepEqual(shown.backoff, parseBackoff("fixed:250"));
        await h.advance(250);
      }
    });

    it("the queue's policy (taken at add), else the server default at failure time", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("p", { backoff: parseBackoff("fixed:700") });
      const fromQueue = await h.add("p", "a");
      await h.broker.setQueuePolicy("p", { backoff: parseBackoff("fixed:9000") });
      await h.take("p");
      await h.broker.nack([fromQueue], { backoff: true });
      assert.equal((await h.show(fromQueue)).backoffUntil, T0 + 700);

      const fromServer = await h.add("q", "b");
      assert.equal((await h.show(fromServer)).backoff, undefined);
      h.broker.configureFailures({ ...DEFAULT_FAILURES, backoff: parseBackoff("exponential:100:150") });
      await h.take("q");
      await h.broker.nack([fromServer], { backoff: true });
      assert.equal((await h.show(fromServer)).backoffUntil, T0 + 100);
      await h.advance(100);
      await h.take("q");
      await h.broker.nack([fromServer], { backoff: true });
      assert.equal((await h.show(fromServer)).backoffUntil, T0 + 100 + 150, "capped at max-ms");
    });

    it("the n-th failure counts leases as well as NACKs", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 10, backoff: parseBackoff("exponential:1000:100000") });
      await h.take("q");
      await h.advance(10_000); // failure 1: the lease
      await h.take("q");
      await h.broker.nack([a], { backoff: true }); // failure 2
      assert.equal((await h.show(a)).backoffUntil, T0 + 10_000 + 2000);
    });

    it("with jitter the wait stays within [0, delay)", async () => {
      const h = await open();
      const a = await h.add("q", "a", { backoff: parseBackoff("exponential:1000:1000:jitter") });
      for (let i = 0; i < 20; i++) {
        await h.take("q");
        await h.broker.nack([a], { backoff: true });
        const shown = await h.show(a);
        const wait = shown.state === "backoff" ? shown.backoffUntil! - h.clock.now() : 0;
        assert.ok(wait >= 0 && wait < 1000, `wait ${wait}`);
        if (wait > 0) await h.advance(wait);
      }
    });
  });
});
