import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Keys, keySlot } from "../../src/redis/keys.js";
import { startRedisCluster, uniquePrefix, type RedisCluster } from "../helpers/redis.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * Issue 18 scope 3: a Redis Cluster master (AOF, appendfsync always) that
 * owns a queue's slot is SIGKILLed under REPLICATE 2 load; the cluster
 * promotes one of its two replicas and docket follows by itself.
 */
describe("Redis Cluster failover", () => {
  let cluster: RedisCluster;
  let docket: TestServer;
  const prefix = uniquePrefix("cfo");

  before(async () => {
    cluster = await startRedisCluster(3, 2, { durable: true });
    docket = await testServer({ redis: cluster.urls, redisCluster: true, redisPrefix: prefix });
  });
  after(async () => {
    await docket?.close();
    await cluster?.stop();
  });

  it("kill -9 of the queue's master under load: no acknowledged add lost, errors only during the switch", async () => {
    const queue = "cfo";
    const slot = keySlot(new Keys(prefix).queue(queue)[0]!);
    const ownerPort = await slotOwner(cluster.nodes[0]!.port, slot);
    const owner = cluster.nodes.find((node) => node.port === ownerPort)!;
    const survivor = cluster.nodes.find((node) => node.port !== ownerPort)!;

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
    const producers = [0, 1, 2, 3].map(producer);
    await sleep(1500);
    const ackedBeforeKill = acked.size;
    assert.ok(ackedBeforeKill > 0, "no add succeeded before the kill");
    const killedAt = Date.now();
    owner.child.kill("SIGKILL");
    const deadline = Date.now() + 40_000;
    while ((await slotOwner(survivor.port, slot)) === ownerPort) {
      assert.ok(Date.now() < deadline, "the cluster did not fail over");
      await sleep(100);
    }
    const promotedAt = Date.now();
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
      `cluster failover: adds acked ${acked.size} (${ackedBeforeKill} before the kill), kills 1, ` +
        `errors ${errors}, lost ${lost}, duplicates ${duplicates}, longest client wait ${longestWaitMs} ms, ` +
        `promoted after ${promotedAt - killedAt} ms, adds flowing again after ${recoveredAt - killedAt} ms`,
    );
    assert.equal(lost, 0);
    assert.equal(duplicates, 0);
    assert.ok(lastErrorAt < recoveredAt, "errors continued after the switch");
  });
});

/** The port of the master serving `slot`, as the node on `port` sees it. */
async function slotOwner(port: number, slot: number): Promise<number> {
  const client = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 1 });
  try {
    const ranges = await client.cluster("SLOTS");
    const range = ranges.find(([from, to]) => from <= slot && slot <= to);
    return range?.[2] ? Number(range[2][1]) : 0;
  } finally {
    client.disconnect();
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
