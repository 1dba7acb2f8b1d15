import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { NULL_BULK, RawClient, int } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { replyValue as value, replyPairs } from "../helpers/resp-values.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/**
 * SCHEDULE SET|GET|DEL|LIST over RESP (docs/schedules.md) against a real
 * server on each store; due runs driven by the server's (manual) clock.
 */

const FIELDS = [
  "name",
  "cron",
  "timezone",
  "every-ms",
  "queue",
  "body",
  "ttl",
  "retry",
  "priority",
  "group",
  "retries",
  "run-timeout",
  "next-run-at",
  "last-run-at",
  "last-job-id",
  "runs",
  "created-at",
];

/** SCHEDULE GET's flat field/value list as a Map, checking the field order */
function fields(reply: string): Map<string, unknown> {
  const out = replyPairs(reply);
  assert.deepEqual([...out.keys()], FIELDS);
  return out;
}

const stores = serverOnEachStore("sched", { manualClock: true });

for (const store of stores) {
  describe(`SCHEDULE over RESP on the ${store.name}`, () => {
    let t: TestServer;
    let c: RawClient;
    const advance = async (ms: number) => {
      t.clock!.advance(ms);
      await (t.server.broker as unknown as { runDue(): unknown }).runDue();
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
    });

    it("SET answers the schedule as GET does; every field in order, nil when unset", async () => {
      const now = t.clock!.now();
      const set = fields(
        await c.call(
          "SCHEDULE",
          "SET",
          "nightly",
          "CRON",
          "0 3 * * *",
          "TZ",
          "Europe/Paris",
          "QUEUE",
          "q",
          "BODY",
          "b",
          "TTL",
          600,
          "PRIORITY",
          7,
          "GROUP",
          "g",
          "RETRIES",
          3,
          "RUNTIMEOUT",
          5000,
        ),
      );
      assert.equal(set.get("name"), "nightly");
      assert.equal(set.get("cron"), "0 3 * * *");
      assert.equal(set.get("timezone"), "Europe/Paris");
      assert.equal(set.get("every-ms"), null);
      assert.equal(set.get("queue"), "q");
      assert.equal(set.get("body"), "b");
      assert.equal(set.get("ttl"), 600);
      assert.equal(set.get("retry"), null);
      assert.equal(set.get("priority"), 7);
      assert.equal(set.get("group"), "g");
      assert.equal(set.get("retries"), 3);
      assert.equal(set.get("run-timeout"), 5000);
      assert.ok((set.get("next-run-at") as number) > now);
      assert.equal(set.get("last-run-at"), null);
      assert.equal(set.get("last-job-id"), null);
      assert.equal(set.get("runs"), 0);
      assert.equal(set.get("created-at"), now);
      assert.deepEqual(fields(await c.call("SCHEDULE", "GET", "nightly")), set);
      assert.equal(await c.call("SCHEDULE", "GET", "other"), NULL_BULK);
    });

    it("EVERY adds a job per interval; GET shows the progress", async () => {
      await c.call("SCHEDULE", "SET", "e", "EVERY", 10_000, "QUEUE", "q", "BODY", "tick");
      await advance(10_000);
      assert.equal(await c.call("QLEN", "q"), int(1));
      const got = fields(await c.call("SCHEDULE", "GET", "e"));
      assert.equal(got.get("runs"), 1);
      assert.equal(got.get("last-run-at"), (got.get("created-at")! as number) + 10_000);
      const job = value(await c.call("QPEEK", "q", 1)) as unknown[][];
      assert.equal(job[0]![1], got.get("last-job-id"));
    });

    it("DEL answers 0 or 1; LIST pages names in order with a cursor", async () => {
      for (const name of ["c", "a", "b"]) {
        await c.call("SCHEDULE", "SET", name, "EVERY", 60_000, "QUEUE", "q", "BODY", "x");
      }
      const first = value(await c.call("SCHEDULE", "LIST", "COUNT", 2)) as [string, string[]];
      assert.deepEqual(first[1], ["a", "b"]);
      assert.notEqual(first[0], "0");
      assert.deepEqual(value(await c.call("SCHEDULE", "LIST", first[0], "COUNT", 2)), ["0", ["c"]]);
      assert.deepEqual(value(await c.call("SCHEDULE", "LIST")), ["0", ["a", "b", "c"]]);
      assert.equal(await c.call("SCHEDULE", "DEL", "b"), int(1));
      assert.equal(await c.call("SCHEDULE", "DEL", "b"), int(0));
      assert.deepEqual(value(await c.call("SCHEDULE", "LIST", "0")), ["0", ["a", "c"]]);
    });

    it("errors: syntax, missing parts, the rules of a schedule", async () => {
      const err = async (expected: RegExp, ...args: Array<string | number>) =>
        assert.match(await c.call("SCHEDULE", ...args), expected);
      await err(/^-ERR unknown SCHEDULE subcommand 'NOPE'/, "NOPE", "x");
      await err(/^-ERR unknown SCHEDULE subcommand 'NOPE'/, "NOPE");
      await err(/^-ERR wrong number of arguments/, "GET");
      await err(/^-ERR SCHEDULE SET needs QUEUE and BODY/, "SET", "s", "EVERY", 1000, "QUEUE", "q");
      await err(/^-ERR syntax error/, "SET", "s", "EVERY", 1000, "QUEUE", "q", "BODY");
      await err(/^-ERR syntax error/, "SET", "s", "EVERY", 1000, "QUEUE", "q", "BODY", "b", "COLOR", "red");
      await err(/^-ERR a schedule needs either CRON or EVERY/, "SET", "s", "QUEUE", "q", "BODY", "b");
      await err(/^-ERR invalid cron expression/, "SET", "s", "CRON", "bad", "QUEUE", "q", "BODY", "b");
      await err(/^-ERR EVERY must be at least 1000 ms/, "SET", "s", "EVERY", 10, "QUEUE", "q", "BODY", "b");
      await err(/^-ERR value is not an integer/, "SET", "s", "EVERY", "soon", "QUEUE", "q", "BODY", "b");
      await err(/^-ERR invalid SCHEDULE LIST cursor/, "LIST", "xyz");
      await err(/^-ERR syntax error/, "LIST", "0", "COUNT");
    });
  });
}
