import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ScheduleInfo } from "../../src/core/schedules.js";
import {
  FRAME_HEADER,
  RecordEncoder,
  RecordFormatError,
  checkFrame,
  decodeRecord,
  writeChange,
} from "../../src/stores/embedded/journal/record.js";
import { F_SCHEDULE_INFO, T_SCHEDULE } from "../../src/stores/embedded/journal/format.js";
import type { EngineChange } from "../../src/stores/embedded/engine/index.js";

/** The schedules' journal records (T_SCHEDULE 19, T_UNSCHEDULE 20): round trips, and a bad one refused. */

const cron: ScheduleInfo = {
  name: "nightly",
  cron: "0 3 * * *",
  timezone: "Europe/Paris",
  template: {
    queue: "reports",
    body: Buffer.from([0, 255, 1, 254]),
    ttl: 600,
    retry: 30,
    priority: 7,
    group: "tenant-1",
    retryBudget: 3,
    runTimeoutMs: 5000,
  },
  nextRunAt: 1_700_010_000_000,
  lastRunAt: 1_700_000_000_000,
  lastJobId: "D-325f53ad-FCtG5CriTrmqc+dizhktOzDe-05a1",
  runs: 12,
  createdAt: 1_699_000_000_000,
};
const every: ScheduleInfo = {
  name: "0",
  everyMs: 10_000,
  template: { queue: "q", body: Buffer.alloc(0) },
  nextRunAt: 10_000,
  lastRunAt: null,
  lastJobId: null,
  runs: 0,
  createdAt: 0,
};

function roundTrip(change: EngineChange): unknown {
  const enc = new RecordEncoder();
  const length = writeChange(enc, 0, change);
  const file = Buffer.concat(enc.take());
  assert.equal(file.length, length);
  const body = checkFrame(file, 0, file.length, 0);
  assert.equal(body, length - FRAME_HEADER);
  return decodeRecord(file, FRAME_HEADER, FRAME_HEADER + body);
}

describe("schedule records", () => {
  it("a schedule comes back as it was written, binary body and nulls included", () => {
    for (const schedule of [cron, every]) {
      assert.deepEqual(roundTrip({ type: "schedule", schedule }), { type: T_SCHEDULE, schedule });
    }
  });

  it("an unschedule keeps the name", () => {
    assert.deepEqual(roundTrip({ type: "unschedule", name: "nightly" }), { type: 20, name: "nightly" });
  });

  it("a schedule record whose JSON does not read back is a format error", () => {
    for (const text of ["{", "[]", '{"name":"x","template":{"queue":"q","body":""},"nextRunAt":1}']) {
      const enc = new RecordEncoder();
      const length = enc.record(T_SCHEDULE, 0, () => enc.string(F_SCHEDULE_INFO, text, "utf8"));
      const file = Buffer.concat(enc.take());
      assert.throws(() => decodeRecord(file, FRAME_HEADER, length), RecordFormatError);
    }
  });
});
