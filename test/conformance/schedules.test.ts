import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BrokerError, type ScheduleDefinition, type ScheduleInfo } from "../../src/core/contract.js";
import { MAX_SCHEDULES, MAX_TEMPLATE_BODY_BYTES, scheduleRunKey } from "../../src/core/schedules.js";
import { T0 } from "../helpers/broker.js";
import type { Harness } from "./harness.js";
import { forEachStore } from "./suite.js";

/** Recurring jobs (docs/schedules.md): due times run by the store's timer path, on the injected clock. */

// T0 is 2023-11-14 22:13:20 UTC: on a 10 s boundary, 20 s past the minute
const every = (name: string, everyMs: number, body = "tick", queue = "q"): ScheduleDefinition => ({
  name,
  everyMs,
  template: { queue, body: Buffer.from(body) },
});

/** The call fails with ERR and a message that says `rule`. */
async function refused(fn: () => unknown, rule: string): Promise<void> {
  await assert.rejects(
    async () => await fn(),
    (err: unknown) => err instanceof BrokerError && err.code === "ERR" && err.message.includes(rule),
  );
}

async function get(h: Harness, name: string): Promise<ScheduleInfo> {
  const info = await h.broker.getSchedule(name);
  assert.ok(info, `schedule ${name} should exist`);
  return info;
}

/** Every job of the queue, oldest first: [body, schedule] pairs. */
async function jobs(h: Harness, queue = "q"): Promise<Array<[string, string | undefined]>> {
  return (await h.broker.qpeek(queue, 1000)).map((j) => [j.body.toString(), j.schedule]);
}

