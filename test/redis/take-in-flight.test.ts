import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ManualClock } from "../../src/core/clock.js";
import type { GetJobsRequest } from "../../src/core/contract.js";
import { openRedisBroker, type RedisBroker } from "../../src/stores/redis/index.js";
import type { QueueStore } from "../../src/stores/redis/store.js";
import { T0, trackPromise } from "../helpers/broker.js";
import { redisSuite, startRedis, uniquePrefix } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A blocked fetch on the Redis store is served by a take script that runs
 * while the fetch can still go away (its client left) or run out of time:
 * what happens to the fetch and its job when that take answers.
 */
describe("Redis store: a blocked fetch that a take is in flight for", { timeout: 60_000 }, () => {
  const suite = redisSuite<RedisBroker>();

  function blockedFetch(broker: RedisBroker, extra: Partial<GetJobsRequest>) {
    return trackPromise(broker.getJobs({ queues: ["q"], count: 1, nohang: false, timeoutMs: 0, ...extra }));
  }

  for (const [kind, retry] of [
    ["leased", undefined],
    ["at-most-once (RETRY 0)", 0],
  ] as const) {
    it(`goes away while the take is in flight: its ${kind} job goes back untouched`, async () => {
      const clock = new ManualClock(T0);
      const broker = await openRedisBroker({
        urls: [suite.redis.url],
        clock,
        prefix: uniquePrefix("flight"),
      });
      suite.opened.push(broker);
      const gone = new AbortController();
      const fetch = blockedFetch(broker, { signal: gone.signal });
      await waitFor(async () => (await broker.stats()).blockedClients === 1);
      // The client leaves after the take ran in Redis and before its answer reached the fetch.
      const store = (broker as unknown as { store: QueueStore }).store;
      const take = store.take.bind(store);
      store.take = async (...args) => {
        const taken = await take(...args);
        gone.abort();
        return taken;
      };
      const { id } = await broker.addJob({
        queue: "q",
        body: Buffer.from("keep me"),
        ...(retry === undefined ? {} : { retry }),
      });
      assert.equal(await fetch.promise, null);
      await waitFor(async () => (await broker.qlen("q")) === 1);
      const info = await broker.show(id);
      assert.deepEqual([info?.state, info?.nacks, info?.additionalDeliveries], ["queued", 0, 0]);
      assert.equal((await broker.stats()).blockedClients, 0);
    });
  }

  it("runs out of time while the take is in flight, which fails: it ends when the take fails", async () => {
    // Redis is down: the timers skip a fetch with a take in flight, and the once-a-second
    // re-check keeps a failing one in flight most of the time (GETJOB TIMEOUT 2000 answered
    // after 3.9 s, 5.8 s on a loaded machine, in test/redis/outage.test.ts).
    const redis = await startRedis();
    const clock = new ManualClock(T0);
    const broker = await openRedisBroker({
      urls: [redis.url],
      clock,
      prefix: uniquePrefix("down"),
      timeoutMs: 300,
    });
    suite.opened.push(broker);
    const fetch = blockedFetch(broker, { timeoutMs: 1000 });
    await waitFor(() => broker.nextLocalDeadline() < Infinity);
    await redis.stop();
    clock.advance(1000);
    // No timers' run here: the re-check's take (within a second) fails, and that ends the fetch.
    await waitFor(() => fetch.done, 5000);
    assert.equal(await fetch.promise, null);
  });
});
