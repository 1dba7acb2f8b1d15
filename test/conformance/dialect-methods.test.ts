import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { T0, bodies } from "../helpers/broker.js";
import { checkOn, forEachStore } from "./suite.js";
import { BY_DESIGN } from "./replayed.js";

/** The methods the okq, takeanumber and TaskQ doors use. */

forEachStore((open, store) => {
  describe("event ids (okq)", () => {
    it("are unique among a queue's live jobs; free again once the job is gone", async () => {
      const h = await open();
      await h.add("q", "a", { clientKey: "e1" });
      await h.expectError(() => h.add("q", "b", { clientKey: "e1" }), "ERR", "duplicate event e1");
      await h.add("other", "c", { clientKey: "e1" }); // another queue: fine
      assert.equal(await h.broker.qlen("q"), 1);
      const [d] = (await h.take("q"))!;
      assert.equal(d!.clientKey, "e1");
      assert.equal(await h.broker.ackInQueue("q", "e1", "event"), 1);
      assert.equal(await h.broker.ackInQueue("q", "e1", "event"), 0);
      const again = await h.add("q", "again", { clientKey: "e1" });
      assert.equal((await h.show(again)).clientKey, "e1");
      await h.expectError(() => h.add("q", "dup", { clientKey: "e1" }), "ERR", "duplicate event e1");
    });

    it("an event id is free again once its job expires, is flushed or dead-lettered", async () => {
      const h = await open();
      await h.add("q", "a", { clientKey: "e1", ttl: 10 });
      await h.advance(10_000);
      await h.add("q", "b", { clientKey: "e1" });
      assert.equal(await h.broker.flushQueue("q"), 1);
      const c = await h.add("q", "c", { clientKey: "e1", retryBudget: 0 });
      assert.equal(await h.broker.retryJob("q", c), "deadlettered");
      const d = await h.add("q", "d", { clientKey: "e1" });
      assert.deepEqual(
        (await h.broker.qpeek("q", 10)).map((j) => [j.id, j.clientKey]),
        [[d, "e1"]],
      );
      // a redriven letter whose event id is taken again comes back without it
      assert.equal(await h.broker.redrive("q", { count: 1 }), 1);
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["d", "c"]);
      assert.equal((await h.broker.qpeek("q", -1))[0]!.clientKey, undefined);
      assert.equal((await h.broker.qpeek("q", 1))[0]!.clientKey, "e1");
    });

    checkOn(store, { replayed: BY_DESIGN.totals })(
      "ackInQueue finds jobs by id, event id (falling back to the id) and seq, only in their queue",
      async () => {
        const h = await open();
        const a = await h.addJob("q", "a");
        const b = await h.addJob("q", "b");
        const c = await h.addJob("q", "c");
        const d = await h.addJob("q", "d", { clientKey: "ev" });
        assert.equal(await h.broker.ackInQueue("other", a.id, "id"), 0);
        assert.equal(await h.broker.ackInQueue("other", "ev", "event"), 0);
        assert.equal(await h.broker.ackInQueue("other", String(c.seq), "seq"), 0);
        assert.equal(await h.broker.ackInQueue("q", a.id, "id"), 1);
        assert.equal(await h.broker.ackInQueue("q", b.id, "event"), 1);
        assert.equal(await h.broker.ackInQueue("q", "x1", "seq"), 0);
        assert.equal(await h.broker.ackInQueue("q", String(c.seq), "seq"), 1);
        assert.equal(await h.broker.ackInQueue("q", "ev", "event"), 1);
        assert.equal(await h.broker.qlen("q"), 0);
        assert.equal(await h.broker.show(d.id), null);
        assert.equal((await h.broker.stats()).acked, 4);
      },
    );
  });

  describe("per-fetch lease and consume", () => {
    it("leaseSeconds overrides the job's RETRY for that delivery only", async () => {
      const h = await open();
      const id = await h.add("q", "a", { retry: 300 });
      const jobs = await h.take("q", 1, { leaseSeconds: 30 });
      assert.equal(jobs![0]!.id, id);
      await h.advance(29_999);
      assert.equal(await h.state(id), "active");
      await h.advance(1);
      assert.equal(await h.state(id), "queued");
      assert.equal((await h.show(id)).additionalDeliveries, 1);
      // the next plain delivery uses RETRY again
      await h.take("q");
      await h.advance(30_000);
      assert.equal(await h.state(id), "active");
      await h.advance(270_000);
      assert.equal(await h.state(id), "queued");
    });

    it("a lease shorter than RETRY runs from the delivery, whenever that is", async () => {
      const h = await open();
      const id = await h.add("q", "a", { retry: 2, ttl: 30 });
      await h.advance(1);
      await h.take("q", 1, { leaseSeconds: 1 });
      assert.equal((await h.show(id)).requeueAt, T0 + 1_001);
      await h.advance(999);
      assert.equal(await h.state(id), "active");
      await h.advance(1);
      const info = await h.show(id);
      assert.deepEqual([info.state, info.additionalDeliveries], ["queued", 1]);
    });

    it("a blocked fetch's leaseSeconds applies to the job it gets", async () => {
      const h = await open();
      const w = await h.block({ queues: ["q"], leaseSeconds: 20 });
      const id = await h.add("q", "a", { retry: 300 });
      assert.deepEqual(
        (await h.answer(w))!.map((d) => d.id),
        [id],
      );
      await h.advance(19_999);
      assert.equal(await h.state(id), "active");
      await h.advance(1);
      assert.equal(await h.state(id), "queued");
    });

    it("rejects a lease that is not a positive integer", async () => {
      const h = await open();
      await h.add("q");
      await h.expectError(() => h.take("q", 1, { leaseSeconds: 0 }), "ERR");
      await h.expectError(() => h.take("q", 1, { leaseSeconds: 1.5 }), "ERR");
      assert.equal(await h.broker.qlen("q"), 1);
    });

    it("a lease on a RETRY 0 job changes nothing: it is never re-queued", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 0, ttl: 100 });
      await h.take("q", 1, { leaseSeconds: 5 });
      await h.advance(50_000);
      assert.equal(await h.state(id), "active");
      assert.equal((await h.show(id)).requeueAt, null);
    });

    it("consume deletes what it delivers, for immediate and blocked fetches", async () => {
      const h = await open();
      const id = await h.add("q", "a");
      assert.deepEqual(bodies(await h.take("q", 1, { consume: true })), ["a"]);
      assert.equal(await h.broker.show(id), null);
      const w = await h.block({ queues: ["q"], consume: true });
      const id2 = await h.add("q", "b");
      assert.deepEqual(bodies(await h.answer(w)), ["b"]);
      assert.equal(await h.broker.show(id2), null);
      assert.equal((await h.broker.stats()).jobs, 0);
    });
  });

  describe("retries budget and dead letters (takeanumber)", () => {
    it("retryJob puts the job back at its own place and counts down; with none left it is dead-lettered", async () => {
      const h = await open();
      const a = await h.add("q", "a", { retryBudget: 1 });
      await h.add("q", "b");
      assert.equal((await h.show(a)).retryBudgetLeft, 1);
      assert.deepEqual(await h.ids("q"), [a]);
      assert.equal(await h.broker.retryJob("q", a), "requeued");
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["a", "b"]);
      const later = await h.add("q", "c");
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["a", "b", "c"]);
      assert.equal((await h.show(a)).retryBudgetLeft, 0);
      assert.equal((await h.show(a)).nacks, 1);

      await h.advance(5000);
      assert.equal(await h.broker.retryJob("q", a), "deadlettered");
      assert.equal(await h.broker.show(a), null);
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["b", "c"]);
      const letters = await h.broker.deadLetters("q", 10);
      assert.equal(letters.length, 1);
      const [letter] = letters;
      assert.deepEqual(
        {
          id: letter!.id,
          queue: letter!.queue,
          body: letter!.body.toString(),
          reason: letter!.reason,
          at: letter!.at,
        },
        { id: a, queue: "q", body: "a", reason: "retries exhausted", at: T0 + 5000 },
      );
      assert.equal(await h.broker.retryJob("q", a), null);
      assert.equal(await h.broker.retryJob("other", later), null);
      // a dead letter is no live job: no seq, no ack
      assert.equal(await h.broker.showBySeq(letter!.seq), null);
      assert.equal(await h.broker.ackInQueue("q", a, "id"), 0);
      assert.equal((await h.broker.deadLetters("q", 10)).length, 1);
    });

    it("retryJob on a queued or delayed job queues it at its own place at once", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      const delayed = await h.add("q", "d", { delay: 30 });
      await h.add("q", "b");
      assert.equal(await h.broker.retryJob("q", a), "requeued");
      assert.equal(await h.broker.retryJob("q", delayed), "requeued");
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["a", "d", "b"]);
      await h.advance(30_000); // the old delay does not queue it twice
      assert.equal(await h.broker.qlen("q"), 3);
      assert.equal((await h.show(delayed)).nacks, 1);
    });

    it("jobs without a budget are retried forever", async () => {
      const h = await open();
      const a = await h.add("q", "a");
      assert.equal((await h.show(a)).retryBudgetLeft, undefined);
      for (let i = 0; i < 5; i++) assert.equal(await h.broker.retryJob("q", a), "requeued");
      assert.equal((await h.show(a)).nacks, 5);
      assert.equal((await h.broker.deadLetters("q", 10)).length, 0);
    });

    it("redrive queues the oldest dead letters again as fresh jobs with their budget", async () => {
      const h = await open();
      const ids: string[] = [];
      for (const body of ["a", "b", "c"])
        ids.push(await h.add("q", body, { retryBudget: 0, clientKey: `e-${body}` }));
      for (const id of ids) assert.equal(await h.broker.retryJob("q", id), "deadlettered");
      assert.deepEqual(bodies(await h.broker.deadLetters("q", 2)), ["a", "b"]);
      const [letterA] = await h.broker.deadLetters("q", 1);
      assert.deepEqual([letterA!.id, letterA!.clientKey, letterA!.queue], [ids[0], "e-a", "q"]);
      assert.equal(await h.broker.redrive("q", { count: 2 }), 2);
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["a", "b"]);
      const fresh = (await h.broker.qpeek("q", 1))[0]!;
      assert.notEqual(fresh.id, ids[0]);
      assert.equal(fresh.clientKey, "e-a");
      assert.equal(fresh.retryBudgetLeft, 0);
      assert.equal(fresh.nacks, 0);
      assert.deepEqual(bodies(await h.broker.deadLetters("q", 10)), ["c"]);
      assert.equal(await h.broker.redrive("q", { count: 10 }), 1);
      assert.equal(await h.broker.redrive("q", { count: 10 }), 0);
      assert.equal((await h.broker.queueCounts(["q"]))[0]!.total, 3);
    });
  });

  describe("flushQueue, queueCounts", () => {
    it("counts waiting and processing per queue; flush deletes both and the dead letters", async () => {
      const h = await open();
      await h.add("q", "a");
      await h.add("q", "b");
      const dead = await h.add("q", "c", { retryBudget: 0 });
      await h.add("r", "x");
      await h.take("q");
      assert.equal(await h.broker.retryJob("q", dead), "deadlettered");
      assert.deepEqual(await h.broker.queueCounts(), [
        { name: "q", total: 2, waiting: 1, processing: 1, consumers: 0 },
        { name: "r", total: 1, waiting: 1, processing: 0, consumers: 0 },
      ]);
      assert.equal(await h.broker.flushQueue("q"), 2);
      assert.deepEqual(await h.broker.queueCounts(["q"]), [
        { name: "q", total: 0, waiting: 0, processing: 0, consumers: 0 },
      ]);
      assert.equal((await h.broker.deadLetters("q", 10)).length, 0);
      assert.equal((await h.broker.stats()).jobs, 1);
      // The in-flight job was flushed: its lease never brings it back.
      await h.advance(600_000);
      assert.equal(await h.broker.qlen("q"), 0);
      assert.equal(await h.broker.flushQueue("nothing"), 0);
    });

    it("queueCounts() lists every known queue sorted by name; names given are kept in order", async () => {
      const h = await open();
      for (const q of ["c", "a", "b"]) await h.add(q);
      assert.deepEqual(
        (await h.broker.queueCounts()).map((c) => [c.name, c.total]),
        [
          ["a", 1],
          ["b", 1],
          ["c", 1],
        ],
      );
      assert.deepEqual(
        (await h.broker.queueCounts(["c", "zz", "a"])).map((c) => [c.name, c.waiting]),
        [
          ["c", 1],
          ["zz", 0],
          ["a", 1],
        ],
      );
    });

    it("queueCounts counts delayed jobs as processing and blocked fetchers as consumers", async () => {
      const h = await open();
      await h.add("q", "later", { delay: 10 });
      const w = await h.block({ queues: ["q"] });
      assert.deepEqual(await h.broker.queueCounts(["q", "unknown"]), [
        { name: "q", total: 1, waiting: 0, processing: 1, consumers: 1 },
        { name: "unknown", total: 0, waiting: 0, processing: 0, consumers: 0 },
      ]);
      await h.advance(10_000);
      assert.equal((await h.answer(w))!.length, 1);
    });
  });

  describe("QREGISTER and QNOTIFY", () => {
    checkOn(store, { replayed: BY_DESIGN.registrations })(
      "notify answers at once when a registered queue has a job, without taking it",
      async () => {
        const h = await open();
        await h.add("b", "x");
        await h.broker.registerConsumer("c1", ["a", "b"]);
        assert.equal(await h.broker.notify("c1", 0), "b");
        assert.equal(await h.broker.qlen("b"), 1);
        assert.equal((await h.broker.queueCounts(["a"]))[0]!.consumers, 1);
      },
    );

    it("blocks until a job arrives, or times out with null by the clock, or aborts", async () => {
      const h = await open();
      await h.broker.registerConsumer("c1", ["a", "b"]);
      const woken = await h.pending(() => h.broker.notify("c1", 0));
      assert.equal(woken.done, false);
      assert.equal((await h.broker.stats()).blockedClients, 1);
      await h.add("a", "x");
      assert.equal(await h.answer(woken), "a");
      assert.equal(await h.broker.qlen("a"), 1);
      assert.equal((await h.broker.stats()).blockedClients, 0);

      await h.broker.registerConsumer("c2", ["z"]);
      const timed = await h.pending(() => h.broker.notify("c2", 2000));
      await h.advance(1999);
      assert.equal(timed.done, false);
      await h.advance(1);
      assert.equal(await h.answer(timed), null);

      const abort = new AbortController();
      const aborted = await h.pending(() => h.broker.notify("c2", 0, abort.signal));
      assert.equal(aborted.done, false);
      abort.abort();
      assert.equal(await h.answer(aborted), null);
      assert.equal((await h.broker.stats()).blockedClients, 0);
      // a later job wakes nobody and stays queued
      await h.add("z", "y");
      assert.equal(await h.broker.qlen("z"), 1);
    });

    it("skips a queue paused out; a blocked notify wakes when the queue is unpaused", async () => {
      const h = await open();
      await h.broker.pause("q", ["out"]);
      await h.add("q", "held");
      await h.broker.registerConsumer("c1", ["q"]);
      const w = await h.pending(() => h.broker.notify("c1", 0));
      assert.equal(w.done, false);
      await h.broker.pause("q", ["none"]);
      assert.equal(await h.answer(w), "q");
      assert.equal(await h.broker.qlen("q"), 1);
    });

    it("a blocked notify is woken by a put-back (NACK, a lease running out)", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 10 });
      await h.take("q");
      await h.broker.registerConsumer("c1", ["q"]);
      const byNack = await h.pending(() => h.broker.notify("c1", 0));
      assert.equal(byNack.done, false);
      await h.broker.nack([id]);
      assert.equal(await h.answer(byNack), "q");
      await h.take("q");
      const byLease = await h.pending(() => h.broker.notify("c1", 0));
      await h.advance(9_999);
      assert.equal(byLease.done, false);
      await h.advance(1);
      assert.equal(await h.answer(byLease), "q");
    });

    checkOn(store, { replayed: BY_DESIGN.registrations })(
      "unregistering drops the consumer count",
      async () => {
        const h = await open();
        await h.broker.registerConsumer("c1", ["q"]);
        await h.broker.registerConsumer("c2", ["q", "q"]);
        assert.equal((await h.broker.queueCounts(["q"]))[0]!.consumers, 2);
        await h.broker.registerConsumer("c1", []);
        assert.equal((await h.broker.queueCounts(["q"]))[0]!.consumers, 1);
        // a new registration replaces the old one: its counts move with it
        await h.broker.registerConsumer("c2", ["r"]);
        await h.broker.registerConsumer("c1", []);
        assert.deepEqual(
          (await h.broker.queueCounts(["q", "r"])).map((c) => c.consumers),
          [0, 1],
        );
      },
    );

    it("a consumer registered on nothing (never, or no longer) waits for its time-out", async () => {
      const h = await open();
      await h.add("q", "x");
      await h.broker.registerConsumer("c1", ["q"]);
      await h.broker.registerConsumer("c1", []);
      for (const consumer of ["nobody", "c1"]) {
        const w = await h.pending(() => h.broker.notify(consumer, 2000));
        await h.add("q", "y");
        await h.advance(1999);
        assert.equal(w.done, false, `${consumer}: nothing wakes it`);
        await h.advance(1);
        assert.equal(await h.answer(w), null);
      }
      const forever = new AbortController();
      const w = await h.pending(() => h.broker.notify("nobody", 0, forever.signal));
      await h.advance(3_600_000);
      assert.equal(w.done, false);
      forever.abort();
      assert.equal(await h.answer(w), null);
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });
  });

  describe("front placement with dialect methods", () => {
    it("a front job is served before older ones; a retried job keeps its place", async () => {
      const h = await open();
      await h.add("q", "a");
      const urgent = await h.add("q", "urgent", { placement: "front" });
      assert.deepEqual(bodies(await h.take("q")), ["urgent"]);
      await h.add("q", "b");
      assert.equal(await h.broker.retryJob("q", urgent), "requeued");
      assert.deepEqual(bodies(await h.broker.qpeek("q", 10)), ["urgent", "a", "b"]);
    });
  });
});
