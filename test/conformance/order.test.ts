import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { bodies } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/** Which job a fetch gets: creation order, put-backs to their place, front placement, several queues. */

forEachStore((open) => {
  describe("ready order", () => {
    it("is creation order; a NACK'd job returns to its place and is served next", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      const c = await h.add("q", "c");
      assert.deepEqual(await h.ids("q"), [a]);
      assert.deepEqual(await h.ids("q"), [b]);
      assert.equal(await h.broker.nack([a]), 1);
      assert.deepEqual(await h.peekIds("q"), [a, c]);
      assert.deepEqual(await h.ids("q"), [a]);
      assert.equal(await h.broker.nack([b, a]), 2);
      assert.deepEqual(await h.peekIds("q"), [a, b, c]);
    });

    it("ENQUEUE and the lease's re-queue also put a job back at its original place", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 10 });
      const b = await h.add("q", "b", { retry: 10 });
      const c = await h.add("q", "c", { retry: 100 });
      await h.take("q", 2);
      assert.equal(await h.broker.enqueue([b]), 1);
      assert.deepEqual(await h.peekIds("q"), [b, c]);
      await h.advance(10_000); // a's lease runs out
      assert.deepEqual(await h.peekIds("q"), [a, b, c]);
    });

    it('placement "front": served before every job already queued, newest front first', async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const b = await h.add("q", "b");
      const f1 = await h.add("q", "f1", { placement: "front" });
      const f2 = await h.add("q", "f2", { placement: "front" });
      const c = await h.add("q", "c", { placement: "creation" });
      assert.deepEqual(await h.peekIds("q"), [f2, f1, a, b, c]);
      assert.deepEqual(await h.ids("q", 2), [f2, f1]);
      assert.equal(await h.broker.nack([f1]), 1);
      assert.deepEqual(await h.peekIds("q"), [f1, a, b, c]);
    });

    it("a delayed job goes to its creation place when it becomes ready", async () => {
      const h = await open();
      const delayed = await h.add("q", "d", { delay: 5 });
      const later = await h.add("q", "l");
      await h.advance(5_000);
      assert.deepEqual(await h.peekIds("q"), [delayed, later]);
    });
  });

  describe("fetching from several queues, COUNT > 1", () => {
    it("takes in rounds across queues, left-most first: COUNT 3 FROM q3 q2 with q3={c}, q2={a,b} → c, a, b", async () => {
      const h = await open();
      await h.add("q2", "a");
      await h.add("q2", "b");
      await h.add("q3", "c");
      assert.deepEqual(bodies(await h.take(["q3", "q2"], 3)), ["c", "a", "b"]);
    });

    it("at most one job per queue per round, stopping at COUNT mid-round, skipping unknown queues", async () => {
      const h = await open();
      for (const n of ["a1", "a2", "a3"]) await h.add("a", n);
      await h.add("b", "b1");
      for (const n of ["c1", "c2"]) await h.add("c", n);
      assert.deepEqual(bodies(await h.take(["a", "nope", "b", "c"], 4)), ["a1", "b1", "c1", "a2"]);
      assert.deepEqual(bodies(await h.take(["a", "b", "c"], 10)), ["a3", "c2"]);
      assert.equal(await h.take(["a", "b", "c"], 10), null);
    });

    it("COUNT n from one queue takes the n oldest, each marked active", async () => {
      const h = await open();
      const ids: string[] = [];
      for (const n of ["a", "b", "c", "d"]) ids.push(await h.add("q", n));
      const got = (await h.take("q", 3))!;
      assert.deepEqual(
        got.map((d) => d.id),
        ids.slice(0, 3),
      );
      for (const id of ids.slice(0, 3)) assert.equal(await h.state(id), "active");
      assert.deepEqual(await h.peekIds("q"), [ids[3]]);
      assert.deepEqual(
        (await h.take("q", 5))!.map((d) => d.id),
        [ids[3]],
      );
    });
  });
});
