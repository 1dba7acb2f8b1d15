import assert from "node:assert/strict";
import { readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { DEFAULT_FAILURES, parseBackoff } from "../../src/core/failures.js";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import { T0 } from "../helpers/broker.js";
import { setRecordedDurable } from "../helpers/journal.js";
import { JournaledEngine } from "../conformance/replayed.js";

/**
 * The failure state (docs/failures.md) across restarts: results, backoffs,
 * attempts, queue policies and dead letters come back from the journal and
 * from a snapshot; a record of each new kind torn by a crash is cut cleanly.
 */

let store: JournaledEngine | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function open(): Promise<JournaledEngine> {
  store = await JournaledEngine.open(new ManualClock(T0));
  return store;
}

/** The restart under test: from the journal alone, or from a snapshot (then the journal after it). */
async function restart(s: JournaledEngine, fromSnapshot: boolean): Promise<void> {
  if (fromSnapshot) {
    await s.compact();
    assert.ok(
      readdirSync(s.dir).some((name) => name.endsWith(".snap")),
      "a snapshot was written",
    );
  }
  await s.reopen();
}

const body = (text: string) => Buffer.from(text);

for (const fromSnapshot of [false, true]) {
  describe(`failure state after a restart ${fromSnapshot ? "from a snapshot" : "from the journal"}`, () => {
    it("a result survives, waitJob still answers acked, and it expires after its time", async () => {
      const s = await open();
      s.configureFailures({ ...DEFAULT_FAILURES, resultTtlMs: 60_000 });
      const { id } = s.engine.addJob({ queue: "q", body: body("a") });
      s.clock.advance(10);
      assert.equal(s.engine.ackJobs([id], body("the answer")), 1);
      await restart(s, fromSnapshot);
      const kept = s.engine.result(id);
      assert.ok(kept);
      assert.deepEqual(
        [kept.body.toString(), kept.queue, kept.completedAt, kept.expiresAt],
        ["the answer", "q", T0 + 10, T0 + 60_010],
      );
      assert.equal(s.engine.waitJob(id, 0), "acked");
      assert.deepEqual([s.engine.stats().results, s.engine.stats().resultBytes], [1, 10]);
      s.clock.advance(60_000);
      s.engine.runDue();
      assert.equal(s.engine.result(id), null);
      await s.reopen();
      assert.equal(s.engine.result(id), null, "expired results are not replayed");
    });

    it("a backoff still waits, with its attempts, budget and policy", async () => {
      const s = await open();
      const backoff = parseBackoff("fixed:5000");
      const { id } = s.engine.addJob({
        queue: "q",
        body: body("a"),
        retryBudget: 3,
        backoff,
        runTimeoutMs: 2000,
      });
      s.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
      assert.equal(s.engine.nack([id], { backoff: true, error: "boom" }), 1);
      s.clock.advance(1000);
      await restart(s, fromSnapshot);
      const shown = s.engine.show(id)!;
      assert.deepEqual(
        [shown.state, shown.backoffUntil, shown.retryBudget, shown.retryBudgetLeft, shown.runTimeoutMs],
        ["backoff", T0 + 5000, 3, 2, 2000],
      );
      assert.deepEqual(shown.backoff, backoff);
      assert.deepEqual(shown.attempts, [{ at: T0, cause: "nack", error: "boom" }]);
      assert.equal(s.engine.qstat("q")?.backingOff ?? 0, 1);
      s.clock.advance(3999);
      s.engine.runDue();
      assert.equal(s.engine.show(id)!.state, "backoff");
      s.clock.advance(1);
      s.engine.runDue();
      assert.equal(s.engine.show(id)!.state, "queued");
    });

    it("queue policies survive; removing one survives too", async () => {
      const s = await open();
      const policy = {
        retryBudget: 4,
        backoff: parseBackoff("exponential:100:5000:jitter"),
        runTimeoutMs: 900,
        deadLetterCap: 7,
      };
      s.engine.setQueuePolicy("p", policy);
      s.engine.setQueuePolicy("gone", { retryBudget: 1 });
      s.engine.setQueuePolicy("gone", {});
      await restart(s, fromSnapshot);
      assert.deepEqual(s.engine.queuePolicy("p"), policy);
      assert.deepEqual(s.engine.queuePolicy("gone"), {});
      const job = s.engine.show(s.engine.addJob({ queue: "p", body: body("x") }).id)!;
      assert.deepEqual([job.retryBudget, job.runTimeoutMs], [4, 900]);
    });

    it("dead letters keep their attempts; purges and evictions stay done", async () => {
      const s = await open();
      s.engine.setQueuePolicy("q", { deadLetterCap: 2 });
      const ids: string[] = [];
      for (const name of ["a", "b", "c", "d"]) {
        const { id } = s.engine.addJob({ queue: "q", body: body(name), retryBudget: 0 });
        s.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
        s.engine.nack([id], { error: `error ${name}` });
        ids.push(id);
      }
      // a and b were evicted by the cap; c is purged
      assert.equal(s.engine.purgeDeadLetters("q", { ids: [ids[2]!] }), 1);
      await restart(s, fromSnapshot);
      const letters = s.engine.deadLetters("q", 10);
      assert.deepEqual(
        letters.map((letter) => [letter.id, letter.retryBudget, letter.attempts.map((x) => x.error)]),
        [[ids[3], 0, ["error d"]]],
      );
      assert.equal(s.engine.deadLetter(ids[0]!), null);
      assert.equal(s.engine.redrive("q", { ids: [ids[3]!] }), 1);
      await s.reopen();
      assert.equal(s.engine.deadLetters("q", 10).length, 0);
      const [fresh] = s.engine.qpeek("q", 10);
      assert.deepEqual([fresh?.body.toString(), fresh?.retryBudget, fresh?.attempts], ["d", 0, undefined]);
    });
  });
}

/** The newest journal file's path and size. */
function newestJournal(dir: string): { path: string; size: number } {
  const names = readdirSync(dir)
    .filter((name) => /^journal-\d+\.log$/.test(name))
    .sort((x, y) => Number(/\d+/.exec(x)![0]) - Number(/\d+/.exec(y)![0]));
  const path = join(dir, names.at(-1)!);
  return { path, size: statSync(path).size };
}

describe("a record of each new kind torn by a crash (kill -9 mid-write)", () => {
  /**
   * Builds a state, then makes one more change whose first record is cut a
   * few bytes in: the restart cuts the torn tail and comes back exactly as
   * before that change.
   */
  const cases: Array<{
    kind: string;
    change: (s: JournaledEngine, id: string) => void;
  }> = [
    { kind: "failed", change: (s, id) => s.engine.nack([id], { error: "torn", delayMs: 500 }) },
    { kind: "deadletter", change: (s, id) => s.engine.nack([id], { error: "torn" }) },
    { kind: "deadpurge", change: (s) => s.engine.purgeDeadLetters("q", { count: 1 }) },
    { kind: "result", change: (s, id) => s.engine.ackJobs([id], body("torn result")) },
    { kind: "policy", change: (s) => s.engine.setQueuePolicy("q", { retryBudget: 9 }) },
  ];
  for (const { kind, change } of cases) {
    it(`${kind}: cut, and the state before it comes back`, async () => {
      const s = await open();
      const dead = s.engine.addJob({ queue: "q", body: body("dead"), retryBudget: 0 }).id;
      s.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
      s.engine.nack([dead], { error: "first" });
      const { id } = s.engine.addJob({ queue: "q", body: body("a"), retryBudget: 1 });
      s.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
      s.engine.nack([id], { error: "kept" });
      s.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
      await s.reopen(); // everything so far is on disk
      const before = newestJournal(s.dir).size;
      const snapshot = () => ({
        job: s.engine.show(id),
        letters: s.engine.deadLetters("q", 10).map((l) => [l.id, l.attempts]),
        result: s.engine.result(id),
        policy: s.engine.queuePolicy("q"),
      });
      const expected = snapshot();
      s.engine.getJobs({ queues: ["q"], count: 1, nohang: true, timeoutMs: 0 });
      change(s, id);
      await s.reopen((dir) => {
        const { path, size } = newestJournal(dir);
        assert.ok(size > before + 8, `the ${kind} change wrote a record`);
        setRecordedDurable(dir, before);
        truncateSync(path, before + 6);
      });
      assert.deepEqual(snapshot(), expected);
      // and the journal goes on after the cut
      s.engine.setQueuePolicy("q", { retryBudget: 2 });
      await s.reopen();
      assert.deepEqual(s.engine.queuePolicy("q"), { retryBudget: 2 });
    });
  }
});
