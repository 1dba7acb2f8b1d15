import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { TestServer } from "../helpers/server.js";
import { STORES, serverOn } from "./stores.js";
import { DocketError, connect, type Client } from "../../src/client/index.js";

/** The client's operator calls (pause, resume, delete, counts, explain) on both stores. */
for (const store of STORES)
  describe(`docket/client operator calls (${store} store)`, () => {
    let t: TestServer;
    let jobs: Client;

    before(async () => {
      t = await serverOn(store);
      jobs = connect(`127.0.0.1:${t.port}`, { decode: "string" });
    });
    after(async () => {
      jobs.close();
      await t.close();
    });

    it("pause sets the state (replacing the one before), resume clears it", async () => {
      await jobs.add("x", "op-p");
      assert.equal(await jobs.pauseState("op-p"), "none");
      assert.equal(await jobs.pause("op-p", "out"), "out");
      assert.deepEqual(await jobs.fetch(["op-p"], { nohang: true }), []);
      assert.equal(await jobs.pause("op-p", "in"), "in");
      await assert.rejects(jobs.add("y", "op-p"), (e: DocketError) => e.code === "PAUSED");
      assert.equal(await jobs.pause("op-p", "all"), "all");
      assert.equal(await jobs.resume("op-p"), "none");
      assert.equal((await jobs.fetch(["op-p"], { nohang: true }))[0]?.data, "x");
    });

    it("delete removes jobs in any state and counts the known ones", async () => {
      const queued = await jobs.add("a", "op-d");
      const taken = await jobs.add("b", "op-d");
      await jobs.timeout(2000).get("op-d");
      assert.equal(await jobs.delete(queued, taken.id, "D-00000000-000000000000000000000000-0000"), 2);
      assert.equal(await jobs.show(queued), null);
      assert.equal(await jobs.delete(), 0);
    });

    it("counts: total and not-ready jobs per queue, zeros for an unknown one", async () => {
      for (const body of ["1", "2", "3"]) await jobs.add(body, "op-c");
      await jobs.timeout(2000).get("op-c");
      await jobs.delay(60_000).add("later", "op-c");
      await jobs.retries(3).backoff("fixed:60000").add("fails", "op-c");
      const failing = (await jobs.fetch(["op-c"], { count: 3, nohang: true })).find(
        (j) => j.data === "fails",
      );
      assert.ok(failing);
      await jobs.nack(failing, { backoff: true });
      // 5 live: 0 ready, 3 delivered, 1 delayed, 1 backing off
      const [counts, unknown] = await jobs.counts(["op-c", "op-none"]);
      assert.deepEqual({ ...counts, consumers: 0 }, { name: "op-c", total: 5, processing: 5, consumers: 0 });
      assert.deepEqual(unknown, { name: "op-none", total: 0, processing: 0, consumers: 0 });
      assert.equal((await jobs.stats("op-c"))?.backoff, 1);
      assert.deepEqual(await jobs.counts([]), []);
      await assert.rejects(jobs.counts(Array.from({ length: 1001 }, (_, i) => `q${i}`)), RangeError);
    });

    it("explain: the sentence and the facts, nested consumers and the last fetch's queues", async () => {
      const job = await jobs.add("e", "op-e");
      await jobs.fetch(["op-e-other", "op-e"], { nohang: true });
      const leased = await jobs.explain(job);
      assert.equal(leased.cause, "leased");
      assert.equal(leased.id, job.id);
      assert.equal(leased.queue, "op-e");
      assert.match(leased.text, /^leased to client \d+ \(127\.0\.0\.1:\d+\) until /);
      assert.equal(typeof leased.leasedTo?.id, "string");
      assert.match(leased.leasedTo!.addr, /^127\.0\.0\.1:\d+$/);
      assert.equal(leased.lastWorkingAt, null);
      assert.ok(leased.until! > leased.observedAt);

      const next = await jobs.add("f", "op-e");
      const ready = await jobs.explain(next.id);
      assert.equal(ready.cause, "ready");
      assert.equal(ready.position, 1);
      assert.equal(ready.recentFetchers, 1);
      assert.deepEqual(ready.lastFetch?.queues, ["op-e-other", "op-e"]);
      assert.deepEqual(ready.lastFetch?.consumer, leased.leasedTo);

      const unknown = await jobs.explain("D-00000000-000000000000000000000000-0000");
      assert.equal(unknown.cause, "unknown");
      assert.equal(unknown.queue, undefined);
      await assert.rejects(jobs.explain("nope"), (e: DocketError) => e.code === "BADID");
    });
  });
