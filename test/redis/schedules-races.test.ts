import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AddJobRequest } from "../../src/core/contract.js";
import { ManualClock } from "../../src/core/clock.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { RedisSchedules } from "../../src/stores/redis/schedules.js";
import type { QueueStore } from "../../src/stores/redis/store.js";
import { T0 } from "../helpers/broker.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";

/**
 * A due run on Redis writes its progress by compare-and-set on the schedule
 * it read (scheduleSet-3.lua): a DEL or a SET that lands between its add and
 * that write wins, and the run's write is dropped.
 */

const template = { queue: "q", body: Buffer.from("x") };

/** A server whose due run does `between` after its add and before its progress write. */
function runnerWith(
  broker: RedisBroker,
  clock: ManualClock,
  between: () => Promise<unknown>,
): RedisSchedules {
  const store = (broker as unknown as { store: QueueStore }).store;
  return new RedisSchedules(store.conns.client, broker.keys, clock, async (req: AddJobRequest) => {
    const added = await broker.addJob(req);
    await between();
    return added;
  });
}

describe("a due run racing a SET or a DEL on Redis", () => {
  let redis: RedisProcess;
  let broker: RedisBroker;
  const clock = new ManualClock(T0);
  before(async () => {
    redis = await startRedis();
    broker = await openRedisBroker({ urls: [redis.url], prefix: uniquePrefix("races"), clock });
  });
  after(async () => {
    await broker.close();
    await redis.stop();
  });

  it("a DEL between the add and the progress write stays a DEL", async () => {
    await broker.upsertSchedule({ name: "del", everyMs: 10_000, template });
    clock.set(T0 + 10_000);
    await runnerWith(broker, clock, () => broker.removeSchedule("del")).runDue();
    assert.equal(await broker.getSchedule("del"), null);
    assert.equal(await broker.qlen("q"), 1);
  });

  it("a SET between them keeps its template; the due time runs again as a duplicate, then moves on", async () => {
    clock.set(T0);
    await broker.upsertSchedule({ name: "set", everyMs: 10_000, template: { ...template, queue: "r" } });
    clock.set(T0 + 10_000);
    const runner = runnerWith(broker, clock, () =>
      broker.upsertSchedule({
        name: "set",
        everyMs: 10_000,
        template: { queue: "r", body: Buffer.from("new") },
      }),
    );
    await runner.runDue();
    const raced = await broker.getSchedule("set");
    assert.equal(raced?.template.body.toString(), "new");
    assert.equal(raced?.nextRunAt, T0 + 10_000, "the run's progress write was dropped");
    await broker.runDue();
    const after = await broker.getSchedule("set");
    assert.deepEqual([after?.runs, after?.lastRunAt, after?.nextRunAt], [1, T0 + 10_000, T0 + 20_000]);
    assert.equal(await broker.qlen("r"), 1, "the second try was a duplicate of the first add");
  });
});
