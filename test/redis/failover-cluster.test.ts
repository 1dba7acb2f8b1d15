import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { Keys, keySlot } from "../../src/stores/redis/keys.js";
import { failoverUnderLoad } from "../helpers/failover-load.js";
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

    await failoverUnderLoad({
      name: "cluster failover",
      port: docket.port,
      queue,
      kill: () => owner.child.kill("SIGKILL"),
      promoted: async () => (await slotOwner(survivor.port, slot)) !== ownerPort,
      timeoutMs: 40_000,
    });
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
