import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { RECENT_FETCH_WINDOW_MS, explanation, type Consumer } from "../../src/core/explain.js";
import { T0 } from "../helpers/broker.js";
import { forEachStore } from "./suite.js";

/**
 * EXPLAIN (docs/explain.md): every cause, the same facts on every store,
 * driven by the ManualClock. (`explain` is not one of the replayed store's
 * observing calls: its facts are not journaled, a restart forgets them.)
 */

const X: Consumer = { id: "17", addr: "10.0.0.7:41000" };
const Y: Consumer = { id: "18", addr: "10.0.0.8:41000" };

forEachStore((open) => {
  describe("EXPLAIN", () => {
    it("unknown: never added, or deleted", async () => {
      const h = await open();
      const id = await h.add("q");
      assert.equal(await h.broker.deleteJobs([id]), 1);
      const facts = await h.broker.explain(id);
      assert.deepEqual(facts, { id, cause: "unknown", observedAt: T0 });
      assert.match(explanation(facts).text, /^no such job/);
    });

    it("delayed: until its DELAY is over", async () => {
      const h = await open();
      const id = await h.add("q", "x", { delay: 30 });
      await h.advance(8000);
      const facts = await h.broker.explain(id);
      assert.deepEqual(facts, {
        id,
        cause: "delayed",
        observedAt: T0 + 8000,
        queue: "q",
        until: T0 + 30_000,
      });
      assert.equal(explanation(facts).text, "delayed until 22:13:50 (22 s)");
    });

    it("paused: out, since when and by whom; ready again once resumed", async () => {
      const h = await open();
      await h.add("q", "a");
      const id = await h.add("q", "b");
      await h.advance(1000);
      assert.equal(await h.broker.pause("q", ["out"], X), "out");
      await h.advance(500);
      let facts = await h.broker.explain(id);
      assert.deepEqual(facts, {
        id,
        cause: "paused",
        observedAt: T0 + 1500,
        queue: "q",
        position: 2,
        ready: 2,
        pause: "out",
        pausedSince: T0 + 1000,
        pausedBy: X,
      });
      assert.equal(
        explanation(facts).text,
        "queue paused out since 22:13:21 by client 17 (10.0.0.7:41000); position 2 of 2",
      );
      await h.broker.pause("q", ["none"], X);
      facts = await h.broker.explain(id);
      assert.equal(facts.cause, "ready");
    });

    it("paused by a door that names no client: since, by nobody", async () => {
      const h = await open();
      const id = await h.add("q");
      await h.broker.pause("q", ["all"]);
      const facts = await h.broker.explain(id);
      assert.deepEqual(
        [facts.cause, facts.pause, facts.pausedSince, facts.pausedBy],
        ["paused", "all", T0, null],
      );
    });

    it("backoff: after attempt N, with its error and when it is queued again", async () => {
      const h = await open();
      const id = await h.add("q");
      await h.take("q", 1, { consumer: X });
      await h.broker.nack([id], { delayMs: 5000, error: "connection refused" });
      let facts = await h.broker.explain(id);
      assert.deepEqual(facts, {
        id,
        cause: "backoff",
        observedAt: T0,
        queue: "q",
        until: T0 + 5000,
        attempt: 1,
        error: "connection refused",
      });
      await h.advance(5000);
      await h.take("q", 1, { consumer: X });
      await h.broker.nack([id], { delayMs: 10_000, error: "timeout talking to db" });
      facts = await h.broker.explain(id);
      assert.deepEqual(
        [facts.cause, facts.attempt, facts.error, facts.until],
        ["backoff", 2, "timeout talking to db", T0 + 15_000],
      );
      assert.equal(
        explanation(facts).text,
        "backing off after attempt 2 (error: timeout talking to db); queued again at 22:13:35 (10 s)",
      );
    });

    it("leased: to the consumer that fetched it, until its lease runs out; then its WORKING", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 60 });
      await h.advance(1000);
      assert.deepEqual(
        ((await h.take("q", 1, { consumer: X })) ?? []).map((d) => d.id),
        [id],
      );
      await h.advance(2000);
      let facts = await h.broker.explain(id);
      assert.deepEqual(facts, {
        id,
        cause: "leased",
        observedAt: T0 + 3000,
        queue: "q",
        until: T0 + 61_000,
        leasedTo: X,
        leasedAt: T0 + 1000,
        lastWorkingAt: null,
      });
      assert.equal(
        explanation(facts).text,
        "leased to client 17 (10.0.0.7:41000) until 22:14:21 (58 s); it has not sent WORKING",
      );
      assert.equal(await h.broker.working(id), 60);
      await h.advance(12_000);
      facts = await h.broker.explain(id);
      assert.deepEqual(
        [facts.cause, facts.lastWorkingAt, facts.until, facts.leasedTo],
        ["leased", T0 + 3000, T0 + 63_000, X],
      );
      assert.match(explanation(facts).text, /it sent WORKING 12 s ago$/);
    });

    it("leased by a blocked fetch: to the consumer that waited", async () => {
      const h = await open();
      const fetch = await h.block({ queues: ["q"], consumer: Y });
      const id = await h.add("q", "x", { retry: 30 });
      assert.deepEqual(
        ((await h.answer(fetch)) ?? []).map((d) => d.id),
        [id],
      );
      const facts = await h.broker.explain(id);
      assert.deepEqual([facts.cause, facts.leasedTo, facts.until], ["leased", Y, T0 + 30_000]);
    });

    it("leased at most once (RETRY 0): never queued again; no consumer named: a client that has gone", async () => {
      const h = await open();
      const id = await h.add("q", "x", { retry: 0 });
      await h.take("q");
      const facts = await h.broker.explain(id);
      assert.deepEqual([facts.cause, facts.until, facts.leasedTo], ["leased", 0, null]);
      assert.match(
        explanation(facts).text,
        /^leased to a client that has gone \(at-most-once: never re-queued\)/,
      );
    });

    it("ready: its position of n, no recent fetcher, then the last fetch and the recent fetchers", async () => {
      const h = await open();
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) ids.push(await h.add("q", `job ${i}`));
      const third = ids[2]!;
      let facts = await h.broker.explain(third);
      assert.deepEqual(facts, {
        id: third,
        cause: "ready",
        observedAt: T0,
        queue: "q",
        position: 3,
        ready: 5,
        recentFetchers: 0,
        lastFetch: null,
      });
      assert.equal(
        explanation(facts).text,
        "ready, position 3 of 5; 0 consumers have fetched from this queue in the last 5 min; nobody has fetched from it since the server started",
      );
      await h.advance(1000);
      await h.take(["other", "q"], 1, { consumer: X });
      await h.advance(4000);
      facts = await h.broker.explain(third);
      assert.deepEqual([facts.position, facts.ready, facts.recentFetchers], [2, 4, 1]);
      assert.deepEqual(facts.lastFetch, { at: T0 + 1000, consumer: X, queues: ["other", "q"] });
      assert.equal(
        explanation(facts).text,
        "ready, position 2 of 4; 1 consumer has fetched from this queue in the last 5 min; the last fetch was from 10.0.0.7:41000 on queues [other, q] 4 s ago",
      );
      await h.take("q", 1, { consumer: Y });
      await h.take("q", 1, { consumer: X });
      facts = await h.broker.explain(ids[4]!);
      assert.deepEqual([facts.position, facts.ready, facts.recentFetchers], [2, 2, 2]);
      assert.deepEqual(facts.lastFetch?.consumer, X);
      await h.advance(RECENT_FETCH_WINDOW_MS + 1);
      facts = await h.broker.explain(ids[4]!);
      assert.equal(facts.recentFetchers, 0, "the fetches are older than the window");
      assert.equal(facts.lastFetch?.at, T0 + 5000, "the last fetch is still told");
    });

    it("ready: a fetch served by an earlier queue still counts on every queue it named", async () => {
      const h = await open();
      await h.add("a", "first");
      const id = await h.add("b", "second");
      assert.equal((await h.take(["a", "b"], 1, { consumer: X }))?.length, 1);
      const facts = await h.broker.explain(id);
      assert.deepEqual(
        [facts.cause, facts.recentFetchers, facts.lastFetch?.queues],
        ["ready", 1, ["a", "b"]],
      );
      assert.deepEqual(facts.lastFetch?.consumer, X);
    });

    it("ready: a blocked fetch counts on each of its queues, also after it timed out", async () => {
      const h = await open();
      const fetch = await h.block({ queues: ["a", "b"], consumer: Y, timeoutMs: 1000 });
      await h.advance(1000);
      assert.equal(await h.answer(fetch), null);
      const id = await h.add("b");
      const facts = await h.broker.explain(id);
      assert.deepEqual([facts.cause, facts.recentFetchers], ["ready", 1]);
      assert.deepEqual(facts.lastFetch, { at: T0, consumer: Y, queues: ["a", "b"] });
    });

    it("ready: a fetch whose door names no client is remembered as an unnamed one", async () => {
      const h = await open();
      await h.add("q", "a");
      const id = await h.add("q", "b");
      await h.take("q");
      const facts = await h.broker.explain(id);
      assert.deepEqual([facts.recentFetchers, facts.lastFetch?.queues], [1, ["q"]]);
      assert.equal(facts.lastFetch?.consumer.addr, "an unnamed client");
    });

    it("dead: its reason, when, and the last attempt's error", async () => {
      const h = await open();
      await h.broker.setQueuePolicy("q", { retryBudget: 1 });
      const id = await h.add("q");
      await h.take("q", 1, { consumer: X });
      await h.broker.nack([id], { error: "first" });
      await h.advance(2000);
      await h.take("q", 1, { consumer: X });
      await h.broker.nack([id], { error: "disk full" });
      const facts = await h.broker.explain(id);
      assert.equal(facts.cause, "dead");
      assert.deepEqual(
        [facts.attempt, facts.error, facts.deadAt, facts.queue],
        [2, "disk full", T0 + 2000, "q"],
      );
      assert.equal(typeof facts.deadReason, "string");
      assert.equal(
        explanation(facts).text,
        `dead since 22:13:22 (${facts.deadReason}); last error: disk full`,
      );
    });

    it("done: acked with a result still kept; unknown once it expired", async () => {
      const h = await open();
      const id = await h.add("q");
      await h.take("q", 1, { consumer: X });
      await h.advance(3000);
      assert.equal(await h.broker.ackJobs([id], Buffer.from("ok")), 1);
      const facts = await h.broker.explain(id);
      assert.deepEqual(facts, {
        id,
        cause: "done",
        observedAt: T0 + 3000,
        queue: "q",
        completedAt: T0 + 3000,
      });
      assert.equal(explanation(facts).text, "done: acked at 22:13:23; its result is kept");
      await h.advance(2 * 3600_000);
      assert.equal((await h.broker.explain(id)).cause, "unknown");
    });

    it("refuses a malformed id", async () => {
      const h = await open();
      await h.expectError(() => h.broker.explain("nope"), "BADID");
    });
  });

  describe("QSTAT's counts for the dashboard", () => {
    it("delayed, in flight and the oldest ready job's age", async () => {
      const h = await open();
      const first = await h.addJob("q", "a");
      await h.advance(1000);
      await h.add("q", "b", { retry: 600 });
      await h.add("q", "c");
      await h.add("q", "later", { delay: 60 });
      let stat = (await h.broker.qstat("q"))!;
      assert.deepEqual([stat.len, stat.delayed, stat.inFlight, stat.backingOff], [3, 1, 0, 0]);
      assert.equal(stat.oldestReadyAt, T0, `${first.id} is the head`);
      await h.take("q", 2, { consumer: X });
      stat = (await h.broker.qstat("q"))!;
      assert.deepEqual([stat.len, stat.delayed, stat.inFlight], [1, 1, 2]);
      assert.equal(stat.oldestReadyAt, T0 + 1000);
      const [c] = await h.ids("q");
      await h.broker.nack([c!], { delayMs: 5000 });
      stat = (await h.broker.qstat("q"))!;
      assert.deepEqual([stat.len, stat.delayed, stat.inFlight, stat.backingOff], [0, 1, 2, 1]);
      assert.equal(stat.oldestReadyAt, null);
      await h.broker.ackJobs([first.id]);
      await h.advance(60_000);
      stat = (await h.broker.qstat("q"))!;
      assert.deepEqual([stat.len, stat.delayed, stat.inFlight, stat.backingOff], [2, 0, 1, 0]);
    });
  });
});
