import assert from "node:assert/strict";
import { after, before, it } from "node:test";
import { Redis } from "ioredis";
import { followSwitches } from "../../src/stores/redis/sentinel-switches.js";
import { startRedis, type RedisProcess } from "../helpers/redis.js";
import { waitFor } from "../helpers/wait.js";

/**
 * A +switch-master announcement reconnects only the connections that are not
 * on the master it names (src/stores/redis/sentinel-switches.ts). A plain
 * Redis stands in for the sentinel: the announcement is a PUBLISH on it.
 */
let master: RedisProcess;
let sentinel: RedisProcess;
before(async () => {
  [master, sentinel] = await Promise.all([startRedis(), startRedis()]);
});
after(async () => {
  await Promise.all([master.stop(), sentinel.stop()]);
});

/** A connection to the Redis on `port`, counting its drops. */
async function counted(port: number): Promise<{ conn: Redis; drops: () => number }> {
  const conn = new Redis(port, "127.0.0.1");
  let drops = 0;
  conn.on("close", () => drops++);
  await conn.ping();
  return { conn, drops: () => drops };
}

it("an announcement reconnects the connections on another master, not those already on it", async () => {
  const onMaster = await counted(master.port);
  const elsewhere = await counted(sentinel.port);
  const announcer = new Redis(sentinel.port, "127.0.0.1");
  const stop = followSwitches({ sentinels: [`127.0.0.1:${sentinel.port}`], name: "docket" }, () => [
    onMaster.conn,
    elsewhere.conn,
  ]);
  try {
    await waitFor(async () => {
      const [, subscribers] = (await announcer.pubsub("NUMSUB", "+switch-master")) as [string, number];
      return subscribers === 1;
    });
    const announce = (port: number) =>
      announcer.publish("+switch-master", `docket 127.0.0.1 1 127.0.0.1 ${port}`);
    // After a kill -9 a connection finds the promoted master by itself, before the leader
    // announces it; then each other sentinel announces it in turn.
    for (let sentinels = 1; sentinels <= 2; sentinels++) {
      await announce(master.port);
      await waitFor(() => elsewhere.drops() === sentinels && elsewhere.conn.status === "ready");
      assert.equal(onMaster.drops(), 0, "the connection already on the master stays");
    }
    await announce(sentinel.port);
    await waitFor(() => onMaster.drops() === 1);
    assert.equal(elsewhere.drops(), 2);
  } finally {
    stop();
    for (const conn of [onMaster.conn, elsewhere.conn, announcer]) conn.disconnect();
  }
});
