import assert from "node:assert/strict";
import { readdirSync, statSync, truncateSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, it } from "node:test";
import { encodeSchedule } from "../../src/core/schedule-json.js";
import type { ScheduleDefinition } from "../../src/core/schedules.js";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import { T0 } from "../helpers/broker.js";
import { setRecordedDurable } from "../helpers/journal.js";
import { JournaledEngine } from "../conformance/replayed.js";

/**
 * Schedules across restarts of the embedded store (docs/schedules.md): a
 * schedule and its progress come back from the journal and from a
 * snapshot; due times missed while the server was down are made up once; a
 * crash between a run's job and its progress record adds that job once.
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

const every10s: ScheduleDefinition = {
  name: "e",
  everyMs: 10_000,
  template: { queue: "q", body: Buffer.from("tick"), priority: 9 },
};

const runDue = (s: JournaledEngine, ms: number) => {
  s.clock.advance(ms);
  s.engine.runDue();
};

for (const fromSnapshot of [false, true]) {
  describe(`schedules after a restart ${fromSnapshot ? "from a snapshot" : "from the journal"}`, () => {
    const restart = async (s: JournaledEngine) => {
      if (fromSnapshot) {
        await s.compact();
        assert.ok(readdirSync(s.dir).some((name) => name.endsWith(".snap")));
      }
      await s.reopen();
    };

    it("a schedule comes back with its progress, and goes on", async () => {
      const s = await open();
      s.engine.upsertSchedule(every10s);
      s.engine.upsertSchedule({ ...every10s, name: "gone" });
      assert.equal(s.engine.removeSchedule("gone"), 1);
      runDue(s, 10_000);
      const before = s.engine.getSchedule("e");
      await restart(s);
      assert.deepEqual(s.engine.getSchedule("e"), before);
      assert.equal(s.engine.getSchedule("gone"), null);
      assert.equal(before?.runs, 1);
      runDue(s, 10_000);
      assert.equal(s.engine.qlen("q"), 2);
      assert.equal(s.engine.getSchedule("e")?.runs, 2);
    });

    it("due times missed while it was down are made up once, for the latest", async () => {
      const s = await open();
      s.engine.upsertSchedule(every10s);
      runDue(s, 10_000);
      await restart(s);
      s.clock.advance(45_000); // down from T0+10 s to T0+55 s
      await s.reopen();
      s.engine.runDue();
      assert.equal(s.engine.qlen("q"), 2);
      const info = s.engine.getSchedule("e");
      assert.deepEqual([info?.runs, info?.lastRunAt, info?.nextRunAt], [2, T0 + 50_000, T0 + 60_000]);
      // and that catch-up run is journaled like any other
      await s.reopen();
      s.engine.runDue();
      assert.equal(s.engine.qlen("q"), 2);
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

describe("a crash between a run's job and its progress record", () => {
  it("the restart tries the same due time again, and its run key makes the job exist once", async () => {
    const s = await open();
    s.engine.upsertSchedule(every10s);
    runDue(s, 10_000);
    const progress = s.engine.getSchedule("e")!;
    const [job] = s.engine.qpeek("q", 10);
    // the last record is the progress: frame header, type, tag, length, the JSON
    const recordBytes = 8 + 1 + 1 + 4 + Buffer.byteLength(encodeSchedule(progress));
    await s.reopen((dir) => {
      const { path, size } = newestJournal(dir);
      setRecordedDurable(dir, size - recordBytes);
      truncateSync(path, size - recordBytes + 6); // torn mid-write
    });
    s.engine.runDue();
    assert.deepEqual(
      s.engine.qpeek("q", 10).map((j) => j.id),
      [job!.id],
    );
    const info = s.engine.getSchedule("e");
    assert.deepEqual([info?.runs, info?.lastRunAt, info?.lastJobId], [1, T0 + 10_000, job!.id]);
  });
});
