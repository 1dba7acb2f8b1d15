import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { JobScanOptions, QueueScanOptions } from "../../src/core/contract.js";
import { MAX_LISTING_COUNT, MAX_SCAN_COUNT } from "../../src/core/listing-limits.js";
import type { Harness } from "./harness.js";
import { forEachStore } from "./suite.js";

/** JSCAN and QSCAN: a cursor loop returns everything exactly once, filters apply. */

async function scanJobs(
  h: Harness,
  opts: Partial<JobScanOptions>,
  between?: (step: number) => Promise<void>,
): Promise<string[]> {
  const seen: string[] = [];
  let cursor = 0;
  let steps = 0;
  do {
    const r = await h.broker.jscan(cursor, { count: 7, busyloop: false, ...opts });
    seen.push(...r.items.map((j) => j.id));
    cursor = r.cursor;
    await between?.(steps++);
    assert.ok(steps < 10_000, "the scan must end");
  } while (cursor !== 0);
  return seen;
}

async function scanQueues(h: Harness, opts: Partial<QueueScanOptions>, between?: () => Promise<void>) {
  const seen: string[] = [];
  let cursor = 0;
  let steps = 0;
  do {
    const r = await h.broker.qscan(cursor, { count: 4, busyloop: false, ...opts });
    seen.push(...r.items);
    cursor = r.cursor;
    await between?.();
    assert.ok(++steps < 10_000, "the scan must end");
  } while (cursor !== 0);
  return seen;
}

const sorted = (xs: readonly (string | undefined)[]) => [...xs].sort();

function assertNoRepeats(items: string[]): void {
  assert.equal(new Set(items).size, items.length, "an item was returned twice");
}

