import assert from "node:assert/strict";
import { after, afterEach, before, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { MAX_SCAN_COUNT } from "../../src/core/listing-limits.js";
import { NULL_BULK, RawClient, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { ioredisClient, testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * okq's measured replies (DIALECTS.md section 2) over a raw socket, byte for
 * byte, on both stores: the embedded journal and the Redis store. Clock-driven
 * behaviour (leases, QNOTIFY time-outs) is in okq.test.ts.
 */

/** `*4 $name :total :processing :consumers`: one QSTATUS entry. */
function status(name: string, total: number, processing: number, consumers: number): string {
  return array(bulk(name), int(total), int(processing), int(consumers));
}

/** okq-go's QueueStatus, as its Client.Status() builds it. */
interface QueueStatus {
  name: string;
  total: number;
  processing: number;
  consumers: number;
}

/**
 * okq-go's Status() (mediocregopher/okq-go.v2 client.go), over a general
 * RESP client: the reply is an array; each entry an array of at least 4;
 * entry[0] read with Str(), entries 1..3 with Int64() (an integer reply).
 */
async function okqGoStatus(redis: Redis, ...queues: string[]): Promise<QueueStatus[]> {
  const arr = await redis.call("QSTATUS", ...queues);
  if (!Array.isArray(arr)) throw new Error(`QSTATUS: not an array: ${String(arr)}`);
  return arr.map((entry: unknown) => {
    if (!Array.isArray(entry)) throw new Error(`not an array: ${String(entry)}`);
    if (entry.length < 4) throw new Error(`not enough elements in status: ${String(entry)}`);
    const [name, total, processing, consumers] = entry as unknown[];
    if (typeof name !== "string") throw new Error(`name is not a string: ${String(name)}`);
    const int64 = (v: unknown): number => {
      if (typeof v !== "number") throw new Error(`not an integer reply: ${String(v)}`);
      return v;
    };
    return { name, total: int64(total), processing: int64(processing), consumers: int64(consumers) };
  });
}

const redisServer: { process?: RedisProcess } = {};
const STORES: Array<{ name: string; open: () => Promise<TestServer> }> = [
  { name: "embedded store", open: () => testServer({ http: false }) },
  {
    name: "Redis store",
    open: async () => {
      redisServer.process ??= await startRedis();
      return testServer({ http: false, redis: [redisServer.process.url], redisPrefix: uniquePrefix("okq") });
    },
  },
];
after(async () => await redisServer.process?.stop());

for (const store of STORES) {
  describe(`okq on the ${store.name}`, () => {
    let t: TestServer;
    /** closes every client a test opened */
    const closers: Array<() => void> = [];

    before(async () => {
      t = await store.open();
    });
    after(async () => await t.close());
    afterEach(() => {
      for (const close of closers.splice(0)) close();
    });

    async function raw(): Promise<RawClient> {
      const c = await RawClient.connect(t.port);
      closers.push(() => c.close());
      return c;
    }

    it("QSTATUS: an array of [name, total, processing, consumers], counts as integers", async () => {
      const c = await raw();
      await c.call("DEBUG", "FLUSHALL");
      assert.equal(await c.call("QLPUSH", "st-a", "1", "x"), simple("OK"));
      assert.equal(await c.call("QLPUSH", "st-a", "2", "x"), simple("OK"));
      assert.equal(await c.call("QLPUSH", "st-b", "1", "x"), simple("OK"));
      assert.equal(await c.call("QRPOP", "st-a"), array(bulk("1"), bulk("x")));
      const consumer = await raw();
      assert.equal(await consumer.call("QREGISTER", "st-b", "st-none"), simple("OK"));
      assert.equal(await c.call("QSTATUS"), array(status("st-a", 2, 1, 0), status("st-b", 1, 0, 1)));
      assert.equal(
        await c.call("QSTATUS", "st-b", "st-none", "st-a"),
        array(status("st-b", 1, 0, 1), status("st-none", 0, 0, 1), status("st-a", 2, 1, 0)),
      );
      assert.equal(await c.call("QSTATUS", "st-none"), array(status("st-none", 0, 0, 1)));

      // okq-go's Status() parses it.
      const redis = await ioredisClient(t.port);
      closers.push(() => redis.disconnect());
      assert.deepEqual(await okqGoStatus(redis, "st-a", "st-b"), [
        { name: "st-a", total: 2, processing: 1, consumers: 0 },
        { name: "st-b", total: 1, processing: 0, consumers: 1 },
      ]);
      assert.deepEqual(
        (await okqGoStatus(redis)).map((s) => s.name),
        ["st-a", "st-b"],
      );
    });

    it("QINFO: one human-readable line per queue", async () => {
      const c = await raw();
      assert.equal(await c.call("QLPUSH", "info-a", "1", "x"), simple("OK"));
      assert.equal(await c.call("QLPUSH", "info-a", "2", "x"), simple("OK"));
      assert.equal(await c.call("QRPOP", "info-a"), array(bulk("1"), bulk("x")));
      assert.equal(
        await c.call("QINFO", "info-a", "info-none"),
        array(
          bulk("info-a total: 2 processing: 1 consumers: 0"),
          bulk("info-none total: 0 processing: 0 consumers: 0"),
        ),
      );
      assert.match(await c.call("QINFO"), /\$42\r\ninfo-a total: 2 processing: 1 consumers: 0\r\n/);
    });

    it(`QSTATUS and QINFO name at most ${MAX_SCAN_COUNT} queues: more is refused, not walked`, async () => {
      const c = await raw();
      const names = Array.from({ length: MAX_SCAN_COUNT }, (_, i) => `many-${i}`);
      const refusal = error(`ERR at most ${MAX_SCAN_COUNT} queues per call`);
      for (const command of ["QSTATUS", "QINFO"]) {
        assert.ok((await c.call(command, ...names)).startsWith(`*${MAX_SCAN_COUNT}\r\n`), command);
        assert.equal(await c.call(command, ...names, "one-more"), refusal, command);
      }
    });

    it("QRPOP EX 0, EX 0 NOACK and NOACK: the event is removed as it is popped", async () => {
      const c = await raw();
      for (const [i, options] of [["EX", 0], ["EX", 0, "NOACK"], ["NOACK"], ["ex", "0", "noack"]].entries()) {
        const q = `once-${i}`;
        assert.equal(await c.call("QLPUSH", q, "e1", "one"), simple("OK"));
        assert.equal(await c.call("QLPUSH", q, "e2", "two"), simple("OK"));
        assert.equal(await c.call("QRPOP", q, ...options), array(bulk("e1"), bulk("one")));
        assert.equal(
          await c.call("QSTATUS", q),
          array(status(q, 1, 0, 0)),
          "gone at once, nothing in flight",
        );
        assert.equal(await c.call("QACK", q, "e1"), int(0), "nothing left to ack");
        assert.equal(await c.call("QLPUSH", q, "e1", "again"), simple("OK"), "its id is free again");
      }
      assert.equal(
        await c.call("QRPOP", "once-0", "EX", -1),
        error("ERR EX must be a non negative number of seconds"),
      );
      assert.equal(await c.call("QRPOP", "once-empty", "EX", 0), NULL_BULK);
    });

    it("QACK … REDO puts the event back at the right end, to be consumed next", async () => {
      const c = await raw();
      for (const [id, body] of [
        ["a", "first"],
        ["b", "second"],
        ["c", "third"],
      ]) {
        assert.equal(await c.call("QLPUSH", "redo", id!, body!), simple("OK"));
      }
      assert.equal(await c.call("QRPOP", "redo"), array(bulk("a"), bulk("first")));
      assert.equal(await c.call("QRPOP", "redo"), array(bulk("b"), bulk("second")));
      assert.equal(await c.call("QSTATUS", "redo"), array(status("redo", 3, 2, 0)));
      // b first: it is the next one served, before a and before c (queued all along).
      assert.equal(await c.call("QACK", "redo", "b", "REDO"), int(1));
      assert.equal(await c.call("QACK", "redo", "a", "redo"), int(1));
      assert.equal(await c.call("QSTATUS", "redo"), array(status("redo", 3, 0, 0)));
      assert.equal(await c.call("QRPEEK", "redo"), array(bulk("a"), bulk("first")));
      assert.equal(await c.call("QLPEEK", "redo"), array(bulk("c"), bulk("third")));
      assert.equal(await c.call("QRPOP", "redo"), array(bulk("a"), bulk("first")));
      assert.equal(await c.call("QRPOP", "redo"), array(bulk("b"), bulk("second")));
      // An event still waiting moves to the right end too.
      assert.equal(await c.call("QLPUSH", "redo", "d", "fourth"), simple("OK"));
      assert.equal(await c.call("QACK", "redo", "d", "REDO"), int(1));
      assert.equal(await c.call("QRPOP", "redo"), array(bulk("d"), bulk("fourth")));
      assert.equal(await c.call("QRPOP", "redo"), array(bulk("c"), bulk("third")));
      // Unknown (or already acked) events: 0.
      assert.equal(await c.call("QACK", "redo", "nope", "REDO"), int(0));
      assert.equal(await c.call("QACK", "redo", "d"), int(1));
      assert.equal(await c.call("QACK", "redo", "d", "REDO"), int(0));
      assert.equal(await c.call("QACK", "redo", "a", "AGAIN"), error("ERR syntax error"));
      assert.equal(await c.call("QACK", "redo", "a", "REDO", "x"), error("ERR syntax error"));
      assert.equal(await c.call("QSTATUS", "redo"), array(status("redo", 3, 3, 0)));
    });

    it("QREGISTER with no queue clears the registration; QNOTIFY then waits and answers $-1", async () => {
      const c = await raw();
      const consumer = await raw();
      assert.equal(await consumer.call("QREGISTER", "reg-a", "reg-b"), simple("OK"));
      assert.equal(
        await c.call("QSTATUS", "reg-a", "reg-b"),
        array(status("reg-a", 0, 0, 1), status("reg-b", 0, 0, 1)),
      );
      assert.equal(await consumer.call("QREGISTER"), simple("OK"));
      assert.equal(
        await c.call("QSTATUS", "reg-a", "reg-b"),
        array(status("reg-a", 0, 0, 0), status("reg-b", 0, 0, 0)),
      );
      assert.equal(await c.call("QLPUSH", "reg-a", "e", "x"), simple("OK"));
      // Registered on nothing: no queue wakes it; the time-out (1 s, real time) answers null.
      const started = Date.now();
      assert.equal(await consumer.call("QNOTIFY", 1), NULL_BULK);
      assert.ok(Date.now() - started >= 900, "it waited");
      assert.equal(await consumer.call("QREGISTER", "reg-a"), simple("OK"));
      assert.equal(await consumer.call("QNOTIFY", 1), bulk("reg-a"));
    });

    it("a closed connection's registration is dropped: consumers back to 0", async () => {
      const c = await raw();
      const consumers = await Promise.all([raw(), raw()]);
      for (const consumer of consumers) assert.equal(await consumer.call("QREGISTER", "gone"), simple("OK"));
      assert.equal(await c.call("QSTATUS", "gone"), array(status("gone", 0, 0, 2)));
      consumers[0]!.close();
      await waitFor(async () => (await c.call("QSTATUS", "gone")) === array(status("gone", 0, 0, 1)));
      consumers[1]!.close();
      await waitFor(async () => (await c.call("QSTATUS", "gone")) === array(status("gone", 0, 0, 0)));
    });

    it("QLPUSH/QRPUSH of an event id already in the queue: -ERR duplicate event <eventId>", async () => {
      const c = await raw();
      assert.equal(await c.call("QLPUSH", "dup", "ev-7", "keep"), simple("OK"));
      assert.equal(await c.call("QLPUSH", "dup", "ev-7", "again"), error("ERR duplicate event ev-7"));
      assert.equal(
        await c.call("QRPUSH", "dup", "ev-7", "again", "NOBLOCK"),
        error("ERR duplicate event ev-7"),
      );
      assert.equal(await c.call("QRPOP", "dup"), array(bulk("ev-7"), bulk("keep")));
      assert.equal(await c.call("QLPUSH", "dup", "ev-7", "in flight"), error("ERR duplicate event ev-7"));
      assert.equal(await c.call("QLPUSH", "other", "ev-7", "another queue"), simple("OK"));
    });
  });
}
