import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Engine, ManualClock } from "../../src/stores/embedded/engine/index.js";
import { storedJob } from "../helpers/journal.js";

/** The engine's recovery hooks, on the pure engine with a manual clock: none of them reports a change. */

const NOW = 1_700_000_000_000;

function engine() {
  const clock = new ManualClock(NOW);
  const changes: unknown[] = [];
  const e = new Engine({ clock, onChange: (change) => changes.push(change) });
  return { e, clock, changes };
}

const id = (n: number) => `D-0123abcd-${String(n).padStart(24, "A")}-05a1`;

describe("engine restore hooks", () => {
  it("restored jobs are queued in rank order (front-placed first); new jobs follow", () => {
    const { e, changes } = engine();
    assert.ok(
      e.apply({ type: "add", job: storedJob({ id: id(1), seq: 10, rank: 10, queue: "q", createdAt: NOW }) }),
    );
    assert.ok(
      e.apply({ type: "add", job: storedJob({ id: id(2), seq: 11, rank: -5, queue: "q", createdAt: NOW }) }),
    );
    assert.ok(
      e.apply({
        type: "add",
        job: storedJob({ id: id(3), seq: 12, rank: 12, queue: "q", createdAt: NOW, nacks: 2 }),
      }),
    );
    e.restoreNextSeq(20);
    assert.deepEqual(
      e.qpeek("q", 10).map((job) => job.id),
      [id(2), id(1), id(3)],
    );
    assert.equal(e.show(id(3))?.nacks, 2);
    const front = e.addJob({ queue: "q", body: Buffer.from("f"), placement: "front" });
    const back = e.addJob({ queue: "q", body: Buffer.from("b") });
    assert.equal(back.seq, 21, "sequence numbers continue after the restored ones");
    assert.deepEqual(
      e.qpeek("q", 10).map((job) => job.id),
      [front.id, id(2), id(1), id(3), back.id],
    );
    assert.equal(changes.length, 2, "only the two new ADDJOBs were reported");
  });

  it("expired jobs are not restored; delayed ones wait for their time", () => {
    const { e, clock } = engine();
    assert.equal(
      e.apply({ type: "add", job: storedJob({ id: id(1), createdAt: NOW - 10_000, ttl: 10 }) }),
      false,
    );
    assert.ok(
      e.apply({
        type: "add",
        job: storedJob({ id: id(2), seq: 2, rank: 2, createdAt: NOW, delay: 60, awakeAt: NOW + 60_000 }),
      }),
    );
    assert.equal(e.show(id(1)), null);
    assert.equal(e.show(id(2))?.state, "active");
    assert.equal(e.qlen("emails"), 0);
    clock.advance(60_000);
    e.runDue();
    assert.equal(e.qlen("emails"), 1);
  });

  it("a replay judges its jobs against the moment it began; its timers catch up after", () => {
    const { e, clock, changes } = engine();
    e.beginRestore();
    // the replay takes a while: by these records the clock has passed both jobs' times
    clock.advance(5_000);
    const expiring = storedJob({ id: id(1), seq: 1, rank: 1, createdAt: NOW - 8_000, ttl: 10 });
    const waking = storedJob({ id: id(2), seq: 2, rank: 2, createdAt: NOW, delay: 3, awakeAt: NOW + 3_000 });
    assert.ok(e.apply({ type: "add", job: expiring }), "alive at the replay's start: restored");
    assert.ok(e.apply({ type: "add", job: waking }));
    e.finishRestore();
    assert.deepEqual(changes, [], "a replay records nothing");
    e.runDue();
    assert.equal(e.show(id(1)), null, "its TTL passed: the first timer run expires it");
    assert.equal(e.qlen("emails"), 1, "its delay is over: the first timer run queues it");
    // outside a replay the clock is read for each record, as before
    assert.equal(
      e.apply({
        type: "add",
        job: storedJob({ id: id(3), seq: 3, rank: 3, createdAt: NOW - 8_000, ttl: 10 }),
      }),
      false,
    );
  });

  it("a seq handed out before the restart stays taken, even when its job expired while the server was down", () => {
    // Found by the differential test's replayed column (seed 3366261980): a NACK placed a job at
    // the back (rank 7, the next seq); the job's TTL passed; the rebuilt engine's next seq was 7.
    const expired = (n: number, seq: number) =>
      storedJob({ id: id(n), seq, rank: seq, queue: "q", createdAt: NOW - 60_000, ttl: 10 });
    const attempt = { at: NOW - 55_000, cause: "nack" as const, error: "" };
    const cases: Array<[string, (e: Engine) => void, number]> = [
      [
        "a failure's re-queue",
        (e) => {
          e.apply({ type: "add", job: expired(1, 1) });
          e.apply({
            type: "failed",
            id: id(1),
            rank: 7,
            nacks: 1,
            additionalDeliveries: 0,
            retryBudget: -1,
            retryBudgetLeft: -1,
            awakeAt: 0,
            attempt,
          });
        },
        8,
      ],
      [
        "a retry's re-queue",
        (e) => {
          e.apply({ type: "add", job: expired(1, 1) });
          e.apply({ type: "retry", id: id(1), rank: 9, retriesLeft: 0, nacks: 1 });
        },
        10,
      ],
      [
        "a redriven job (its record is not a job record)",
        (e) => e.apply({ type: "redrive", queue: "q", deadId: id(1), job: expired(2, 11) }),
        12,
      ],
    ];
    for (const [what, replay, next] of cases) {
      const { e } = engine();
      e.beginRestore();
      replay(e);
      e.finishRestore();
      assert.equal(e.peekNextSeq(), next, what);
    }
  });

  it("forgetJob removes a job, restoreCounters sets counters and ends a delay", () => {
    const { e, changes } = engine();
    e.apply({ type: "add", job: storedJob({ id: id(1), seq: 1, rank: 1, createdAt: NOW }) });
    e.apply({
      type: "add",
      job: storedJob({ id: id(2), seq: 2, rank: 2, createdAt: NOW, delay: 60, awakeAt: NOW + 60_000 }),
    });
    e.forgetJob(id(1));
    e.forgetJob(id(9)); // unknown: nothing
    assert.equal(e.show(id(1)), null);
    assert.equal(e.qlen("emails"), 0);
    e.apply({ type: "counters", id: id(2), nacks: 1, additionalDeliveries: 3 });
    assert.equal(e.qlen("emails"), 1);
    assert.equal(e.show(id(2))?.nacks, 1);
    assert.equal(e.show(id(2))?.additionalDeliveries, 3);
    // replacing: forget, then restore the later version
    e.forgetJob(id(2));
    e.apply({ type: "add", job: storedJob({ id: id(2), seq: 2, rank: 2, createdAt: NOW, nacks: 4 }) });
    assert.equal(e.show(id(2))?.nacks, 4);
    assert.equal(e.qlen("emails"), 1);
    assert.deepEqual(changes, []);
  });

  it("pause states, and the snapshot iterators", () => {
    const { e } = engine();
    e.apply({ type: "pause", queue: "p", state: "out" });
    e.apply({ type: "pause", queue: "nowhere", state: "none" });
    assert.equal(e.qstat("nowhere"), null, "a `none` for an unknown queue creates nothing");
    for (let n = 1; n <= 5; n++)
      e.apply({ type: "add", job: storedJob({ id: id(n), seq: n * 2, rank: n * 2, createdAt: NOW }) });
    assert.deepEqual(e.pausedQueues(), [["p", "out"]]);
    assert.deepEqual(
      [...e.jobsFrom(5)].map((job) => job.seq),
      [6, 8, 10],
    );
    assert.equal(e.peekNextSeq(), 11);
  });
});
