import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { DEFAULT_PRIORITY, MAX_PRIORITY } from "../../src/core/scheduling.js";
import { bodies } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * Priorities (core/scheduling.ts): lower first, FIFO within a priority; a
 * put-back keeps its priority and its place; front placement and okq REDO go
 * first within their priority only.
 */

forEachStore((open) => {
  describe("priorities", () => {
    it("serves the lowest priority number first, creation order within one, the default in the middle", async () => {
      const h = await open();
      await h.add("q", "late", { priority: 2000 });
      await h.add("q", "plain");
      await h.add("q", "urgent", { priority: 0 });
      await h.add("q", "plain2", { priority: DEFAULT_PRIORITY });
      await h.add("q", "urgent2", { priority: 0 });
      await h.add("q", "last", { priority: MAX_PRIORITY });
      const order = ["urgent", "urgent2", "plain", "plain2", "late", "last"];
      assert.deepEqual(
        (await h.broker.qpeek("q", 10)).map((j) => j.body.toString()),
        order,
      );
      assert.deepEqual(bodies(await h.take("q", 10)), order);
    });

    it("a NACK, an ENQUEUE and a lease that runs out put the job back at its place within its priority", async () => {
      const h = await open();
      const a = await h.add("q", "a", { priority: 5, retry: 10 });
      const b = await h.add("q", "b", { priority: 5, retry: 100 });
      const c = await h.add("q", "c", { priority: 5 });
      const low = await h.add("q", "low", { priority: 9 });
      const urgent = await h.add("q", "urgent", { priority: 1 });
      assert.deepEqual(await h.ids("q", 3), [urgent, a, b]);
      assert.equal(await h.broker.nack([b]), 1);
      assert.deepEqual(await h.peekIds("q"), [b, c, low]);
      const urgent3 = await h.add("q", "urgent3", { priority: 1 });
      assert.equal(await h.broker.enqueue([urgent]), 1);
      assert.deepEqual(await h.peekIds("q"), [urgent, urgent3, b, c, low]);
      await h.advance(10_000); // a's lease runs out
      assert.deepEqual((await h.peekIds("q")).slice(2), [a, b, c, low]);
    });

    it('placement "front" goes first within its own priority, not ahead of a more urgent job', async () => {
      const h = await open();
      const urgent = await h.add("q", "urgent", { priority: 1 });
      const a = await h.add("q", "a", { priority: 5 });
      const front = await h.add("q", "front", { priority: 5, placement: "front" });
      assert.deepEqual(await h.peekIds("q"), [urgent, front, a]);
    });

    it("okq REDO (requeueFirst) puts the job first within its priority", async () => {
      const h = await open();
      const urgent = await h.add("q", "urgent", { priority: 1 });
      const a = await h.add("q", "a", { priority: 5 });
      const b = await h.add("q", "b", { priority: 5 });
      assert.equal(await h.broker.requeueFirst("q", b, "id"), 1);
      assert.deepEqual(await h.peekIds("q"), [urgent, b, a]);
    });

    it("SHOW and a delivery carry a non-default priority; a default one stays absent", async () => {
      const h = await open();
      const p = await h.add("q", "p", { priority: 7 });
      const plain = await h.add("q", "plain");
      assert.equal((await h.show(p)).priority, 7);
      assert.equal((await h.show(plain)).priority, undefined);
      const got = (await h.take("q", 2))!;
      assert.equal(got[0]!.priority, 7);
      assert.equal(got[1]!.priority, undefined);
    });

    it("a redriven dead letter comes back with its priority and group, not its key", async () => {
      const h = await open();
      const id = await h.add("q", "a", { priority: 3, group: "g", key: "k", retryBudget: 0 });
      await h.add("q", "b");
      assert.deepEqual(await h.ids("q"), [id]);
      assert.equal(await h.broker.nack([id]), 1);
      assert.equal(await h.broker.redrive("q", { count: 1 }), 1);
      const [first] = await h.broker.qpeek("q", 1);
      assert.deepEqual(
        [first!.body.toString(), first!.priority, first!.group, first!.key],
        ["a", 3, "g", undefined],
      );
      // the key still names the job that died
      assert.equal((await h.addJob("q", "x", { key: "k" })).id, id);
    });

    it("refuses a priority out of range", async () => {
      const h = await open();
      await h.expectError(() => h.addJob("q", "x", { priority: MAX_PRIORITY + 1 }), "ERR");
      await h.expectError(() => h.addJob("q", "x", { priority: -1 }), "ERR");
      assert.equal(await h.broker.qlen("q"), 0);
    });
  });
});
