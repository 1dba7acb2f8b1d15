import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { T0, bodies } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/** QLEN, QPEEK, QSTAT and stats: what the store reports, exactly. */

forEachStore((open) => {
  describe("qlen, qpeek, qstat", () => {
    it("QPEEK: positive oldest first, negative newest first, zero or unknown → empty; changes nothing", async () => {
      const h = await open();
      const ids: string[] = [];
      for (const n of ["a", "b", "c", "d"]) ids.push(await h.add("q", n));
      const peek = async (n: number) => (await h.broker.qpeek("q", n)).map((j) => j.id);
      assert.deepEqual(await peek(2), ids.slice(0, 2));
      assert.deepEqual(await peek(10), ids);
      assert.deepEqual(await peek(-1), [ids[3]]);
      assert.deepEqual(await peek(-3), [ids[3], ids[2], ids[1]]);
      assert.deepEqual(await peek(-10), [...ids].reverse());
      assert.deepEqual(await peek(0), []);
      assert.deepEqual(await h.broker.qpeek("unknown", 5), []);
      const first = (await h.broker.qpeek("q", 1))[0]!;
      assert.equal(first.body.toString(), "a");
      assert.equal(first.queue, "q");
      assert.equal(first.state, "queued");
      assert.equal(await h.broker.qlen("q"), 4);
      assert.equal((await h.broker.qstat("q"))!.jobsOut, 0);
    });

    it("QPEEK reports the same fields as SHOW", async () => {
      const h = await open();
      const id = await h.add("q", "x", { ttl: 100, retry: 7 });
      await h.advance(2_000);
      const [peeked] = await h.broker.qpeek("q", 1);
      assert.deepEqual(peeked, await h.show(id));
    });

    it("QLEN counts queued jobs only; 0 for an unknown queue", async () => {
      const h = await open();
      assert.equal(await h.broker.qlen("nope"), 0);
      await h.add("q");
      await h.add("q");
      await h.add("q", "x", { delay: 5 });
      assert.equal(await h.broker.qlen("q"), 2);
      await h.take("q");
      assert.equal(await h.broker.qlen("q"), 1);
    });

    it("QSTAT: null for an unknown queue; name, len, age, idle, blocked, jobs-in/out, pause", async () => {
      const h = await open();
      assert.equal(await h.broker.qstat("q"), null);
      const a = await h.add("q", "a", { retry: 5 });
      await h.add("q", "b");
      await h.advance(3_000);
      await h.take("q");
      await h.advance(2_500);
      assert.deepEqual(await h.broker.qstat("q"), {
        name: "q",
        len: 1,
        age: 5,
        idle: 2,
        blocked: 0,
        jobsIn: 2,
        jobsOut: 1,
        pause: "none",
        backingOff: 0,
        deadLetters: 0,
        delayed: 0,
        inFlight: 1,
        oldestReadyAt: T0,
        rateLimitedUntil: null,
        groups: 0,
        heldBack: 0,
      });
      await h.broker.nack([a]); // every enqueue counts
      await h.take("q", 5); // every fetch counts
      const w = await h.block({ queues: ["q"] });
      await h.broker.pause("q", ["out"]);
      const s = (await h.broker.qstat("q"))!;
      assert.deepEqual([s.len, s.jobsIn, s.jobsOut, s.blocked, s.pause, s.idle], [0, 3, 3, 1, "out", 0]);
      await h.broker.pause("q", ["none"]);
      await h.add("q");
      await h.answer(w);
      const after = (await h.broker.qstat("q"))!;
      assert.deepEqual([after.jobsIn, after.jobsOut, after.blocked], [4, 4, 0]);
    });
  });

  describe("stats", () => {
    it("counts jobs by state, queues, blocked clients and totals", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retry: 5, ttl: 100 });
      const b = await h.add("q", "b", { ttl: 20 });
      await h.add("q", "c", { delay: 10 });
      await h.add("r", "d");
      await h.take("q");
      const w = await h.block({ queues: ["z"] });
      assert.deepEqual(await h.broker.stats(), {
        jobs: 4,
        queues: 3,
        jobsByState: { "wait-repl": 0, active: 2, queued: 2, acked: 0, backoff: 0 },
        blockedClients: 1,
        added: 4,
        delivered: 1,
        acked: 0,
        expired: 0,
        requeued: 0,
        retried: 0,
        deadLettered: 0,
        timedOut: 0,
        deadLettersEvicted: 0,
        results: 0,
        resultBytes: 0,
      });
      await h.advance(5_000); // a re-queued
      assert.equal(await h.broker.ackJobs([a]), 1);
      await h.advance(15_000); // b expires, c queued
      const s = await h.broker.stats();
      assert.deepEqual([s.jobs, s.added, s.delivered, s.acked, s.expired, s.requeued], [2, 4, 1, 1, 1, 1]);
      assert.deepEqual(s.jobsByState, { "wait-repl": 0, active: 0, queued: 2, acked: 0, backoff: 0 });
      assert.equal(await h.state(b), null);
      await h.add("z");
      assert.equal((await h.answer(w))!.length, 1);
      const last = await h.broker.stats();
      assert.deepEqual([last.blockedClients, last.delivered], [0, 2]);
    });

    it("nodes() lists one node whose id is the broker's nodeId", async () => {
      const h = await open();
      const nodes = await h.broker.nodes();
      assert.ok(nodes.length >= 1);
      assert.ok(nodes.some((n) => n.id === h.broker.nodeId));
      assert.match(h.broker.nodeId, /^[0-9a-f]{40}$/);
    });
  });

  describe("flushAll", () => {
    it("deletes every job and queue; blocked fetchers stay blocked", async () => {
      const h = await open();
      await h.add("a");
      await h.add("b", "x", { delay: 10 });
      await h.add("c");
      await h.take("c");
      await h.broker.pause("p", ["all"]);
      const w = await h.block({ queues: ["w"] });
      const timed = await h.block({ queues: ["w2"], timeoutMs: 5000 });
      await h.broker.flushAll();
      const s = await h.broker.stats();
      assert.equal(s.jobs, 0);
      assert.deepEqual(s.jobsByState, { "wait-repl": 0, active: 0, queued: 0, acked: 0, backoff: 0 });
      assert.equal(s.blockedClients, 2);
      assert.equal(await h.broker.qstat("a"), null);
      assert.equal(await h.broker.qstat("p"), null);
      assert.equal(await h.broker.qlen("a"), 0);
      assert.deepEqual((await h.broker.jscan(0, { count: 100, busyloop: true })).items, []);
      await h.add("p"); // no longer paused
      await h.advance(10_000); // the delayed job's timer is gone too
      assert.equal(await h.broker.qlen("b"), 0);
      assert.equal(w.done, false);
      assert.equal(await h.answer(timed), null); // its time-out still holds
      const id = await h.add("w", "after");
      assert.deepEqual(
        (await h.answer(w))!.map((d) => d.id),
        [id],
      );
      assert.deepEqual(bodies(await h.broker.qpeek("p", 5)), ["x"]);
    });
  });
});
