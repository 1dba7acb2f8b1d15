import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { PauseOp } from "../../src/core/contract.js";
import { BY_DESIGN } from "./replayed.js";
import { checkOn, forEachStore } from "./suite.js";

/** PAUSE: in refuses adds, out stops fetches, ops read left to right. */

forEachStore((open, store) => {
  describe("pause", () => {
    checkOn(store, { replayed: BY_DESIGN.emptyQueues })(
      "ops are read left to right from the current state; state and bcast only report",
      async () => {
        const h = await open();
        const p = (...ops: PauseOp[]) => h.broker.pause("q", ops);
        assert.equal(await p("state"), "none");
        assert.equal(await p("none", "in"), "in");
        assert.equal(await p("in", "none"), "none");
        assert.equal(await p("in", "out"), "out"); // a new state replaces the old
        assert.equal(await p("state"), "out");
        assert.equal(await p("all", "bcast"), "all");
        assert.equal(await p("bcast"), "all");
        assert.equal((await h.broker.qstat("q"))!.pause, "all");
        assert.equal(await p("none"), "none");
        assert.equal((await h.broker.qstat("q"))!.pause, "none");
      },
    );

    it("paused in (or all): ADDJOB gets PAUSED, fetching still works for in", async () => {
      const h = await open();
      const id = await h.add("q");
      await h.broker.pause("q", ["in"]);
      await h.expectError(() => h.add("q"), "PAUSED", "Queue paused in input, try later");
      await h.add("other"); // other queues unaffected
      assert.deepEqual(await h.ids("q"), [id]);
      await h.broker.pause("q", ["all"]);
      await h.expectError(() => h.add("q"), "PAUSED");
      await h.broker.pause("q", ["out"]);
      await h.add("q");
      assert.equal(await h.broker.qlen("q"), 1);
    });

    it("paused out: a NOHANG fetch skips the queue, others are still served", async () => {
      const h = await open();
      const a = await h.add("a");
      const b = await h.add("b");
      await h.broker.pause("a", ["out"]);
      assert.equal(await h.take("a"), null);
      assert.deepEqual(await h.ids(["a", "b"], 5), [b]);
      assert.equal(await h.take(["a", "b"]), null);
      await h.broker.pause("a", ["none"]);
      assert.deepEqual(await h.ids("a"), [a]);
    });

    it("paused out: a blocked fetch stays blocked while jobs arrive, and unpausing wakes it", async () => {
      const h = await open();
      await h.broker.pause("q", ["out"]);
      const w = await h.block({ queues: ["q"], count: 5 });
      const a = await h.add("q", "a");
      await h.add("q", "b");
      await h.settle();
      assert.equal(w.done, false);
      await h.broker.pause("q", ["state"]);
      await h.settle();
      assert.equal(w.done, false);
      await h.broker.pause("q", ["none"]);
      assert.deepEqual(
        (await h.answer(w))!.map((d) => d.id),
        [a],
      );
      assert.equal(await h.broker.qlen("q"), 1);
    });

    it("paused out: put-backs, leases and delays queue jobs but serve no blocked fetcher", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 5 });
      const b = await h.add("q", "b", { retry: 5 });
      await h.take("q", 2);
      const c = await h.add("q", "c", { delay: 5 });
      await h.broker.pause("q", ["out"]);
      const w = await h.block({ queues: ["q"] });
      assert.equal(await h.broker.nack([a]), 1);
      await h.advance(5_000); // b's lease ends, c's delay ends
      assert.equal(w.done, false);
      assert.deepEqual(await h.peekIds("q"), [a, b, c]);
      await h.broker.pause("q", ["none"]);
      assert.deepEqual(
        (await h.answer(w))!.map((d) => d.id),
        [a],
      );
    });

    it("PAUSE makes the queue known: QSTAT reports it with its state", async () => {
      const h = await open();
      assert.equal(await h.broker.qstat("fresh"), null);
      assert.equal(await h.broker.pause("fresh", ["out"]), "out");
      const s = (await h.broker.qstat("fresh"))!;
      assert.deepEqual([s.name, s.len, s.pause, s.jobsIn, s.jobsOut], ["fresh", 0, "out", 0, 0]);
    });

    it("going from all to in also wakes blocked fetchers (output no longer paused)", async () => {
      const h = await open();
      const id = await h.add("q");
      await h.broker.pause("q", ["all"]);
      const w = await h.block({ queues: ["q"] });
      assert.equal(w.done, false);
      await h.broker.pause("q", ["in"]);
      assert.deepEqual(
        (await h.answer(w))!.map((d) => d.id),
        [id],
      );
    });
  });
});
