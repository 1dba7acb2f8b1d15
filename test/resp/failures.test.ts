import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { NULL_BULK, RawClient, array, bulk, int, simple } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { jobIdOf as idOf, replyValue as value, replyPairs as pairs } from "../helpers/resp-values.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/**
 * docket's failure extensions over RESP (docs/failures.md, "Wire syntax"):
 * each command's exact reply, and a plain Disque client's NACK, ACKJOB, SHOW
 * and QSTAT unchanged (failure-errors.test.ts: settings and range errors).
 * The server's clock is the test's.
 */

const stores = serverOnEachStore("fail", { manualClock: true });

for (const store of stores) {
  describe(`failure handling over RESP on the ${store.name}`, () => {
    let t: TestServer;
    let c: RawClient;
    /** moves the server's clock and runs what fell due, on either store */
    const advance = async (ms: number) => {
      t.clock!.advance(ms);
      await (t.server.broker as unknown as { runDue(): unknown }).runDue();
    };
    const add = async (queue: string, ...options: Array<string | number>) =>
      idOf(await c.call("ADDJOB", queue, "body", 0, ...options));
    /** adds a job and takes it: it is active, ready to fail */
    const taken = async (queue: string, ...options: Array<string | number>) => {
      const id = await add(queue, ...options);
      const got = value(await c.call("GETJOB", "NOHANG", "FROM", queue)) as unknown[][];
      assert.equal(got[0]![1], id);
      return id;
    };

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
      assert.equal(await c.call("CONFIG", "SET", "default-retries", "-1"), simple("OK"));
    });

    it("a plain Disque client's NACK, SHOW and QSTAT are Disque's: no new fields, queued again at once", async () => {
      const id = await taken("plain");
      assert.equal(await c.call("NACK", id), int(1));
      assert.equal(await c.call("QLEN", "plain"), int(1));
      const show = await c.call("SHOW", id);
      assert.ok(show.startsWith("*30\r\n"), show);
      assert.equal(pairs(show).get("state"), "queued");
      assert.equal(pairs(show).get("nacks"), 1);
      const qstat = await c.call("QSTAT", "plain");
      assert.ok(qstat.startsWith("*20\r\n"), qstat);
      // unlimited budget (-1): never dead-lettered, however often it fails
      for (let i = 0; i < 5; i++) {
        await c.call("GETJOB", "NOHANG", "FROM", "plain");
        assert.equal(await c.call("NACK", id), int(1));
      }
      assert.equal(await c.call("DEADLETTERS", "plain"), array());
      await c.call("GETJOB", "NOHANG", "FROM", "plain");
      assert.equal(await c.call("ACKJOB", id), int(1));
      assert.equal(await c.call("RESULT", id), NULL_BULK);
    });

    it("ADDJOB RETRIES, BACKOFF, RUNTIMEOUT: in SHOW and in GETJOB WITHDETAILS", async () => {
      const id = await add("q", "RETRIES", 2, "BACKOFF", "exponential:100:1000", "RUNTIMEOUT", 3000);
      const show = pairs(await c.call("SHOW", id));
      assert.equal(show.get("retries"), 2);
      assert.equal(show.get("retries-left"), 2);
      assert.equal(show.get("backoff"), "exponential:100:1000");
      assert.equal(show.get("run-timeout"), 3000);
      assert.equal(show.has("attempts"), false);
      assert.equal(
        await c.call("GETJOB", "NOHANG", "WITHDETAILS", "FROM", "q"),
        array(
          array(
            bulk("q"),
            bulk(id),
            bulk("body"),
            bulk("nacks"),
            int(0),
            bulk("additional-deliveries"),
            int(0),
            bulk("retries-left"),
            int(2),
            bulk("run-timeout"),
            int(3000),
          ),
        ),
      );
      // a job without either: -1 (unlimited) and 0 (none)
      const plain = await add("p");
      const got = value(await c.call("GETJOB", "NOHANG", "WITHDETAILS", "FROM", "p")) as unknown[][];
      assert.deepEqual(got[0]!.slice(1), [
        plain,
        "body",
        "nacks",
        0,
        "additional-deliveries",
        0,
        "retries-left",
        -1,
        "run-timeout",
        0,
      ]);
    });

    it("NACK DELAY: the job backs off (SHOW, JSCAN STATE backoff, QSTAT), then is queued", async () => {
      const id = await taken("q", "RETRIES", 3);
      assert.equal(await c.call("NACK", id, "DELAY", 5000, "ERROR", "it broke"), int(1));
      const show = pairs(await c.call("SHOW", id));
      assert.equal(show.get("state"), "backoff");
      assert.equal(show.get("retries-left"), 2);
      assert.equal(show.get("backoff-until"), t.clock!.now() + 5000);
      assert.equal(show.get("next-requeue-within"), 5000);
      assert.deepEqual(show.get("attempts"), [[t.clock!.now(), "nack", "it broke"]]);
      assert.equal(await c.call("JSCAN", "STATE", "backoff"), array(bulk("0"), array(simple(id))));
      const qstat = pairs(await c.call("QSTAT", "q"));
      assert.equal(qstat.get("backoff"), 1);
      assert.equal(qstat.get("dead-letters"), 0);
      assert.equal(await c.call("QLEN", "q"), int(0));
      await advance(4999);
      assert.equal(await c.call("QLEN", "q"), int(0));
      await advance(1);
      assert.equal(await c.call("QLEN", "q"), int(1));
      assert.equal(pairs(await c.call("SHOW", id)).get("state"), "queued");
      assert.ok(
        (await c.call("QSTAT", "q")).startsWith("*20\r\n"),
        "QSTAT without backing-off jobs is Disque's",
      );
    });

    it("NACK BACKOFF waits as the job's policy says; TIMEDOUT records a timeout attempt", async () => {
      const id = await taken("q", "RETRIES", 5, "BACKOFF", "fixed:700");
      assert.equal(await c.call("NACK", id, "BACKOFF", "TIMEDOUT", "ERROR", "timed out after 10 ms"), int(1));
      const show = pairs(await c.call("SHOW", id));
      assert.equal(show.get("backoff-until"), t.clock!.now() + 700);
      assert.deepEqual(show.get("attempts"), [[t.clock!.now(), "timeout", "timed out after 10 ms"]]);
      await advance(700);
      assert.equal(await c.call("QLEN", "q"), int(1));
    });

    it("runs out of retries into the dead-letter list: DEADLETTERS, DEADLETTER, QSTAT, REDRIVE with a fresh budget", async () => {
      const id = await taken("q", "RETRIES", 1);
      assert.equal(await c.call("NACK", id, "ERROR", "first"), int(1));
      await c.call("GETJOB", "NOHANG", "FROM", "q");
      const at = t.clock!.now();
      assert.equal(await c.call("NACK", id, "ERROR", "second"), int(1));
      assert.equal(
        await c.call("DEADLETTERS", "q"),
        array(array(bulk(id), bulk("body"), bulk("retries exhausted"), int(at))),
      );
      assert.equal(
        await c.call("DEADLETTER", id),
        array(
          bulk("id"),
          bulk(id),
          bulk("queue"),
          bulk("q"),
          bulk("body"),
          bulk("body"),
          bulk("reason"),
          bulk("retries exhausted"),
          bulk("at"),
          int(at),
          bulk("retries"),
          int(1),
          bulk("attempts"),
          array(array(int(at), bulk("nack"), bulk("first")), array(int(at), bulk("nack"), bulk("second"))),
        ),
      );
      assert.equal(await c.call("DEADLETTER", "D-00000000-000000000000000000000000-0000"), NULL_BULK);
      const qstat = pairs(await c.call("QSTAT", "q"));
      assert.equal(qstat.get("dead-letters"), 1);
      assert.equal(await c.call("REDRIVE", "q", "IDS", id), int(1));
      assert.equal(await c.call("DEADLETTERS", "q"), array());
      const again = value(await c.call("GETJOB", "NOHANG", "WITHDETAILS", "FROM", "q")) as unknown[][];
      assert.notEqual(again[0]![1], id, "a redriven job has a new id");
      assert.equal(again[0]![8], 1, "and its budget afresh");
      assert.equal(pairs(await c.call("SHOW", String(again[0]![1]))).has("attempts"), false);
    });

    it("REDRIVE and DEADPURGE take the oldest count, these ids, or all", async () => {
      const dead: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = await taken("q", "RETRIES", 0);
        assert.equal(await c.call("NACK", id), int(1));
        dead.push(id);
        await advance(1);
      }
      assert.equal(await c.call("DEADPURGE", "q", 1), int(1));
      const left = (value(await c.call("DEADLETTERS", "q")) as unknown[][]).map((row) => row[0]);
      assert.deepEqual(left, dead.slice(1));
      assert.equal(
        await c.call("DEADPURGE", "q", "IDS", dead[3]!, "D-00000000-000000000000000000000000-0000"),
        int(1),
      );
      assert.equal(await c.call("REDRIVE", "q", 1), int(1));
      assert.deepEqual(
        (value(await c.call("DEADLETTERS", "q")) as unknown[][]).map((row) => row[0]),
        [dead[2]],
      );
      assert.equal(await c.call("DEADPURGE", "q"), int(1));
      assert.equal(await c.call("QLEN", "q"), int(1));
    });

    it("ACKJOB RESULT keeps the result: RESULT and WAITJOB WITHRESULT return it, until result-ttl", async () => {
      const id = await taken("q");
      const waiter = await RawClient.connect(t.port);
      try {
        waiter.send("WAITJOB", id, "WITHRESULT");
        await new Promise((resolve) => setTimeout(resolve, 50));
        const bytes = Buffer.from([0, 1, 2, 255, 13, 10]);
        assert.equal(await c.call("ACKJOB", id, "RESULT", bytes), int(1));
        assert.equal(await waiter.reply(), array(simple("acked"), bulk(bytes)));
        assert.equal(await c.call("RESULT", id), bulk(bytes));
        // acked and kept: answered at once, not `gone`
        assert.equal(await c.call("WAITJOB", id, 10, "WITHRESULT"), array(simple("acked"), bulk(bytes)));
        assert.equal(await c.call("WAITJOB", id), simple("acked"));
        await advance(3600 * 1000);
        assert.equal(await c.call("RESULT", id), NULL_BULK);
      } finally {
        waiter.close();
      }
      const live = await add("q");
      c.send("WAITJOB", live, 1000, "WITHRESULT");
      await new Promise((resolve) => setTimeout(resolve, 50));
      await advance(1000); // the time-out runs on the server's clock
      assert.equal(await c.reply(), array(NULL_BULK, NULL_BULK));
      assert.equal(
        await c.call("WAITJOB", "D-00000000-000000000000000000000000-0000", "WITHRESULT"),
        array(simple("gone"), NULL_BULK),
      );
    });

    it("QPOLICY sets, reads and resets a queue's policy; new jobs take it", async () => {
      assert.equal(await c.call("QPOLICY", "q"), array());
      assert.equal(
        await c.call(
          "QPOLICY",
          "q",
          "RETRIES",
          2,
          "BACKOFF",
          "fixed:50",
          "RUNTIMEOUT",
          900,
          "DEADLETTER-CAP",
          5,
        ),
        array(
          bulk("retries"),
          int(2),
          bulk("backoff"),
          bulk("fixed:50"),
          bulk("runtimeout"),
          int(900),
          bulk("deadletter-cap"),
          int(5),
        ),
      );
      const id = await add("q");
      const show = pairs(await c.call("SHOW", id));
      assert.equal(show.get("retries"), 2);
      assert.equal(show.get("backoff"), "fixed:50");
      assert.equal(show.get("run-timeout"), 900);
      // an add's own setting wins
      assert.equal(pairs(await c.call("SHOW", await add("q", "RETRIES", 7))).get("retries"), 7);
      assert.equal(
        await c.call("QPOLICY", "q", "retries", "default", "BACKOFF", "DEFAULT"),
        array(bulk("runtimeout"), int(900), bulk("deadletter-cap"), int(5)),
      );
      assert.equal(pairs(await c.call("SHOW", await add("q"))).has("retries"), false);
    });

    it("COMMAND lists the new commands; INFO has the failure totals", async () => {
      assert.equal(
        await c.call("COMMAND", "INFO", "qpolicy", "deadpurge", "result"),
        array(
          array(bulk("qpolicy"), int(-2), array(simple("write")), int(0), int(0), int(0)),
          array(bulk("deadpurge"), int(-2), array(simple("write")), int(0), int(0), int(0)),
          array(bulk("result"), int(2), array(simple("readonly"), simple("fast")), int(0), int(0), int(0)),
        ),
      );
      const stats = async () => {
        const text = value(await c.call("INFO", "stats")) as string;
        return Object.fromEntries([...text.matchAll(/^(\w+):(\d+)\r$/gm)].map((m) => [m[1]!, Number(m[2])]));
      };
      const before = await stats();
      const id = await taken("q", "RETRIES", 1);
      await c.call("NACK", id, "TIMEDOUT");
      await c.call("GETJOB", "NOHANG", "FROM", "q");
      await c.call("NACK", id);
      const after = await stats();
      const grew = (name: string) => after[name]! - before[name]!;
      assert.equal(grew("total_jobs_retried"), 1);
      assert.equal(grew("total_jobs_dead_lettered"), 1);
      assert.equal(grew("total_jobs_timed_out"), 1);
      assert.equal(grew("total_dead_letters_evicted"), 0);
      assert.ok("results_kept" in after && "result_bytes" in after, JSON.stringify(after));
    });
  });
}
