import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { tempDataDir } from "../helpers/server.js";
import { TaskqClient } from "./taskq-client.js";

/** TaskQ's per-queue task numbers on the Redis store: one counter for every server, kept across kill -9. */
describe("TaskQ task numbers on the Redis store", () => {
  let redis: RedisProcess;
  const servers: ServerProcess[] = [];
  let args: string[];

  before(async () => {
    redis = await startRedis();
    args = ["--redis", redis.url, "--redis-prefix", uniquePrefix("taskq"), "--taskq-port", "0"];
    for (let i = 0; i < 2; i++) servers.push(await spawnServer(tempDataDir(), args));
  });
  after(async () => {
    for (const s of servers) s.child.kill("SIGKILL");
    await Promise.all(servers.map((s) => s.exited));
    await redis.stop();
  });

  /** one request on its own connection to server `i`: its reply line */
  async function ask(i: number, request: string): Promise<string> {
    const c = await TaskqClient.connect(servers[i]!.taskqPort!);
    try {
      c.write(`${request}\n`);
      return await c.line();
    } finally {
      c.close();
    }
  }

  it("two servers number one queue's tasks 1, 2, 3 … between them; a killed server's restart goes on", async () => {
    assert.equal(await ask(0, "1 enq q 1 a"), "1 enqed q 1");
    assert.equal(await ask(1, "2 enq q 1 b"), "2 enqed q 2");
    assert.equal(await ask(0, "3 enq other 1 c"), "3 enqed other 1");
    assert.equal(await ask(1, "4 ack q 2"), "4 acked q 2");
    servers[0]!.child.kill("SIGKILL");
    await servers[0]!.exited;
    servers[0] = await spawnServer(tempDataDir(), args);
    assert.equal(await ask(0, "5 enq q 1 d"), "5 enqed q 3");
    assert.equal(await ask(1, "6 deq q"), "6 deqed q 1 1 a");
  });
});
