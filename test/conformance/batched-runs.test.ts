import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Consumer } from "../../src/core/explain.js";
import { T0 } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * Requests sent at once: on the Redis store, the adds, fetches and acks of one turn to one
 * queue are one run each (addMany-12.lua, takeMany-12.lua, remove-12.lua) whose writes are
 * deferred to its end (includes/deferred.lua). Each request must see what the ones before it
 * in the run did, as the engine's do.
 */

const X: Consumer = { id: "17", addr: "10.0.0.7:41000" };
const Y: Consumer = { id: "18", addr: "10.0.0.8:41000" };
const Z: Consumer = { id: "19", addr: "10.0.0.9:41000" };

forEachStore((open) => {
  describe("requests sent at once", () => {
    it("MAXLEN counts the jobs added before it in the same run", async () => {
      const h = await open();
      const all = await Promise.allSettled([
        h.add("q", "a"),
        h.add("q", "b"),
        h.add("q", "c", { maxlen: 2 }),
        h.add("q", "d", { maxlen: 3 }),
        h.add("q", "e", { maxlen: 3 }),
      ]);
      assert.deepEqual(
        all.map((r) => (r.status === "fulfilled" ? "ok" : (r.reason as { code?: string }).code)),
        ["ok", "ok", "MAXLEN", "ok", "MAXLEN"],
      );
      assert.deepEqual(await bodies(h, "q"), ["a", "b", "d"]);
    });

    it("the queue's counters, order and each job's fields are those of adds made one by one", async () => {
      const h = await open();
      const ids = await Promise.all([
        h.add("q", "a"),
        h.add("q", "b", { placement: "front" }),
        h.add("q", "c"),
        h.add("q", "d", { placement: "front" }),
        h.add("q", "e", { retry: 0 }),
      ]);
      assert.deepEqual(await bodies(h, "q"), ["d", "b", "a", "c", "e"]);
      const stat = (await h.broker.qstat("q"))!;
      assert.deepEqual([stat.len, stat.jobsIn, stat.jobsOut], [5, 5, 0]);
      assert.equal((await h.broker.stats()).jobs, 5);
      const first = await h.show(ids[0]!);
      assert.deepEqual(
        [first.state, first.requeueAt, first.awakeAt],
        ["queued", T0 + 300_000, T0 + 86_400_000],
      );
      assert.equal((await h.show(ids[4]!)).requeueAt, null);
      // the run's rank counters were written back: a later add goes after them
      await h.add("q", "f");
      await h.add("q", "g", { placement: "front" });
      assert.deepEqual(await bodies(h, "q"), ["g", "d", "b", "a", "c", "e", "f"]);
    });

    it("a delayed job first, then jobs queued at once: the queue appears once, each job in its place", async () => {
      const h = await open();
      await Promise.all([h.add("q", "later", { delay: 5 }), h.add("q", "a"), h.add("q", "b")]);
      assert.deepEqual(await bodies(h, "q"), ["a", "b"]);
      const stat = (await h.broker.qstat("q"))!;
      assert.deepEqual([stat.len, stat.delayed, stat.jobsIn], [2, 1, 2]);
      await h.advance(5_000);
      // it kept its place of creation, as a delayed job does
      assert.deepEqual(await bodies(h, "q"), ["later", "a", "b"]);
    });

    it("a queue paused in refuses every add of the run, and nothing is written", async () => {
      const h = await open();
      await h.add("q", "before");
      await h.broker.pause("q", ["in"]);
      const all = await Promise.allSettled([h.add("q", "a"), h.add("q", "b")]);
      assert.deepEqual(
        all.map((r) => (r.status === "rejected" ? (r.reason as { code?: string }).code : "ok")),
        ["PAUSED", "PAUSED"],
      );
      assert.equal((await h.broker.stats()).jobs, 1);
      assert.deepEqual(await bodies(h, "q"), ["before"]);
    });

    it("fetches sent at once: each its own job, the queue's counters and each lease as if one by one", async () => {
      const h = await open();
      const ids: string[] = [];
      for (const body of ["a", "b", "c", "d"]) ids.push(await h.add("q", body));
      const fetched = await Promise.all([h.ids("q"), h.ids("q"), h.ids("q", 2), h.ids("q")]);
      assert.deepEqual(fetched, [[ids[0]], [ids[1]], [ids[2], ids[3]], []]);
      const stat = (await h.broker.qstat("q"))!;
      assert.deepEqual([stat.len, stat.jobsOut, stat.inFlight], [0, 4, 4]);
      const shown = await h.show(ids[2]!);
      assert.deepEqual([shown.state, shown.requeueAt], ["active", T0 + 300_000]);
      // leases run out together: every job is queued again, in its place
      await h.advance(300_000);
      assert.deepEqual(await h.peekIds("q"), ids);
      assert.equal((await h.broker.qstat("q"))!.inFlight, 0);
    });

    it("fetches sent at once by several consumers: EXPLAIN tells the last one and counts each once", async () => {
      const h = await open();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await h.add("q", `job ${i}`));
      await Promise.all([
        h.take("q", 1, { consumer: X }),
        h.take("q", 1, { consumer: Y }),
        h.take("q", 1, { consumer: X }),
        h.take("q", 1, { consumer: Z }),
      ]);
      const facts = await h.broker.explain(ids[4]!);
      assert.deepEqual([facts.position, facts.ready, facts.recentFetchers], [1, 1, 3]);
      assert.deepEqual(facts.lastFetch, { at: T0, consumer: Z, queues: ["q"] });
    });

    it("a fetch in a run that meets an expired job drops it and delivers the next", async () => {
      const h = await open();
      const short = await h.add("q", "short", { ttl: 1, retry: 0 });
      const kept = await h.add("q", "kept");
      await h.clock.advance(1_000);
      const fetched = await Promise.all([h.ids("q"), h.ids("q")]);
      assert.deepEqual(fetched, [[kept], []]);
      assert.equal(await h.state(short), null);
      assert.equal((await h.broker.stats()).jobs, 1);
    });

    it("acks sent at once: an id acked twice counts once, the queue's counters as if one by one", async () => {
      const h = await open();
      for (const body of ["a", "b", "c"]) await h.add("q", body);
      const ids = await h.ids("q", 3);
      const acked = await Promise.all([
        h.broker.ackJobs([ids[0]!]),
        h.broker.ackJobs([ids[0]!, ids[1]!]),
        h.broker.ackJobs([ids[2]!, ids[2]!]),
      ]);
      assert.deepEqual(acked, [1, 1, 1]);
      // a replayed journal may have forgotten the emptied queue (null): nothing in flight either way
      const stat = await h.broker.qstat("q");
      assert.deepEqual([stat?.len ?? 0, stat?.inFlight ?? 0], [0, 0]);
      assert.equal((await h.broker.stats()).jobs, 0);
      for (const id of ids) assert.equal(await h.state(id), null);
      // nothing of theirs is left to come back when their leases would have run out
      await h.advance(300_000);
      assert.deepEqual(await h.peekIds("q"), []);
    });

    it("plain jobs and jobs with a priority or a group in one run are served in the engine's order", async () => {
      const h = await open();
      await Promise.all([
        h.add("q", "plain1"),
        h.add("q", "urgent", { priority: 0 }),
        h.add("q", "g1", { group: "g" }),
        h.add("q", "plain2"),
        h.add("q", "late", { priority: 2000 }),
        h.add("q", "g2", { group: "g" }),
      ]);
      const served: string[] = [];
      for (let i = 0; i < 6; i++) {
        const [job] = (await h.take("q", 1)) ?? [];
        assert.ok(job, `job ${i} served`);
        served.push(job.body.toString());
        await h.broker.ackJobs([job.id]);
      }
      assert.deepEqual(served, ["urgent", "plain1", "g1", "plain2", "g2", "late"]);
    });

    it("client text holding the unit separator (the Redis store's compact field joiner) is kept as sent", async () => {
      const h = await open();
      const U = "\x1f";
      const ids = await Promise.all([
        h.add("q", "a", { retry: 7 }),
        h.add("q", "b", { clientKey: `e${U}1`, group: "g", priority: 3 }),
        h.add("q", "c", { clientKey: `${U}`, placement: "front" }),
      ]);
      // and a run of plain jobs alone, whose fields are joined
      ids.push(...(await Promise.all([h.add("q", "d", { clientKey: "e2", ttl: 600 }), h.add("q", "e")])));
      const shown = [];
      for (const id of ids) shown.push(await h.show(id));
      assert.deepEqual(
        shown.map((j) => [j.body.toString(), j.clientKey, j.group, j.priority, j.ttl]),
        [
          ["a", undefined, undefined, undefined, 86_400],
          ["b", `e${U}1`, "g", 3, 86_400],
          ["c", U, undefined, undefined, 86_400],
          ["d", "e2", undefined, undefined, 600],
          ["e", undefined, undefined, undefined, 86_400],
        ],
      );
      assert.equal(shown[0]!.retry, 7);
      await assert.rejects(h.add("q", "again", { clientKey: `e${U}1` }), /duplicate event/);
    });
  });
});

async function bodies(
  h: { broker: { qpeek(q: string, n: number): unknown } },
  queue: string,
): Promise<string[]> {
  const jobs = (await h.broker.qpeek(queue, 20)) as Array<{ body: Buffer }>;
  return jobs.map((j) => j.body.toString());
}
