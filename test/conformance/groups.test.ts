import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { MAX_GROUP_BYTES } from "../../src/core/scheduling.js";
import { bodies } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * Groups (core/scheduling.ts): within a priority, ready jobs are served
 * round-robin across groups (a job's round); QPOLICY … GROUPLIMIT n keeps
 * at most n jobs of a group in flight, the rest held back (still queued:
 * QLEN counts them, QPEEK lists them). Ungrouped jobs are group "".
 */

async function addAll(h: { add(q: string, b: string, e: object): Promise<string> }, spec: string[]) {
  // "a1" → group "a"; "u1" → no group
  for (const b of spec) await h.add("q", b, b.startsWith("u") ? {} : { group: b[0] });
}

forEachStore((open) => {
  describe("groups: round-robin", () => {
    it("serves one job of every group before a second of any", async () => {
      const h = await open();
      await addAll(h, ["a1", "a2", "a3", "b1", "b2", "c1"]);
      const order = ["a1", "b1", "c1", "a2", "b2", "a3"];
      assert.deepEqual(
        (await h.broker.qpeek("q", 10)).map((j) => j.body.toString()),
        order,
      );
      assert.deepEqual(bodies(await h.take("q", 10)), order);
    });

    it("ungrouped jobs are all in round 0: ahead of a group's second job", async () => {
      const h = await open();
      await addAll(h, ["a1", "a2", "u1", "u2"]);
      assert.deepEqual(bodies(await h.take("q", 10)), ["a1", "u1", "u2", "a2"]);
    });

    it("a group that floods 10^4 jobs cannot delay another group's single job by more than one round", async () => {
      const h = await open();
      for (let i = 0; i < 10_000; i++) await h.add("q", `a${i}`, { group: "flood" });
      assert.deepEqual(bodies(await h.take("q", 100)).slice(-1), ["a99"]);
      await h.add("q", "b", { group: "single" });
      const next = bodies(await h.take("q", 2));
      assert.ok(next.includes("b"), `b within one round, got ${next.join(",")}`);
      await h.add("q", "c", { group: "late" });
      assert.ok(bodies(await h.take("q", 2)).includes("c"));
      assert.equal(await h.broker.qlen("q"), 10_000 - 100 - 3 + 1);
    });

    it("priority comes before rounds", async () => {
      const h = await open();
      await h.add("q", "a1", { group: "a" });
      await h.add("q", "a2", { group: "a", priority: 0 });
      await h.add("q", "b1", { group: "b" });
      assert.deepEqual(bodies(await h.take("q", 10)), ["a2", "a1", "b1"]);
    });

    it("SHOW and a delivery carry the group; QSTAT counts the named groups queued or in flight", async () => {
      const h = await open();
      const id = await h.add("q", "a1", { group: "tenant-7" });
      await h.add("q", "u1");
      assert.equal((await h.show(id)).group, "tenant-7");
      const [d] = (await h.take("q"))!;
      assert.equal(d!.group, "tenant-7");
      assert.equal((await h.broker.qstat("q"))!.groups, 1);
      await h.broker.ackJobs([id]);
      assert.equal((await h.broker.qstat("q"))!.groups, 0);
    });

    it("refuses a bad group name; takes one of 128 characters", async () => {
      const h = await open();
      await h.expectError(() => h.addJob("q", "x", { group: "" }), "ERR");
      await h.expectError(() => h.addJob("q", "x", { group: "with space" }), "ERR");
      await h.expectError(() => h.addJob("q", "x", { group: "g".repeat(MAX_GROUP_BYTES + 1) }), "ERR");
      const long = "g".repeat(MAX_GROUP_BYTES);
      assert.equal((await h.show(await h.add("q", "x", { group: long }))).group, long);
    });
  });

  describe("groups: GROUPLIMIT", () => {
    it("holds back a group's ready jobs while it has `limit` in flight; QLEN and QPEEK still count them", async () => {
      const h = await open();
      assert.deepEqual(await h.broker.setQueuePolicy("q", { groupLimit: 1 }), { groupLimit: 1 });
      await addAll(h, ["a1", "a2", "b1"]);
      assert.deepEqual(bodies(await h.take("q", 10)), ["a1", "b1"]);
      assert.equal(await h.take("q"), null);
      assert.equal(await h.broker.qlen("q"), 1);
      assert.deepEqual(
        (await h.broker.qpeek("q", 10)).map((j) => j.body.toString()),
        ["a2"],
      );
      const stats = (await h.broker.qstat("q"))!;
      assert.equal(stats.heldBack, 1);
      assert.equal(stats.groups, 2);
    });

    it("an ack frees the slot; a NACK'd job goes first again", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { groupLimit: 1 });
      await addAll(h, ["a1", "a2", "a3"]);
      const [a1] = (await h.take("q"))!;
      assert.equal(await h.broker.nack([a1!.id]), 1);
      assert.deepEqual(bodies(await h.take("q")), ["a1"]);
      await h.broker.ackJobs([a1!.id]);
      assert.equal((await h.broker.qstat("q"))!.heldBack, 0);
      assert.deepEqual(bodies(await h.take("q", 10)), ["a2"]);
      assert.equal((await h.broker.qstat("q"))!.heldBack, 1);
    });

    it("a blocked fetch gets a held-back job when its group's slot frees", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { groupLimit: 1 });
      await addAll(h, ["a1", "a2"]);
      const [a1] = (await h.take("q"))!;
      const w = await h.block({ queues: ["q"] });
      assert.equal(w.done, false);
      await h.broker.ackJobs([a1!.id]);
      assert.deepEqual(bodies(await h.answer(w)), ["a2"]);
    });

    it('EXPLAIN says group-limit for a held-back job (group "" for ungrouped ones)', async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { groupLimit: 1 });
      await addAll(h, ["a1", "a2", "u1", "u2"]);
      await h.take("q", 10);
      const [u2, a2] = await h.peekIds("q"); // a2 is in round 1
      const facts = await h.broker.explain(a2!);
      assert.deepEqual(
        [facts.cause, facts.group, facts.groupLimit, facts.position, facts.ready],
        ["group-limit", "a", 1, 2, 2],
      );
      assert.deepEqual(
        [(await h.broker.explain(u2!)).cause, (await h.broker.explain(u2!)).group],
        ["group-limit", ""],
      );
    });

    it("ungrouped jobs count as one group", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { groupLimit: 2 });
      await addAll(h, ["u1", "u2", "u3", "a1"]);
      assert.deepEqual(bodies(await h.take("q", 10)), ["u1", "u2", "a1"]);
      assert.equal((await h.broker.qstat("q"))!.heldBack, 1);
    });

    it("a limit set while jobs are in flight counts them, past the job table's first page of slots", async () => {
      const h = await open();
      // 4,100 jobs of another queue first: q's jobs take slots past the first 4,096 (embedded store)
      for (let i = 0; i < 4_100; i++) await h.add("filler", `f${i}`, {});
      await addAll(h, ["a1", "a2", "b1", "b2"]);
      const taken = (await h.take("q", 2))!;
      assert.deepEqual(bodies(taken), ["a1", "b1"]);
      await h.broker.setQueuePolicy("q", { groupLimit: 1 });
      assert.equal(await h.take("q"), null);
      assert.equal((await h.broker.qstat("q"))!.heldBack, 2);
      await h.broker.ackJobs([taken[0]!.id]);
      assert.deepEqual(bodies(await h.take("q", 10)), ["a2"]);
      assert.equal((await h.broker.qstat("q"))!.heldBack, 1);
    });

    it("raising the limit releases held-back jobs", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { groupLimit: 1 });
      await addAll(h, ["a1", "a2"]);
      await h.take("q");
      assert.equal(await h.take("q"), null);
      await h.broker.setQueuePolicy("q", { groupLimit: 2 });
      assert.deepEqual(bodies(await h.take("q")), ["a2"]);
    });
  });
});
