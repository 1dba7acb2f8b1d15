import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { startReplicated, uniquePrefix } from "../helpers/redis.js";
import { startSentinels, type Sentinels } from "../helpers/sentinel.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * Issue 18 scope 3: a docket server configured with --redis-sentinel follows
 * a failover by itself. The master (AOF, appendfsync always) is SIGKILLed
 * under load; three sentinels promote one of its two replicas. REPLICATE 2
 * adds are acknowledged only once a replica has them, so none may be lost.
 */
describe("Redis Sentinel failover", () => {
  let redis: Awaited<ReturnType<typeof startReplicated>>;
  let sentinels: Sentinels;
  let docket: TestServer;

  before(async () => {
    redis = await startReplicated(2, { durable: true });
    sentinels = await startSentinels(redis.master.port, 3);
    docket = await testServer({
      redisSentinel: sentinels.addresses,
      redisMasterName: sentinels.masterName,
      redisPrefix: uniquePrefix("failover"),
    });
  });
  after(async () => {
    await docket?.close();
    await sentinels?.stop();
    await redis?.stop();
  });

  it("kill -9 of the master under load: no acknowledged add lost, errors only during the switch", async () => {
    const queue = "fo";
    const acked = new Set<string>();
    let errors = 0;
    let longestWaitMs = 0;
    let lastErrorAt = 0;
    let stopping = false;
    const producer = async (n: number) => {
      const client = new Redis({ port: docket.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
      client.on("error", () => {});
      let i = 0;
      while (!stopping) {
        const started = Date.now();
        try {
          const id = (await client.call("ADDJOB", queue, `p${n}-${i++}`, 10000, "REPLICATE", 2)) as string;
          acked.add(id);
        } catch {
          errors++;
          lastErrorAt = Date.now();
        }
        longestWaitMs = Math.max(longestWaitMs, Date.now() - started);
      }
      client.disconnect();
    };
    const oldMaster = redis.master.port;
    const producers = [0, 1, 2, 3].map(producer);
    await sleep(1500);
    const ackedBeforeKill = acked.size;
    const killedAt = Date.now();
    redis.master.child.kill("SIGKILL");
    // The sentinels promote a replica; docket must find it without being told.
    const deadline = Date.now() + 30_000;
    while ((await sentinels.masterPort().catch(() => oldMaster)) === oldMaster) {
      assert.ok(Date.now() < deadline, "the sentinels did not fail over");
      await sleep(100);
    }
    const promotedAt = Date.now();
    // Adds must succeed again after the switch: wait for a run of successes.
    const ackedAtPromotion = acked.size;
    while (acked.size < ackedAtPromotion + 200) {
      assert.ok(Date.now() < deadline, `docket did not follow the failover (${acked.size} acked)`);
      await sleep(50);
    }
    const recoveredAt = Date.now();
    await sleep(1000);
    stopping = true;
    await Promise.all(producers);

    const reader = new Redis({ port: docket.port, host: "127.0.0.1" });
    const seen: string[] = [];
    for (;;) {
      const batch = (await reader.call("GETJOB", "NOHANG", "COUNT", 1000, "FROM", queue)) as Array<
        [string, string, string]
      > | null;
      if (!batch || batch.length === 0) break;
      for (const [, id] of batch) seen.push(id);
      await reader.call("FASTACK", ...batch.map(([, id]) => id));
    }
    reader.disconnect();
    const seenSet = new Set(seen);
    const lost = [...acked].filter((id) => !seenSet.has(id)).length;
    const duplicates = seen.length - seenSet.size;
    console.log(
      `sentinel failover: adds acked ${acked.size} (${ackedBeforeKill} before the kill), kills 1, ` +
        `errors ${errors}, lost ${lost}, duplicates ${duplicates}, longest client wait ${longestWaitMs} ms, ` +
        `promoted after ${promotedAt - killedAt} ms, adds flowing again after ${recoveredAt - killedAt} ms`,
    );
    assert.equal(lost, 0);
    assert.equal(duplicates, 0);
    assert.ok(ackedBeforeKill > 0);
    // Errors only during the switch: none in the last second of load.
    assert.ok(lastErrorAt < recoveredAt, "errors continued after the switch");
  });
});

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
