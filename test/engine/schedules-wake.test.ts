import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Engine, ManualClock } from "../../src/stores/embedded/engine/index.js";
import { T0 } from "../helpers/broker.js";

/**
 * Schedules ride the engine's one timer path: the ticker arms one Node timer
 * for nextWakeAt() and is told (onWake) when it moves earlier; schedules have
 * no timer of their own.
 */
describe("a schedule's due time drives the engine's wake time", () => {
  it("nextWakeAt is the earliest due schedule; onWake tells when an upsert moves it earlier", () => {
    const wakes: number[] = [];
    const engine = new Engine({ clock: new ManualClock(T0), onWake: (at) => wakes.push(at) });
    assert.equal(engine.nextWakeAt(), Infinity);
    const template = { queue: "q", body: Buffer.from("x") };
    engine.upsertSchedule({ name: "slow", everyMs: 60_000, template });
    assert.equal(engine.nextWakeAt(), T0 + 60_000);
    engine.upsertSchedule({ name: "fast", everyMs: 5_000, template });
    assert.equal(engine.nextWakeAt(), T0 + 5_000);
    assert.deepEqual(wakes, [T0 + 60_000, T0 + 5_000]);
    engine.upsertSchedule({ name: "slower", everyMs: 120_000, template });
    assert.deepEqual(wakes, [T0 + 60_000, T0 + 5_000], "a later due time wakes nobody");
    assert.equal(engine.removeSchedule("fast"), 1);
    assert.equal(engine.nextWakeAt(), T0 + 60_000);
  });

  it("any command runs the due schedules first, as it runs the other timers", () => {
    const clock = new ManualClock(T0);
    const engine = new Engine({ clock });
    engine.upsertSchedule({ name: "s", everyMs: 1_000, template: { queue: "q", body: Buffer.from("x") } });
    clock.advance(1_000);
    assert.equal(engine.qlen("q"), 1);
    assert.equal(engine.nextWakeAt(), T0 + 2_000);
  });

  it("a run whose add fails for a passing reason (the journal) stays due, and is tried again a second later", () => {
    const clock = new ManualClock(T0);
    let failing = true;
    const engine = new Engine({
      clock,
      onChange: (change) => {
        if (failing && change.type === "add") throw new Error("the journal cannot write");
      },
    });
    engine.upsertSchedule({ name: "s", everyMs: 10_000, template: { queue: "q", body: Buffer.from("x") } });
    clock.advance(10_000);
    engine.runDue();
    assert.equal(engine.qlen("q"), 0);
    assert.equal(engine.getSchedule("s")?.nextRunAt, T0 + 10_000);
    assert.equal(engine.nextWakeAt(), T0 + 11_000);
    failing = false;
    clock.advance(1_000);
    const [job] = engine.qpeek("q", 10);
    assert.equal(job?.key, "schedule:s:" + String(T0 + 10_000));
    assert.deepEqual([engine.getSchedule("s")?.runs, engine.getSchedule("s")?.nextRunAt], [1, T0 + 20_000]);
  });

  it("a run whose progress cannot be recorded stays due; the retry's add is a duplicate, so one job", () => {
    const clock = new ManualClock(T0);
    let failing = true;
    const engine = new Engine({
      clock,
      onChange: (change) => {
        if (failing && change.type === "schedule" && change.schedule.runs > 0) throw new Error("the journal");
      },
    });
    engine.upsertSchedule({ name: "s", everyMs: 10_000, template: { queue: "q", body: Buffer.from("x") } });
    clock.advance(10_000);
    assert.doesNotThrow(() => engine.runDue());
    assert.equal(engine.qlen("q"), 1);
    assert.deepEqual([engine.getSchedule("s")?.runs, engine.nextWakeAt()], [0, T0 + 11_000]);
    failing = false;
    clock.advance(1_000);
    assert.equal(engine.qlen("q"), 1);
    assert.deepEqual([engine.getSchedule("s")?.runs, engine.getSchedule("s")?.lastRunAt], [1, T0 + 10_000]);
  });
});
