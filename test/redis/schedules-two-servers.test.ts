import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { AddJobRequest, JobInfo } from "../../src/core/contract.js";
import { ManualClock } from "../../src/core/clock.js";
import { scheduleRunKey } from "../../src/core/schedules.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import { keySlot } from "../../src/stores/redis/keys.js";
import { RedisSchedules } from "../../src/stores/redis/schedules.js";
import type { QueueStore } from "../../src/stores/redis/store.js";
import { T0 } from "../helpers/broker.js";
import { startRedis, startRedisCluster, uniquePrefix } from "../helpers/redis.js";

/**
 * Exactly once across servers (docs/schedules.md): two docket servers on one
 * Redis (and on a Redis Cluster, where the queue's slot and the schedules'
 * differ), each on its own clock (one 250 ms ahead), both running their
 * timers at every simulated second of an hour, racing. A third server
 * "dies" between a run's add and its progress write every 7th due time.
 * An every-10-s schedule makes exactly 360 jobs: each due time once, none missing.
 */

const HOUR_MS = 3_600_000;
const EVERY_MS = 10_000;
const QUEUE = "ticks";

/** A server that adds a due time's job, then dies before writing the schedule's progress. */
function dyingServer(broker: RedisBroker, clock: ManualClock): RedisSchedules {
  const store = (broker as unknown as { store: QueueStore }).store;
  return new RedisSchedules(store.conns.client, broker.keys, clock, async (req: AddJobRequest) => {
    await broker.addJob(req);
    throw new Error("killed between the add and the progress write");
  });
}

async function allJobs(broker: RedisBroker): Promise<JobInfo[]> {
  const jobs: JobInfo[] = [];
  let cursor = 0;
  do {
    const page = await broker.jscan(cursor, { count: 1000, busyloop: true, queue: QUEUE });
    jobs.push(...page.items);
    cursor = page.cursor;
  } while (cursor !== 0);
  return jobs;
}

async function anHourOnTwoServers(urls: string[]): Promise<void> {
  const prefix = uniquePrefix("sched2");
  const clockA = new ManualClock(T0);
  const clockB = new ManualClock(T0 + 250);
  const clockDying = new ManualClock(T0);
  const a = await openRedisBroker({ urls, prefix, clock: clockA });
  const b = await openRedisBroker({ urls, prefix, clock: clockB, port: 7801 });
  const dying = await openRedisBroker({ urls, prefix, clock: clockDying, port: 7802 });
  try {
    if (urls.length > 1) {
      // the point of the Cluster run: two scripts on two slots
      assert.notEqual(keySlot(a.keys.queue(QUEUE)[0]!), keySlot(a.keys.schedules[0]));
    }
    const dies = dyingServer(dying, clockDying);
    const created = await a.upsertSchedule({
      name: "every-10s",
      everyMs: EVERY_MS,
      template: { queue: QUEUE, body: Buffer.from("tick"), ttl: 2 * 3600 },
    });
    assert.equal(created.nextRunAt, T0 + EVERY_MS);
    let died = 0;
    for (let t = 1_000; t <= HOUR_MS; t += 1_000) {
      clockA.set(T0 + t);
      clockB.set(T0 + t + 250);
      clockDying.set(T0 + t);
      if (t % EVERY_MS === 0 && (t / EVERY_MS) % 7 === 3) {
        await dies.runDue();
        died++;
      }
      await Promise.all([a.runDue(), b.runDue()]);
    }
    // B's clock is 250 ms ahead: it may already have run the due time at T0 + 1 h + 10 s; A has not
    const info = await a.getSchedule("every-10s");
    const jobs = await allJobs(a);
    const expected = Array.from({ length: HOUR_MS / EVERY_MS }, (_, i) => T0 + (i + 1) * EVERY_MS);
    assert.ok(died >= 50, `the dying server ran ${died} times`);
    assert.equal(jobs.length, 360);
    const dueTimes = jobs
      .map((job) => Number(job.key!.slice(job.key!.lastIndexOf(":") + 1)))
      .sort((x, y) => x - y);
    assert.deepEqual(dueTimes, expected);
    for (const job of jobs) {
      assert.equal(job.schedule, "every-10s");
      assert.equal(job.origin, "schedule");
      assert.equal(job.key, scheduleRunKey("every-10s", Number(job.key!.split(":").at(-1))));
    }
    assert.equal(info?.runs, 360);
    assert.equal(info?.lastRunAt, T0 + HOUR_MS);
    assert.equal(info?.nextRunAt, T0 + HOUR_MS + EVERY_MS);
  } finally {
    await Promise.all([a.close(), b.close(), dying.close()]);
  }
}

describe("an every-10-s schedule run by two servers racing for an hour", () => {
  describe("on one Redis", () => {
    let redis: Awaited<ReturnType<typeof startRedis>>;
    before(async () => {
      redis = await startRedis();
    });
    after(async () => await redis.stop());
    it("makes exactly 360 jobs, one per due time, even when a server dies between add and progress", async () => {
      await anHourOnTwoServers([redis.url]);
    });
  });

  describe("on a Redis Cluster (the queue's slot and the schedules' differ)", () => {
    let cluster: Awaited<ReturnType<typeof startRedisCluster>>;
    before(async () => {
      cluster = await startRedisCluster(3);
    });
    after(async () => await cluster.stop());
    it("makes exactly 360 jobs, one per due time", async () => {
      await anHourOnTwoServers(cluster.urls);
    });
  });
});
