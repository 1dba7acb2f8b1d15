import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { IdleQueues, KNOWN_EMPTY_MS } from "../../src/stores/redis/idle-queues.js";
import { T0 } from "../helpers/broker.js";

/**
 * The bookkeeping behind GETJOB's skip (src/stores/redis/idle-queues.ts), on
 * the orders of events a real deployment only produces by chance: a wake-up
 * that arrives while the take that finds the queue empty is in flight.
 */
/** a take that may block (it made the queue known) asked at `stamp` found no ready job at `at` */
function takeFoundEmpty(idle: IdleQueues, queue: string, stamp: number, at = T0): void {
  idle.madeKnown(queue, at);
  idle.foundEmpty(queue, stamp, at);
}

describe("Redis store: queues known empty", () => {
  it("a take's finding counts when nothing happened to the queue while it was in flight", () => {
    const idle = new IdleQueues();
    const stamp = idle.stamp("q");
    assert.equal(idle.isEmpty("q", T0), false, "nothing is known before a take");
    takeFoundEmpty(idle, "q", stamp);
    assert.equal(idle.isEmpty("q", T0), true);
    assert.equal(idle.isEmpty("other", T0), false);
  });

  it("a wake-up between the take's asking and its empty answer: the queue is not known empty", () => {
    const idle = new IdleQueues();
    const stamp = idle.stamp("q");
    idle.changed("q");
    takeFoundEmpty(idle, "q", stamp);
    assert.equal(idle.isEmpty("q", T0), false);
  });

  it("a wake-up after the answer ends what was known; another queue's does not", () => {
    const idle = new IdleQueues();
    takeFoundEmpty(idle, "q", idle.stamp("q"));
    takeFoundEmpty(idle, "r", idle.stamp("r"));
    idle.changed("q");
    assert.deepEqual([idle.isEmpty("q", T0), idle.isEmpty("r", T0)], [false, true]);
  });

  it("what is known runs out after KNOWN_EMPTY_MS", () => {
    const idle = new IdleQueues();
    takeFoundEmpty(idle, "q", idle.stamp("q"));
    assert.equal(idle.isEmpty("q", T0 + KNOWN_EMPTY_MS - 1), true);
    assert.equal(idle.isEmpty("q", T0 + KNOWN_EMPTY_MS), false);
  });

  it("forgetting everything also voids the takes in flight", () => {
    const idle = new IdleQueues();
    const stamp = idle.stamp("q");
    takeFoundEmpty(idle, "r", idle.stamp("r"));
    idle.forgetAll();
    takeFoundEmpty(idle, "q", stamp);
    assert.deepEqual([idle.isEmpty("q", T0), idle.isEmpty("r", T0)], [false, false]);
    takeFoundEmpty(idle, "q", idle.stamp("q"));
    assert.equal(idle.isEmpty("q", T0), true, "a take asked after it counts");
  });

  it("a queue is known while a take made it known (or took jobs) lately; hiding it ends that", () => {
    const idle = new IdleQueues();
    assert.equal(idle.isKnown("q", T0), false);
    idle.madeKnown("q", T0);
    assert.equal(idle.isKnown("q", T0 + KNOWN_EMPTY_MS - 1), true);
    assert.equal(idle.isKnown("q", T0 + KNOWN_EMPTY_MS), false);
    // a take that neither made it known nor took a job (a serving one) tells emptiness only
    idle.foundEmpty("q", idle.stamp("q"), T0 + KNOWN_EMPTY_MS);
    assert.deepEqual(
      [idle.isEmpty("q", T0 + KNOWN_EMPTY_MS), idle.isKnown("q", T0 + KNOWN_EMPTY_MS)],
      [true, false],
    );
    takeFoundEmpty(idle, "q", idle.stamp("q"), T0 + KNOWN_EMPTY_MS);
    idle.unknown("q");
    assert.deepEqual(
      [idle.isEmpty("q", T0 + KNOWN_EMPTY_MS), idle.isKnown("q", T0 + KNOWN_EMPTY_MS)],
      [false, false],
      "collected or flushed",
    );
  });

  it("past 10 000 queues the stamps are forgotten, never reused", () => {
    const idle = new IdleQueues();
    const stamp = idle.stamp("q");
    for (let i = 0; i < 10_001; i++) idle.changed(`queue ${i}`);
    takeFoundEmpty(idle, "q", stamp);
    assert.equal(idle.isEmpty("q", T0), false);
  });
});
