import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { setImmediate } from "node:timers/promises";
import { RawClient, array, bulk, error, int } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { jobIdOf as idOf, replyValue as value, replyPairs as pairs } from "../helpers/resp-values.js";
import { serverOnEachStore } from "../helpers/each-store.js";
import { parseMetrics } from "../helpers/http.js";

/**
 * docket's scheduling options over RESP (docs/scheduling.md): ADDJOB …
 * PRIORITY/KEY/KEYTTL/GROUP/WITHDETAILS, their fields in SHOW, JSCAN and
 * GETJOB WITHDETAILS, QSTAT's pairs, QPOLICY … RATE/GROUPLIMIT; every
 * range error; and a plain Disque client's replies unchanged, byte for
 * byte. The server's clock is the test's.
 */

const stores = serverOnEachStore("sched", { manualClock: true });

for (const store of stores) {
  describe(`scheduling options over RESP on the ${store.name}`, () => {
    let t: TestServer;
    let c: RawClient;
    const add = async (queue: string, ...options: Array<string | number>) =>
      idOf(await c.call("ADDJOB", queue, "body", 0, ...options));
    const refused = async (message: string, ...options: Array<string | number>) =>
      assert.equal(await c.call("ADDJOB", "q", "body", 0, ...options), error(message));

    before(async () => {
      t = await store.start();
      c = await RawClient.connect(t.port);
    });
    after(async () => {
      c.close();
      await t.close();
    });
    beforeEach(async () => {
      await c.call("DEBUG", "FLUSHALL");
    });

    it("ADDJOB refuses a bad PRIORITY, KEY, KEYTTL or GROUP with the rule, and adds nothing", async () => {
      const priority = "ERR PRIORITY must be an integer between 0 and 4294967295";
      await refused(priority, "PRIORITY", -1);
      await refused(priority, "PRIORITY", "1.5");
      await refused(priority, "PRIORITY", "x");
      await refused("ERR PRIORITY must be at most 4294967295", "PRIORITY", 4294967296);
      const key = "ERR KEY must be 1 to 256 bytes of UTF-8";
      await refused(key, "KEY", "");
      await refused(key, "KEY", "k".repeat(257));
      await refused(key, "KEY", "é".repeat(129));
      assert.equal(await c.call("ADDJOB", "q", "body", 0, "KEY", Buffer.from([0xff, 0xfe])), error(key));
      await refused("ERR KEYTTL needs KEY", "KEYTTL", 10);
      await refused("ERR KEYTTL must be a positive number of seconds", "KEY", "k", "KEYTTL", 0);
      await refused("ERR KEYTTL must be at most 2592000", "KEY", "k", "KEYTTL", 2592001);
      const group = "ERR GROUP must be 1 to 128 printable ASCII characters";
      await refused(group, "GROUP", "a b");
      await refused(group, "GROUP", "");
      await refused(group, "GROUP", "g".repeat(129));
      await refused(group, "GROUP", "ü");
      // an option without its value, or unknown: Disque's syntax error
      await refused("ERR syntax error", "PRIORITY");
      await refused("ERR syntax error", "KEY");
      await refused("ERR syntax error", "WITHDETAIL");
      assert.equal(await c.call("QLEN", "q"), int(0));
    });

    it("Disque's own ADDJOB errors are unchanged, also next to the new options", async () => {
      await refused("ERR TTL must be a number > 0", "TTL", 0, "PRIORITY", 1);
      assert.equal(
        await c.call("ADDJOB", "q", "body", "x", "PRIORITY", 1),
        error("ERR timeout is not an integer or out of range"),
      );
    });

    it("QPOLICY refuses a bad RATE or GROUPLIMIT and changes nothing", async () => {
      const rule =
        "ERR a rate limit is <count>/<period>, the period in ms, s, m or h (e.g. 100/1s, 5/500ms, 1000/1m)";
      for (const bad of ["100", "0/1s", "1/0s", "x/1s", "5/1d", "1/1s ".repeat(10)]) {
        assert.equal(await c.call("QPOLICY", "q", "RATE", bad), error(rule), bad);
      }
      assert.equal(
        await c.call("QPOLICY", "q", "RATE", "1/25h"),
        error("ERR the rate period is at most 24h"),
      );
      assert.equal(
        await c.call("QPOLICY", "q", "GROUPLIMIT", 0),
        error("ERR GROUPLIMIT must be a positive integer"),
      );
      assert.equal(await c.call("QPOLICY", "q", "GROUPLIMIT"), error("ERR syntax error"));
      assert.equal(await c.call("QPOLICY", "q"), array());
    });

    it("a plain Disque job's SHOW, GETJOB WITHDETAILS and QSTAT are unchanged", async () => {
      const id = await add("plain");
      const show = await c.call("SHOW", id);
      assert.ok(show.startsWith("*30\r\n"), show);
      const explicitDefault = await add("plain", "PRIORITY", 1024);
      assert.ok((await c.call("SHOW", explicitDefault)).startsWith("*30\r\n"));
      const qstat = await c.call("QSTAT", "plain");
      assert.ok(qstat.startsWith("*20\r\n"), qstat);
      const got = value(await c.call("GETJOB", "NOHANG", "WITHDETAILS", "FROM", "plain")) as unknown[][];
      assert.equal(got[0]!.length, 11);
      const scan = value(await c.call("JSCAN", "REPLY", "all", "QUEUE", "plain")) as [string, unknown[][]];
      for (const job of scan[1]) assert.equal(job.length, 30);
    });

    it("ADDJOB … PRIORITY GROUP KEY: their fields in SHOW, JSCAN REPLY all and GETJOB WITHDETAILS", async () => {
      const id = await add("q", "PRIORITY", 7, "GROUP", "tenant-a", "KEY", "order-1", "KEYTTL", 60);
      const show = pairs(await c.call("SHOW", id));
      assert.equal(show.get("priority"), 7);
      assert.equal(show.get("group"), "tenant-a");
      assert.equal(show.get("key"), "order-1");
      assert.equal(show.get("key-expires-at"), t.clock!.now() + 60_000);
      assert.equal(show.has("schedule"), false);
      const scan = value(await c.call("JSCAN", "REPLY", "all", "QUEUE", "q")) as [string, unknown[][]];
      assert.equal(scan[1][0]!.length, 38);
      const [job] = value(await c.call("GETJOB", "NOHANG", "WITHDETAILS", "FROM", "q")) as unknown[][];
      assert.deepEqual(job!.slice(11), ["priority", 7, "group", "tenant-a"]);
      // WITHCOUNTERS stays as it was
      await add("q", "PRIORITY", 7);
      const [counted] = value(await c.call("GETJOB", "NOHANG", "WITHCOUNTERS", "FROM", "q")) as unknown[][];
      assert.equal(counted!.length, 7);
    });

    it("a lower PRIORITY is delivered first, FIFO within one", async () => {
      const late = await add("q", "PRIORITY", 2000);
      const plain = await add("q");
      const urgent = await add("q", "PRIORITY", 0);
      const got = value(await c.call("GETJOB", "NOHANG", "COUNT", 3, "FROM", "q")) as unknown[][];
      assert.deepEqual(
        got.map((job) => job[1]),
        [urgent, plain, late],
      );
    });

    it("a KEY taken: the first job's id, nothing added; WITHDETAILS says added or duplicate and the state", async () => {
      const duplicates = async () =>
        parseMetrics(await (await fetch(`${t.url}/metrics`)).text()).get(
          "docket_idempotent_duplicates_total",
        )!;
      const duplicatesBefore = await duplicates();
      const first = await c.call("ADDJOB", "q", "a", 0, "KEY", "k", "WITHDETAILS");
      const [id, how, state] = value(first) as string[];
      assert.equal(first, array(bulk(id!), bulk("added"), bulk("queued")));
      assert.deepEqual([how, state], ["added", "queued"]);
      assert.equal(await c.call("ADDJOB", "q", "b", 0, "KEY", "k"), `+${id}\r\n`);
      assert.equal(
        await c.call("ADDJOB", "q", "b", 0, "KEY", "k", "WITHDETAILS"),
        array(bulk(id!), bulk("duplicate"), bulk("queued")),
      );
      assert.equal(await c.call("QLEN", "q"), int(1));
      await c.call("GETJOB", "NOHANG", "FROM", "q");
      assert.equal(
        await c.call("ADDJOB", "q", "b", 0, "KEY", "k", "WITHDETAILS"),
        array(bulk(id!), bulk("duplicate"), bulk("active")),
      );
      assert.equal(await c.call("ACKJOB", id!), int(1));
      assert.equal(
        await c.call("ADDJOB", "q", "b", 0, "KEY", "k", "WITHDETAILS"),
        array(bulk(id!), bulk("duplicate"), bulk("acked")),
      );
      // per queue: another queue's key of the same text is another key
      assert.notEqual(await add("other", "KEY", "k"), id);
      // a delayed job is added active
      const delayed = value(await c.call("ADDJOB", "q", "d", 0, "DELAY", 5, "KEY", "d", "WITHDETAILS"));
      assert.deepEqual((delayed as string[]).slice(1), ["added", "active"]);
      assert.equal(await duplicates(), duplicatesBefore + 4);
    });

    it("QPOLICY RATE and GROUPLIMIT round-trip, DEFAULT drops them; QSTAT shows the limit", async () => {
      assert.equal(
        await c.call("QPOLICY", "q", "RATE", "100/1s", "GROUPLIMIT", 2),
        array(bulk("rate"), bulk("100/1s"), bulk("grouplimit"), int(2)),
      );
      assert.equal(
        await c.call("QPOLICY", "q", "RATE", "120/60000ms"),
        array(bulk("rate"), bulk("120/1m"), bulk("grouplimit"), int(2)),
      );
      assert.equal(
        await c.call("QPOLICY", "q", "RETRIES", 3, "GROUPLIMIT", "DEFAULT"),
        array(bulk("retries"), int(3), bulk("rate"), bulk("120/1m")),
      );
      await add("q");
      const stats = pairs(await c.call("QSTAT", "q"));
      assert.equal(stats.get("backoff"), 0);
      assert.equal(stats.get("dead-letters"), 0);
      assert.equal(stats.get("rate-limit"), "120/1m");
      assert.equal(stats.get("rate-limited-until"), null);
      assert.equal(stats.get("groups"), 0);
      assert.equal(stats.get("held-back"), 0);
      assert.equal(await c.call("QPOLICY", "q", "RATE", "DEFAULT", "RETRIES", "default"), array());
      assert.ok((await c.call("QSTAT", "q")).startsWith("*20\r\n"));
    });

    it("a rate limit: after the burst nothing is delivered until the slot, and QSTAT says until when", async () => {
      await c.call("QPOLICY", "q", "RATE", "2/1s");
      for (let i = 0; i < 4; i++) await add("q");
      const burst = value(await c.call("GETJOB", "NOHANG", "COUNT", 4, "FROM", "q")) as unknown[];
      assert.equal(burst.length, 2);
      assert.equal(await c.call("GETJOB", "NOHANG", "FROM", "q"), "*-1\r\n");
      const now = t.clock!.now();
      const stats = pairs(await c.call("QSTAT", "q"));
      assert.equal(stats.get("rate-limited-until"), now + 500);
      const scrape = parseMetrics(await (await fetch(`${t.url}/metrics`)).text());
      assert.equal(scrape.get('docket_queue_rate_limited{queue="q"}'), 1);
      // a fetch from several queues takes from the others meanwhile
      const other = await add("other");
      const taken = value(await c.call("GETJOB", "NOHANG", "COUNT", 2, "FROM", "q", "other")) as unknown[][];
      assert.deepEqual(
        taken.map((job) => job[1]),
        [other],
      );
      // a blocked GETJOB is woken at the slot, by the store's timer
      const waiter = await RawClient.connect(t.port);
      const blocked = waiter.call("GETJOB", "TIMEOUT", 0, "FROM", "q");
      while (pairs(await c.call("QSTAT", "q")).get("blocked") !== 1) await setImmediate();
      t.clock!.advance(500);
      await (t.server.broker as unknown as { runDue(): unknown }).runDue();
      const next = value(await blocked) as unknown[];
      waiter.close();
      assert.equal(next.length, 1);
    });

    it("GROUPLIMIT holds jobs back: QSTAT counts groups and held-back, the gauges too", async () => {
      await c.call("QPOLICY", "q", "GROUPLIMIT", 1);
      await add("q", "GROUP", "a");
      await add("q", "GROUP", "a");
      await add("q", "GROUP", "b");
      const got = value(await c.call("GETJOB", "NOHANG", "COUNT", 3, "FROM", "q")) as unknown[];
      assert.equal(got.length, 2);
      const stats = pairs(await c.call("QSTAT", "q"));
      assert.equal(stats.get("groups"), 2);
      assert.equal(stats.get("held-back"), 1);
      assert.equal(await c.call("QLEN", "q"), int(1));
      const scrape = parseMetrics(await (await fetch(`${t.url}/metrics`)).text());
      assert.equal(scrape.get('docket_queue_held_back_jobs{queue="q"}'), 1);
      assert.equal(scrape.get('docket_queue_groups{queue="q"}'), 2);
      assert.equal(scrape.get('docket_queue_rate_limited{queue="q"}'), 0);
    });
  });
}
