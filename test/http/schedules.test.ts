import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { http, assertError } from "../helpers/http.js";
import { RawClient, simple } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/** The native /v1/schedules routes (docs/schedules.md) against a real server on each store. */

const stores = serverOnEachStore("sched", { manualClock: true });

for (const store of stores) {
  describe(`/v1/schedules on the ${store.name}`, () => {
    let t: TestServer;
    let resp: RawClient;
    const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
      http(t.url, method, path, options);
    const advance = async (ms: number) => {
      t.clock!.advance(ms);
      await (t.server.broker as unknown as { runDue(): unknown }).runDue();
    };
    const put = (name: string, json: unknown) =>
      call("PUT", `/v1/schedules/${encodeURIComponent(name)}`, { json });

    before(async () => {
      t = await store.start();
      resp = await RawClient.connect(t.port);
    });
    after(async () => {
      resp.close();
      await t.close();
    });
    beforeEach(async () => {
      assert.equal(await resp.call("DEBUG", "FLUSHALL"), simple("OK"));
    });

    it("PUT creates a schedule and answers it; GET reads it; due runs add jobs", async () => {
      const now = t.clock!.now();
      const created = await put("every-10s", {
        everyMs: 10_000,
        template: {
          queue: "q",
          body: "hello",
          ttl: 600,
          priority: 3,
          group: "g",
          retries: 2,
          runTimeoutMs: 500,
        },
      });
      assert.equal(created.status, 200, created.text);
      assert.deepEqual(created.json, {
        name: "every-10s",
        cron: null,
        timezone: null,
        everyMs: 10_000,
        template: {
          queue: "q",
          body: "hello",
          encoding: "utf8",
          ttl: 600,
          retry: null,
          priority: 3,
          group: "g",
          retries: 2,
          runTimeoutMs: 500,
        },
        nextRunAt: now + 10_000,
        lastRunAt: null,
        lastJobId: null,
        runs: 0,
        createdAt: now,
      });
      await advance(10_000);
      const got = await call("GET", "/v1/schedules/every-10s");
      assert.equal(got.status, 200);
      assert.equal(got.json.runs, 1);
      assert.equal(got.json.lastRunAt, now + 10_000);
      const job = await call("GET", `/v1/jobs/${encodeURIComponent(got.json.lastJobId as string)}`);
      assert.equal(job.status, 200, job.text);
      assert.equal(job.json.body, "hello");
    });

    it("a cron with a time zone", async () => {
      const reply = await put("paris", {
        cron: "0 0 9 * * *",
        timezone: "Europe/Paris",
        template: { queue: "q", body: "b" },
      });
      assert.equal(reply.status, 200, reply.text);
      assert.equal(reply.json.cron, "0 0 9 * * *");
      assert.equal(reply.json.timezone, "Europe/Paris");
      const hourUtc = new Date(reply.json.nextRunAt as number).getUTCHours();
      assert.ok(hourUtc === 7 || hourUtc === 8, `09:00 in Paris is 07:00 or 08:00 UTC, got ${hourUtc}`);
    });

    it("GET /v1/schedules pages names in order; DELETE removes", async () => {
      for (const name of ["b", "c", "a"]) {
        assert.equal((await put(name, { everyMs: 60_000, template: { queue: "q", body: "x" } })).status, 200);
      }
      const first = await call("GET", "/v1/schedules?count=2");
      assert.equal(first.status, 200, first.text);
      assert.deepEqual(
        (first.json.schedules as Array<{ name: string }>).map((s) => s.name),
        ["a", "b"],
      );
      const second = await call("GET", `/v1/schedules?count=2&cursor=${first.json.cursor as string}`);
      assert.deepEqual(
        (second.json.schedules as Array<{ name: string }>).map((s) => s.name),
        ["c"],
      );
      assert.equal(second.json.cursor, "0");
      assert.deepEqual((await call("DELETE", "/v1/schedules/b")).json, { name: "b", removed: 1 });
      assert.deepEqual((await call("DELETE", "/v1/schedules/b")).json, { name: "b", removed: 0 });
      assertError(await call("GET", "/v1/schedules/b"), 404, "NOTFOUND", /no schedule named b/);
    });

    it("errors carry the schedule rules, as on RESP", async () => {
      const template = { queue: "q", body: "x" };
      assertError(await put("s", { template }), 400, "ERR", /either CRON or EVERY/);
      assertError(await put("s", { everyMs: 10, template }), 400, "ERR", /EVERY must be at least 1000 ms/);
      assertError(await put("s", { cron: "nope", template }), 400, "ERR", /invalid cron expression/);
      assertError(
        await put("s", { cron: "* * * * *", timezone: "Nowhere/Land", template }),
        400,
        "ERR",
        /unknown time zone/,
      );
      const missing = await put("s", { everyMs: 1000 });
      assert.equal(missing.status, 400, missing.text);
      assertError(await call("GET", "/v1/schedules?cursor=zz"), 400, "ERR", /cursor/);
    });
  });
}
