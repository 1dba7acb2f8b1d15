import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bodies } from "../helpers/broker.js";
import { checkOn, forEachStore } from "./suite.js";
import { BY_DESIGN } from "./replayed.js";

/** Blocked fetchers: served in arrival order, woken by adds and timers, timed out, aborted. */

forEachStore((open, store) => {
  describe("blocked fetchers", () => {
    it("a blocked fetch with COUNT 5 gets exactly one job when two arrive", async () => {
      const h = await open();
      const w = await h.block({ queues: ["q"], count: 5 });
      assert.equal(w.done, false);
      assert.equal((await h.broker.stats()).blockedClients, 1);
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      assert.deepEqual(
        (await h.answer(w))!.map((d) => d.id),
        [a],
      );
      assert.equal(await h.state(a), "active");
      assert.deepEqual(await h.peekIds("q"), [b]);
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    it("are served in the order they blocked, across the queues they wait on", async () => {
      const h = await open();
      const w1 = await h.block({ queues: ["q"] });
      const w2 = await h.block({ queues: ["other", "q"] });
      const w3 = await h.block({ queues: ["q"] });
      assert.equal((await h.broker.qstat("q"))!.blocked, 3);
      assert.equal((await h.broker.qstat("other"))!.blocked, 1);
      await h.add("q", "1");
      assert.deepEqual(bodies(await h.answer(w1)), ["1"]);
      assert.deepEqual([w2.done, w3.done], [false, false]);
      await h.add("q", "2");
      assert.deepEqual(bodies(await h.answer(w2)), ["2"]);
      assert.equal(w3.done, false);
      // w2 is gone from "other" too
      assert.equal((await h.broker.qstat("other"))!.blocked, 0);
      await h.add("other", "3"); // nobody waits on "other" any more
      await h.settle();
      assert.equal(w3.done, false);
      assert.equal(await h.broker.qlen("other"), 1);
      await h.add("q", "4");
      assert.deepEqual(bodies(await h.answer(w3)), ["4"]);
    });

    it("a fetcher on several queues is served by whichever gets a job first", async () => {
      const h = await open();
      const w = await h.block({ queues: ["a", "b"], count: 3 });
      await h.add("b", "from-b");
      assert.deepEqual(
        (await h.answer(w))!.map((d) => [d.queue, d.body.toString()]),
        [["b", "from-b"]],
      );
      assert.equal((await h.broker.qstat("a"))!.blocked, 0);
    });

    it("a job already queued is delivered at once, without blocking", async () => {
      const h = await open();
      const id = await h.add("q", "ready");
      const got = await h.broker.getJobs({ queues: ["q"], count: 1, nohang: false, timeoutMs: 0 });
      assert.deepEqual(
        got!.map((d) => d.id),
        [id],
      );
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    it("times out with null when the clock passes the deadline, not before; nothing is taken", async () => {
      const h = await open();
      const w = await h.block({ queues: ["q"], timeoutMs: 1000 });
      await h.advance(999);
      assert.equal(w.done, false);
      await h.advance(1);
      assert.equal(await h.answer(w), null);
      assert.equal((await h.broker.stats()).blockedClients, 0);
      await h.add("q");
      await h.settle();
      assert.equal(await h.broker.qlen("q"), 1); // nothing was taken by the dead waiter
    });

    it("timeout 0 blocks forever", async () => {
      const h = await open();
      const w = await h.block({ queues: ["q"], timeoutMs: 0 });
      await h.advance(10 * 86_400_000);
      assert.equal(w.done, false);
      await h.add("q", "late");
      assert.deepEqual(bodies(await h.answer(w)), ["late"]);
    });

    it("an AbortSignal releases the wait and takes nothing", async () => {
      const h = await open();
      const ctl = new AbortController();
      const w = await h.block({ queues: ["q"], signal: ctl.signal });
      const other = await h.block({ queues: ["q"] });
      ctl.abort();
      assert.equal(await h.answer(w), null);
      assert.equal((await h.broker.stats()).blockedClients, 1);
      const id = await h.add("q");
      assert.deepEqual(
        (await h.answer(other))!.map((d) => d.id),
        [id],
      );
      const id2 = await h.add("q");
      await h.settle();
      assert.deepEqual(await h.peekIds("q"), [id2]);
      // an already aborted signal: nothing to wait for
      const gone = new AbortController();
      gone.abort();
      assert.equal(
        await h.broker.getJobs({ queues: ["z"], count: 1, nohang: false, timeoutMs: 0, signal: gone.signal }),
        null,
      );
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    it("a fetcher already served ignores a later abort", async () => {
      const h = await open();
      const ctl = new AbortController();
      const w = await h.block({ queues: ["q"], signal: ctl.signal });
      const id = await h.add("q");
      const got = await h.answer(w);
      ctl.abort();
      await h.settle();
      assert.deepEqual(
        got!.map((d) => d.id),
        [id],
      );
      assert.equal((await h.broker.stats()).blockedClients, 0);
      assert.equal(await h.state(id), "active");
    });

    it("adds racing several blocked fetchers: each fetcher gets one job, none is lost or given twice", async () => {
      const h = await open();
      const waiters = [];
      for (let i = 0; i < 5; i++) waiters.push(await h.block({ queues: ["q"], count: 3 }));
      const added = await Promise.all(Array.from({ length: 12 }, (_, i) => h.add("q", `j${i}`)));
      const delivered: string[] = [];
      for (const w of waiters) {
        const got = (await h.answer(w))!;
        assert.equal(got.length, 1);
        delivered.push(got[0]!.id);
      }
      assert.equal(new Set(delivered).size, 5);
      const queued = await h.peekIds("q");
      assert.deepEqual([...delivered, ...queued].sort(), [...added].sort());
      for (const id of delivered) assert.equal(await h.state(id), "active");
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    it("an abort racing an add: the job is either delivered to the fetcher or still queued", async () => {
      const h = await open();
      for (let round = 0; round < 5; round++) {
        const ctl = new AbortController();
        const w = await h.block({ queues: [`q${round}`], signal: ctl.signal });
        const adding = h.add(`q${round}`, "x");
        ctl.abort();
        const id = await adding;
        const got = await h.answer(w);
        await h.settle();
        if (got === null) {
          assert.deepEqual(await h.peekIds(`q${round}`), [id]);
        } else {
          assert.deepEqual(
            got.map((d) => d.id),
            [id],
          );
          assert.equal(await h.state(id), "active");
        }
      }
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    checkOn(store, { replayed: BY_DESIGN.emptyQueues })(
      "a time-out on several queues releases the fetcher from all of them",
      async () => {
        const h = await open();
        const w = await h.block({ queues: ["a", "b", "c"], timeoutMs: 500 });
        assert.deepEqual(
          [(await h.broker.qstat("a"))!.blocked, (await h.broker.qstat("c"))!.blocked],
          [1, 1],
        );
        await h.advance(500);
        assert.equal(await h.answer(w), null);
        for (const q of ["a", "b", "c"]) assert.equal((await h.broker.qstat(q))!.blocked, 0);
        await h.add("b");
        await h.settle();
        assert.equal(await h.broker.qlen("b"), 1);
      },
    );

    it("is woken by every put-back: NACK, ENQUEUE, retryJob, redrive", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 1 }); // the NACK spends it, RETRY dead-letters
      await h.take("q");
      const byNack = await h.block({ queues: ["q"] });
      assert.equal(await h.broker.nack([a]), 1);
      assert.deepEqual(
        (await h.answer(byNack))!.map((d) => [d.id, d.nacks]),
        [[a, 1]],
      );
      const byEnqueue = await h.block({ queues: ["q"] });
      assert.equal(await h.broker.enqueue([a]), 1);
      assert.deepEqual(
        (await h.answer(byEnqueue))!.map((d) => [d.id, d.additionalDeliveries]),
        [[a, 1]],
      );
      const b = await h.add("r", "b");
      await h.take("r");
      const byRetry = await h.block({ queues: ["r"] });
      assert.equal(await h.broker.retryJob("r", b), "requeued");
      assert.deepEqual(
        (await h.answer(byRetry))!.map((d) => d.id),
        [b],
      );
      assert.equal(await h.broker.retryJob("q", a), "deadlettered");
      const byRedrive = await h.block({ queues: ["q"] });
      assert.equal(await h.broker.redrive("q", { count: 1 }), 1);
      assert.deepEqual(bodies(await h.answer(byRedrive)), ["a"]);
    });

    it("a blocked fetcher gets a delayed job when its delay ends, and a re-queued job", async () => {
      const h = await open();
      const w = await h.block({ queues: ["q"] });
      const id = await h.add("q", "x", { delay: 3, retry: 5 });
      await h.settle();
      assert.equal(w.done, false);
      await h.advance(3_000);
      assert.deepEqual(
        (await h.answer(w))!.map((d) => d.id),
        [id],
      );
      const w2 = await h.block({ queues: ["q"] });
      await h.advance(5_000);
      assert.deepEqual(
        (await h.answer(w2))!.map((d) => [d.id, d.additionalDeliveries]),
        [[id, 1]],
      );
    });
  });
});
