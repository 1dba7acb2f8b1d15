import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { after, before, describe, it } from "node:test";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { tempDataDir } from "../helpers/server.js";

function client(port: number): Redis {
  const c = new Redis({ port, host: "127.0.0.1", maxRetriesPerRequest: 0, retryStrategy: () => null });
  c.on("error", () => {});
  return c;
}

/**
 * Two docket servers over one Redis, producers and consumers on both; one
 * server is SIGKILLed under load. Every job whose ADDJOB was answered is
 * still delivered and acknowledged: the ones the dead server had handed out
 * come back after their lease (RETRY 1), re-queued by the surviving server.
 */
describe("a docket server killed under load", () => {
  let redis: RedisProcess;
  let a: ServerProcess;
  let b: ServerProcess;

  before(async () => {
    redis = await startRedis();
    const prefix = uniquePrefix("kill");
    a = await spawnServer(tempDataDir(), ["--redis", redis.url, "--redis-prefix", prefix]);
    b = await spawnServer(tempDataDir(), ["--redis", redis.url, "--redis-prefix", prefix]);
  });
  after(async () => {
    a.child.kill("SIGKILL");
    b.child.kill("SIGKILL");
    await Promise.all([a.exited, b.exited]);
    await redis.stop();
  });

  it("loses no job: every answered ADDJOB is delivered and acknowledged", async () => {
    const added = new Set<string>();
    const acked = new Set<string>();
    /** delivered by the killed server, ack sent, reply lost */
    const unsure = new Set<string>();
    let producing = true;
    let aAlive = true;

    const produce = async (c: Redis, tag: string, viaA: boolean) => {
      for (let i = 0; producing; i++) {
        try {
          added.add((await c.call("ADDJOB", "work", `${tag}-${i}`, "0", "RETRY", "1")) as string);
        } catch {
          if (viaA && !aAlive) return;
          throw new Error("ADDJOB failed on the surviving server");
        }
      }
    };
    const consume = async (c: Redis, viaA: boolean) => {
      for (;;) {
        if (viaA && !aAlive) return;
        let jobs: Buffer[][] | null;
        try {
          jobs = (await c.call("GETJOB", "TIMEOUT", "200", "COUNT", "10", "FROM", "work")) as
            Buffer[][] | null;
        } catch {
          if (viaA) return;
          throw new Error("GETJOB failed on the surviving server");
        }
        // Done once nothing is produced any more and no job is left anywhere (the dead
        // server's leases have run out and their jobs came back and were acknowledged).
        if (
          !viaA &&
          !producing &&
          jobs === null &&
          /registered_jobs:0\r/.test(String(await c.call("INFO", "jobs")))
        ) {
          return;
        }
        for (const job of jobs ?? []) {
          const id = String(job[1]);
          try {
            if ((await c.call("ACKJOB", id)) === 1) acked.add(id);
          } catch {
            unsure.add(id);
            if (viaA) return;
          }
        }
      }
    };

    const onA = [client(a.port), client(a.port), client(a.port), client(a.port)];
    const onB = [client(b.port), client(b.port), client(b.port), client(b.port)];
    const work = [
      produce(onA[0]!, "a0", true),
      produce(onA[1]!, "a1", true),
      produce(onB[0]!, "b0", false),
      consume(onA[2]!, true),
      consume(onA[3]!, true),
      consume(onB[1]!, false),
      consume(onB[2]!, false),
      consume(onB[3]!, false),
    ];
    await new Promise((resolve) => setTimeout(resolve, 700));
    aAlive = false;
    a.child.kill("SIGKILL");
    await a.exited;
    const killedAt = { added: added.size, acked: acked.size };
    await new Promise((resolve) => setTimeout(resolve, 300));
    producing = false;
    const deadline = setTimeout(() => {
      throw new Error(`not every job came back: ${added.size} added, ${acked.size} acked`);
    }, 30_000);
    await Promise.all(work);
    clearTimeout(deadline);
    for (const c of [...onA, ...onB]) c.disconnect();

    assert.ok(killedAt.added > 50, `load before the kill: ${killedAt.added} jobs added`);
    assert.ok(killedAt.acked > 0);
    const check = client(b.port);
    try {
      for (const id of added) {
        if (acked.has(id)) continue;
        // Its ACKJOB reached the killed server but the reply did not come back: it must be gone.
        assert.ok(unsure.has(id), `job ${id} was never acknowledged`);
        assert.equal(await check.call("SHOW", id), null);
      }
      assert.equal(await check.call("QLEN", "work"), 0);
      const stats = String(await check.call("INFO", "jobs"));
      assert.match(stats, /registered_jobs:0/);
    } finally {
      check.disconnect();
    }
  });
});
