import { after, before, describe, it } from "node:test";
import { failoverUnderLoad } from "../helpers/failover-load.js";
import { replicaSyncs, startReplicated, uniquePrefix } from "../helpers/redis.js";
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
    const oldMaster = redis.master.port;
    await failoverUnderLoad({
      name: "sentinel failover",
      port: docket.port,
      queue,
      kill: () => redis.master.child.kill("SIGKILL"),
      promoted: async () => (await sentinels.masterPort().catch(() => oldMaster)) !== oldMaster,
      timeoutMs: 30_000,
      replicaSyncs: async () => await replicaSyncs(await sentinels.masterPort()),
    });
  });
});