forEachStore((open) => {
  describe("schedules", () => {
    it("a cron with seconds adds one job per due time, through the normal add", async () => {
      const h = await open();
      const info = await h.broker.upsertSchedule({
        name: "tens",
        cron: "*/10 * * * * *",
        template: { queue: "q", body: Buffer.from("b"), ttl: 600, priority: 5 },
      });
      assert.equal(info.nextRunAt, T0 + 10_000);
      assert.equal(info.runs, 0);
      assert.equal(info.lastRunAt, null);
      await h.advance(9_999);
      assert.equal(await h.broker.qlen("q"), 0);
      await h.advance(1);
      const [job] = await h.broker.qpeek("q", 10);
      assert.ok(job);
      assert.equal(job.body.toString(), "b");
      assert.equal(job.schedule, "tens");
      assert.equal(job.origin, "schedule");
      assert.equal(job.key, scheduleRunKey("tens", T0 + 10_000));
      assert.equal(job.priority, 5);
      assert.equal(job.ttl, 600);
      const after = await get(h, "tens");
      assert.equal(after.runs, 1);
      assert.equal(after.lastRunAt, T0 + 10_000);
      assert.equal(after.lastJobId, job.id);
      assert.equal(after.nextRunAt, T0 + 20_000);
      await h.advance(10_000);
      assert.equal(await h.broker.qlen("q"), 2);
    });

    it("a cron in a time zone is due at that zone's wall time", async () => {
      const h = await open();
      // 09:00 in New York on 2023-11-15 is 14:00 UTC (EST, UTC-5)
      const ny = await h.broker.upsertSchedule({
        name: "ny",
        cron: "0 9 * * *",
        timezone: "America/New_York",
        template: { queue: "q", body: Buffer.from("ny") },
      });
      const nineNy = Date.UTC(2023, 10, 15, 14, 0, 0);
      assert.equal(ny.nextRunAt, nineNy);
      assert.equal(ny.timezone, "America/New_York");
      const utc = await h.broker.upsertSchedule({
        name: "utc",
        cron: "0 9 * * *",
        template: { queue: "q", body: Buffer.from("utc") },
      });
      assert.equal(utc.nextRunAt, Date.UTC(2023, 10, 15, 9, 0, 0));
      await h.advance(nineNy - T0);
      assert.deepEqual(await jobs(h), [
        ["utc", "utc"],
        ["ny", "ny"],
      ]);
    });

    it("EVERY: due every interval from its creation", async () => {
      const h = await open();
      await h.advance(3_000);
      const info = await h.broker.upsertSchedule(every("e", 10_000));
      assert.equal(info.createdAt, T0 + 3_000);
      assert.equal(info.nextRunAt, T0 + 13_000);
      for (let i = 0; i < 3; i++) await h.advance(10_000);
      assert.equal((await jobs(h)).length, 3);
      const after = await get(h, "e");
      assert.equal(after.runs, 3);
      assert.equal(after.lastRunAt, T0 + 33_000);
      assert.equal(after.nextRunAt, T0 + 43_000);
    });

    it("an upsert with the same timing keeps the next run; a new timing starts again", async () => {
      const h = await open();
      await h.broker.upsertSchedule(every("e", 10_000, "old"));
      await h.advance(6_000);
      const same = await h.broker.upsertSchedule(every("e", 10_000, "new"));
      assert.equal(same.nextRunAt, T0 + 10_000);
      assert.equal(same.createdAt, T0);
      await h.advance(4_000);
      assert.deepEqual(await jobs(h), [["new", "e"]]);
      const changed = await h.broker.upsertSchedule(every("e", 30_000, "new"));
      assert.equal(changed.nextRunAt, T0 + 30_000);
      assert.equal(changed.runs, 1);
      assert.equal(changed.lastRunAt, T0 + 10_000);
    });

    it("missed due times are made up once, for the latest, then it goes on from now", async () => {
      const h = await open();
      await h.broker.upsertSchedule(every("e", 10_000));
      h.clock.advance(35_000); // nothing ran meanwhile (a server down)
      await h.advance(0);
      assert.equal((await jobs(h)).length, 1);
      const after = await get(h, "e");
      assert.equal(after.runs, 1);
      assert.equal(after.lastRunAt, T0 + 30_000);
      assert.equal(after.nextRunAt, T0 + 40_000);
      await h.advance(5_000);
      assert.equal((await jobs(h)).length, 2);
    });

    it("a due time whose add the queue refuses makes no job; the schedule moves on", async () => {
      const h = await open();
      await h.broker.upsertSchedule(every("e", 10_000));
      await h.broker.pause("q", ["in"]);
      await h.advance(10_000);
      assert.equal(await h.broker.qlen("q"), 0);
      const after = await get(h, "e");
      assert.equal(after.runs, 0);
      assert.equal(after.nextRunAt, T0 + 20_000);
      await h.broker.pause("q", ["none"]);
      await h.advance(10_000);
      assert.equal(await h.broker.qlen("q"), 1);
    });

    it("SCHEDULE LIST pages in name order with an opaque cursor ('0' is a name like any other)", async () => {
      const h = await open();
      for (const name of ["d", "0", "b", "e", "a", "c"]) await h.broker.upsertSchedule(every(name, 60_000));
      const names: string[][] = [];
      let cursor = "0";
      do {
        const page = await h.broker.listSchedules(cursor, 2);
        names.push(page.items.map((s) => s.name));
        cursor = page.cursor;
      } while (cursor !== "0");
      assert.deepEqual(names, [
        ["0", "a"],
        ["b", "c"],
        ["d", "e"],
      ]);
      const all = await h.broker.listSchedules("0", 100);
      assert.equal(all.cursor, "0");
      assert.equal(all.items.length, 6);
      await refused(() => h.broker.listSchedules("zz", 2), "cursor");
      await refused(() => h.broker.listSchedules("0", 0), "COUNT");
    });

    it("removal: 1 then 0; it adds nothing more", async () => {
      const h = await open();
      await h.broker.upsertSchedule(every("e", 10_000));
      assert.equal(await h.broker.removeSchedule("e"), 1);
      assert.equal(await h.broker.removeSchedule("e"), 0);
      assert.equal(await h.broker.getSchedule("e"), null);
      await h.advance(30_000);
      assert.equal(await h.broker.qlen("q"), 0);
      assert.deepEqual((await h.broker.listSchedules("0", 10)).items, []);
    });

    it("refuses what no store should keep, with the rule in the error", async () => {
      const h = await open();
      const bad = async (def: ScheduleDefinition, message: string) =>
        await refused(() => h.broker.upsertSchedule(def), message);
      const template = { queue: "q", body: Buffer.from("x") };
      await bad({ name: "s", cron: "not a cron", template }, "invalid cron");
      await bad({ name: "s", cron: "* * * * *", everyMs: 1000, template }, "either CRON or EVERY");
      await bad({ name: "s", template }, "either CRON or EVERY");
      await bad({ name: "s", everyMs: 999, template }, "EVERY");
      await bad({ name: "s", everyMs: 1000, timezone: "UTC", template }, "TZ");
      await bad({ name: "s", cron: "* * * * *", timezone: "Mars/Olympus", template }, "time zone");
      await bad({ name: "a b", everyMs: 1000, template }, "schedule name");
      await bad({ name: "", everyMs: 1000, template }, "schedule name");
      await bad(
        {
          name: "s",
          everyMs: 1000,
          template: { queue: "q", body: Buffer.alloc(MAX_TEMPLATE_BODY_BYTES + 1) },
        },
        "body",
      );
      await bad({ name: "s", everyMs: 1000, template: { ...template, ttl: 0 } }, "TTL");
      await bad({ name: "s", everyMs: 1000, template: { ...template, priority: -1 } }, "PRIORITY");
      assert.deepEqual((await h.broker.listSchedules("0", 10)).items, []);
    });

    it(`holds at most ${MAX_SCHEDULES} schedules; a replacement is still allowed when full`, async () => {
      const h = await open();
      for (let i = 0; i < MAX_SCHEDULES; i += 500) {
        await Promise.all(
          Array.from({ length: 500 }, (_, j) => h.broker.upsertSchedule(every(`s${i + j}`, 3_600_000))),
        );
      }
      await refused(() => h.broker.upsertSchedule(every("one-more", 1000)), "too many schedules");
      const replaced = await h.broker.upsertSchedule(every("s0", 3_600_000, "new"));
      assert.equal(replaced.template.body.toString(), "new");
      assert.equal(await h.broker.removeSchedule("s1"), 1);
      await h.broker.upsertSchedule(every("one-more", 1000));
    });
  });
});