forEachStore((open) => {
  describe("JSCAN", () => {
    it("walks every job exactly once with a cursor, COUNT at a time", async () => {
      const h = await open();
      const ids: string[] = [];
      for (let i = 0; i < 50; i++) ids.push(await h.add(`q${i % 3}`, String(i)));
      const first = await h.broker.jscan(0, { count: 10, busyloop: false });
      assert.equal(first.items.length, 10);
      assert.notEqual(first.cursor, 0);
      const seen = await scanJobs(h, {});
      assertNoRepeats(seen);
      assert.deepEqual(sorted(seen), sorted(ids));
      const all = await h.broker.jscan(0, { count: 1, busyloop: true });
      assert.equal(all.cursor, 0);
      assert.equal(all.items.length, 50);
    });

    it("every job present for the whole scan is returned exactly once while jobs come and go", async () => {
      const h = await open();
      const stable: string[] = [];
      for (let i = 0; i < 60; i++) stable.push(await h.add("q", `s${i}`));
      const churn: string[] = [];
      for (let i = 0; i < 40; i++) churn.push(await h.add("q", `c${i}`));
      const seen = await scanJobs(h, { count: 5 }, async (step) => {
        const gone = churn.splice(0, 2);
        if (gone.length) await h.broker.deleteJobs(gone);
        churn.push(await h.add("q", `n${step}a`), await h.add("r", `n${step}b`));
      });
      assertNoRepeats(seen);
      const seenSet = new Set(seen);
      for (const id of stable) assert.ok(seenSet.has(id), `stable job ${id} missing from the scan`);
    });

    it("filters by QUEUE and STATE (STATE repeatable, OR)", async () => {
      const h = await open();
      const q1: string[] = [];
      for (const n of ["a", "b", "c"]) q1.push(await h.add("one", n));
      const q2: string[] = [];
      for (const n of ["d", "e"]) q2.push(await h.add("two", n));
      await h.take("one");
      const delayed = await h.add("two", "f", { delay: 10 });
      assert.deepEqual(sorted(await scanJobs(h, { queue: "one" })), sorted(q1));
      assert.deepEqual(sorted(await scanJobs(h, { queue: "two", states: ["queued"] })), sorted(q2));
      assert.deepEqual(sorted(await scanJobs(h, { states: ["active"] })), sorted([q1[0], delayed]));
      assert.equal((await scanJobs(h, { states: ["active", "queued"] })).length, 6);
      assert.deepEqual(await scanJobs(h, { states: ["acked"] }), []);
      assert.equal((await scanJobs(h, { states: [] })).length, 6);
      assert.deepEqual(await scanJobs(h, { queue: "none" }), []);
      const full = await h.broker.jscan(0, { count: 100, busyloop: false, queue: "one", states: ["active"] });
      assert.equal(full.cursor, 0);
      assert.deepEqual(
        full.items.map((j) => [j.id, j.body.toString(), j.state]),
        [[q1[0], "a", "active"]],
      );
    });
  });

  describe("QSCAN", () => {
    it("walks queue names; MINLEN/MAXLEN filter on length; BUSYLOOP does it in one call", async () => {
      const h = await open();
      const names = Array.from({ length: 25 }, (_, i) => `q${i}`);
      for (const [i, name] of names.entries()) for (let k = 0; k < i % 4; k++) await h.add(name);
      const withJobs = names.filter((_, i) => i % 4 > 0);
      const all = await scanQueues(h, {});
      assertNoRepeats(all);
      assert.deepEqual(sorted(all), sorted(withJobs));
      assert.deepEqual(
        sorted(await scanQueues(h, { minlen: 2 })),
        sorted(names.filter((_, i) => i % 4 >= 2)),
      );
      assert.deepEqual(
        sorted(await scanQueues(h, { maxlen: 1 })),
        sorted(names.filter((_, i) => i % 4 === 1)),
      );
      assert.deepEqual(
        sorted(await scanQueues(h, { minlen: 2, maxlen: 2 })),
        sorted(names.filter((_, i) => i % 4 === 2)),
      );
      assert.deepEqual(await scanQueues(h, { importrate: 1 }), []);
      const one = await h.broker.qscan(0, { count: 1, busyloop: true });
      assert.equal(one.cursor, 0);
      assert.equal(one.items.length, withJobs.length);
      const first = await h.broker.qscan(0, { count: 4, busyloop: false });
      assert.equal(first.items.length, 4);
      assert.notEqual(first.cursor, 0);
    });

    it("returns every queue present for the whole scan exactly once while queues come and go", async () => {
      const h = await open();
      const stable = Array.from({ length: 30 }, (_, i) => `s${i}`);
      for (const q of stable) await h.add(q);
      let step = 0;
      const seen = await scanQueues(h, { count: 3 }, async () => {
        await h.add(`new${step++}`);
      });
      assertNoRepeats(seen);
      const seenSet = new Set(seen);
      for (const q of stable) assert.ok(seenSet.has(q), q);
    });
  });

  describe("bounded work per call", () => {
    const HUGE = 100_000_000;

    it("JSCAN and QSCAN visit at most MAX_SCAN_COUNT per call whatever COUNT says; the cursor carries the rest", async () => {
      const h = await open();
      const ids: string[] = [];
      for (let i = 0; i < MAX_SCAN_COUNT + 200; i++) ids.push(await h.add(`q${i % 1300}`));
      for (const busyloop of [false, true]) {
        const page = await h.broker.jscan(0, { count: HUGE, busyloop });
        assert.equal(page.items.length, MAX_SCAN_COUNT);
        assert.notEqual(page.cursor, 0);
        const rest = await h.broker.jscan(page.cursor, { count: HUGE, busyloop });
        assert.equal(rest.cursor, 0);
        assert.deepEqual(sorted([...page.items, ...rest.items].map((j) => j.id)), sorted(ids));
        const queues = await h.broker.qscan(0, { count: HUGE, busyloop });
        assert.equal(queues.items.length, MAX_SCAN_COUNT);
        assert.notEqual(queues.cursor, 0);
      }
    });

    it("QPEEK and dead-letter listings show at most MAX_LISTING_COUNT jobs", async () => {
      const h = await open();
      // a cap above the listing limit, so that no dead letter is evicted
      await h.broker.setQueuePolicy("q", { deadLetterCap: MAX_LISTING_COUNT + 5 });
      const ids: string[] = [];
      for (let i = 0; i < MAX_LISTING_COUNT + 5; i++)
        ids.push(await h.add("q", String(i), { retryBudget: 0 }));
      const oldest = await h.broker.qpeek("q", HUGE);
      assert.deepEqual(
        oldest.map((j) => j.id),
        ids.slice(0, MAX_LISTING_COUNT),
      );
      const newest = await h.broker.qpeek("q", -HUGE);
      assert.deepEqual(
        newest.map((j) => j.id),
        ids.slice(-MAX_LISTING_COUNT).reverse(),
      );
      for (const id of ids) assert.equal(await h.broker.retryJob("q", id), "deadlettered");
      const dead = await h.broker.deadLetters("q", HUGE);
      assert.deepEqual(
        dead.map((d) => d.id),
        ids.slice(0, MAX_LISTING_COUNT),
      );
      // REDRIVE is a write, not a listing: it still moves all it is asked for
      assert.equal(await h.broker.redrive("q", { count: HUGE }), ids.length);
    });
  });

  describe("Disque's GETJOB creates the queues it looks at", () => {
    it("a fetch that does not block makes each queue it looked at known, and only those", async () => {
      const h = await open();
      await h.add("has", "x");
      const fetch = (queues: string[], createQueues: boolean) =>
        h.broker.getJobs({ queues, count: 1, nohang: true, timeoutMs: 0, createQueues });
      assert.equal(await fetch(["plain"], false), null);
      assert.equal(await fetch(["fresh"], true), null);
      // COUNT 1 is reached at "has": "unseen" is never looked at
      assert.equal((await fetch(["has", "unseen"], true))?.length, 1);
      assert.equal(await fetch(["seen", "has"], true), null);
      assert.deepEqual((await scanQueues(h, {})).sort(), ["fresh", "has", "seen"]);
      assert.equal((await h.broker.qstat("fresh"))?.len, 0);
      assert.equal(await h.broker.qstat("plain"), null);
    });
  });
});
