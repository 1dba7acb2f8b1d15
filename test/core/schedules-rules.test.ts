import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { advanceSchedule, nextDueAfter, type ScheduleInfo } from "../../src/core/schedules.js";

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

function info(
  timing: { cron?: string; timezone?: string; everyMs?: number },
  nextRunAt: number,
): ScheduleInfo {
  return {
    name: "s",
    ...timing,
    template: { queue: "q", body: Buffer.from("x") },
    nextRunAt,
    lastRunAt: null,
    lastJobId: null,
    runs: 0,
    createdAt: T0,
  };
}

describe("advanceSchedule: the missed-run policy (one job, for the latest due time that passed)", () => {
  it("an interval schedule 35 s late runs once, for the latest due time, and continues after now", () => {
    const due = advanceSchedule(info({ everyMs: 10_000 }, T0 + 10_000), T0 + 35_000);
    assert.deepEqual(due, { dueAt: T0 + 30_000, nextRunAt: T0 + 40_000 });
  });

  it("a cron schedule late by several ticks runs once, for the latest", () => {
    const due = advanceSchedule(info({ cron: "*/10 * * * * *" }, T0 + 10_000), T0 + 35_500);
    assert.deepEqual(due, { dueAt: T0 + 30_000, nextRunAt: T0 + 40_000 });
  });

  it("a schedule on time runs its own due time", () => {
    assert.deepEqual(advanceSchedule(info({ everyMs: 10_000 }, T0 + 10_000), T0 + 10_000), {
      dueAt: T0 + 10_000,
      nextRunAt: T0 + 20_000,
    });
    assert.deepEqual(advanceSchedule(info({ cron: "*/10 * * * * *" }, T0 + 10_000), T0 + 10_999), {
      dueAt: T0 + 10_000,
      nextRunAt: T0 + 20_000,
    });
  });

  it("a cron in a time zone is due at that zone's wall time", () => {
    // 09:30 in Paris is 08:30 UTC in January
    const paris = { cron: "30 9 * * *", timezone: "Europe/Paris" };
    assert.equal(nextDueAfter(info(paris, 0), T0, T0), T0 + 8.5 * 3_600_000);
    const late = advanceSchedule(info(paris, T0 + 8.5 * 3_600_000), T0 + 3 * 86_400_000);
    assert.equal(late.dueAt, T0 + 2 * 86_400_000 + 8.5 * 3_600_000);
    assert.equal(late.nextRunAt, T0 + 3 * 86_400_000 + 8.5 * 3_600_000);
  });
});
