import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LoadConnection, type Value } from "../../bench/resp-load.js";
import { startShardServer } from "../../bench/shard/listener.js";
import { EchoThread } from "../../bench/shard/roundtrip.js";
import { shardOfId, shardOfQueue } from "../../bench/shard/route.js";

const JOBS = 200;
const QUEUES = ["alpha", "beta", "gamma", "delta", "epsilon"];

/** Every call of `calls`, made in one tick: they leave pipelined on the connection. */
function pipelined(conn: LoadConnection, calls: string[][]): Promise<Value[]> {
  return Promise.all(calls.map((args) => conn.call(...args)));
}

/**
 * The shard prototype of bench/shards.ts keeps docket's replies and each
 * connection's reply order while commands go to different shards: 200 jobs
 * over five queues, added, fetched and acked pipelined, each job's body read
 * back under the id its ADDJOB answered.
 */
describe("bench: the worker_threads shard prototype", () => {
  for (const workers of [0, 2]) {
    it(`${workers === 0 ? "one inline shard" : `${workers} worker shards`}: ${JOBS} ADDJOB, GETJOB NOHANG and ACKJOB`, async () => {
      const server = await startShardServer({ port: 0, workers });
      const conn = await LoadConnection.open(server.port);
      try {
        assert.equal(await conn.call("PING"), "PONG");
        const adds = Array.from({ length: JOBS }, (_, i) => [
          "ADDJOB",
          QUEUES[i % QUEUES.length]!,
          `body-${i}`,
          "0",
        ]);
        const ids = await pipelined(conn, adds);
        const bodyOf = new Map<string, string>();
        ids.forEach((id, i) => {
          assert.equal(typeof id, "string", `ADDJOB ${i} answered ${String(id)}`);
          assert.match(id as string, /^D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4}$/);
          // minted by the shard that owns the queue
          const shards = Math.max(1, workers);
          const queue = Buffer.from(adds[i]![1]!);
          assert.equal(shardOfId(Buffer.from(id as string), shards), shardOfQueue(queue, shards));
          bodyOf.set(id as string, adds[i]![2]!);
        });
        if (workers === 2) {
          const used = new Set(QUEUES.map((q) => shardOfQueue(Buffer.from(q), 2)));
          assert.equal(used.size, 2, "the queues span both shards");
        }

        const gets = Array.from({ length: JOBS }, (_, i) => [
          "GETJOB",
          "NOHANG",
          "FROM",
          QUEUES[i % QUEUES.length]!,
        ]);
        const fetched = await pipelined(conn, gets);
        const taken: string[] = [];
        fetched.forEach((reply, i) => {
          const [job, more] = reply as [string, string, string][];
          assert.equal(more, undefined);
          const [queue, id, body] = job!;
          assert.equal(queue, QUEUES[i % QUEUES.length]);
          assert.equal(body, bodyOf.get(id), `job ${id} came back with another job's body`);
          assert.equal(body, `body-${i}`, "each queue serves its jobs in the order added");
          taken.push(id);
        });
        assert.deepEqual(await conn.call("GETJOB", "NOHANG", "FROM", "alpha"), null);

        const acks = await pipelined(
          conn,
          taken.map((id) => ["ACKJOB", id]),
        );
        assert.deepEqual(acks, Array<number>(JOBS).fill(1));
        assert.equal(await conn.call("ACKJOB", taken[0]!), 0, "an id acked already");
        const errors = await pipelined(conn, [["ADDJOB", "q"], ["NOSUCH"], ["GETJOB", "FROM", "q"]]);
        assert.deepEqual(
          errors.map((e) => (e as Error).message),
          [
            "ERR wrong number of arguments for 'addjob' command",
            "ERR unknown command 'NOSUCH'",
            "ERR the shard prototype serves GETJOB NOHANG FROM one queue only",
          ],
        );
      } finally {
        conn.close();
        await server.close();
      }
    });
  }

  it("measures the raw round trip, bare and with batches (the echo answers every command)", async () => {
    const echo = new EchoThread();
    try {
      for (const size of [0, 16]) {
        const rt = await echo.measure(size, 50);
        assert.equal(rt.size, size);
        assert.ok(rt.microsPerBatch > 0 && Number.isFinite(rt.microsPerBatch));
        assert.ok(rt.cpuMicrosPerBatch >= 0);
        assert.equal(Number.isNaN(rt.microsPerCommand), size === 0);
      }
    } finally {
      await echo.close();
    }
  });
});
