import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { UNKNOWN_ID } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/** WAITJOB: how a wait on a job ends. */

forEachStore((open) => {
  describe("waitJob outcomes", () => {
    it('"gone" at once for a job not known when the wait begins', async () => {
      const h = await open();
      assert.equal(await h.broker.waitJob(UNKNOWN_ID, 0), "gone");
      const id = await h.add("q");
      await h.broker.ackJobs([id]);
      assert.equal(await h.broker.waitJob(id, 1000), "gone");
    });

    it('"acked" on ACKJOB and on a consuming fetch; "deleted" on FASTACK, DELJOB, flushAll', async () => {
      const h = await open();
      const ids: string[] = [];
      for (const n of ["ack", "consume", "fastack", "deljob", "flush"]) ids.push(await h.add(n, n));
      const [ack, consume, fastack, deljob, flush] = ids as [string, string, string, string, string];
      const waits = [];
      for (const id of ids) waits.push(await h.pending(() => h.broker.waitJob(id, 0)));
      for (const w of waits) assert.equal(w.done, false);
      assert.equal((await h.broker.stats()).blockedClients, 5);
      await h.broker.ackJobs([ack]);
      assert.equal(await h.answer(waits[0]!), "acked");
      await h.take("consume", 1, { consume: true });
      assert.equal(await h.answer(waits[1]!), "acked");
      await h.broker.fastAck([fastack]);
      assert.equal(await h.answer(waits[2]!), "deleted");
      await h.broker.deleteJobs([deljob]);
      assert.equal(await h.answer(waits[3]!), "deleted");
      assert.equal(waits[4]!.done, false);
      await h.broker.flushAll();
      assert.equal(await h.answer(waits[4]!), "deleted");
      assert.equal(await h.broker.show(flush), null);
      assert.deepEqual([await h.state(consume), await h.state(ack)], [null, null]);
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    it('"deleted" when the job\'s queue is flushed or the job is dead-lettered', async () => {
      const h = await open();
      const flushed = await h.add("q", "a");
      const dead = await h.add("r", "b", { retryBudget: 0 });
      const onFlush = await h.pending(() => h.broker.waitJob(flushed, 0));
      const onDeadLetter = await h.pending(() => h.broker.waitJob(dead, 0));
      assert.equal(await h.broker.retryJob("r", dead), "deadlettered");
      assert.equal(await h.answer(onDeadLetter), "deleted");
      assert.equal(onFlush.done, false);
      assert.equal(await h.broker.flushQueue("q"), 1);
      assert.equal(await h.answer(onFlush), "deleted");
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    it('"expired" when the TTL ends during the wait', async () => {
      const h = await open();
      const id = await h.add("q", "x", { ttl: 10 });
      const w = await h.pending(() => h.broker.waitJob(id, 0));
      await h.advance(9_999);
      assert.equal(w.done, false);
      await h.advance(1);
      assert.equal(await h.answer(w), "expired");
    });

    it("null on time-out (by the clock) and on abort; the job stays", async () => {
      const h = await open();
      const id = await h.add("q");
      const timed = await h.pending(() => h.broker.waitJob(id, 2000));
      await h.advance(1999);
      assert.equal(timed.done, false);
      await h.advance(1);
      assert.equal(await h.answer(timed), null);
      const ctl = new AbortController();
      const aborted = await h.pending(() => h.broker.waitJob(id, 0, ctl.signal));
      assert.equal(aborted.done, false);
      ctl.abort();
      assert.equal(await h.answer(aborted), null);
      assert.equal(await h.state(id), "queued");
      assert.equal((await h.broker.stats()).blockedClients, 0);
    });

    it("a NACK, a delivery or a re-queue does not end the wait", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 5 });
      const w = await h.pending(() => h.broker.waitJob(id, 0));
      await h.take("q");
      await h.broker.nack([id]);
      await h.take("q");
      await h.advance(5_000);
      assert.equal(await h.state(id), "queued");
      assert.equal(w.done, false);
      await h.broker.ackJobs([id]);
      assert.equal(await h.answer(w), "acked");
    });
  });
});
