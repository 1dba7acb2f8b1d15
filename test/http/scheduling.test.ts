import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { http, jobPath, parseMetrics, assertError } from "../helpers/http.js";
import { RawClient, simple } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/**
 * The native HTTP API's scheduling options (docs/http.md, docs/scheduling.md):
 * an add's priority, key (or Idempotency-Key header), keyTtl and group, the
 * duplicate reply, the job, stats and policy JSON, every range error, and
 * the scheduling metrics. The server's clock is the test's.
 */

const stores = serverOnEachStore("sched", { manualClock: true });

for (const store of stores) {
  describe(`scheduling options over HTTP on the ${store.name}`, () => {
    let t: TestServer;
    let resp: RawClient;
    const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
      http(t.url, method, path, options);
    const post = (queue: string, job: Record<string, unknown>, headers?: Record<string, string>) =>
      call("POST", `/v1/queues/${queue}/jobs`, { json: { body: "work", ...job }, headers });
    const add = async (queue: string, job: Record<string, unknown> = {}): Promise<string> => {
      const reply = await post(queue, job);
      assert.equal(reply.status, 201, reply.text);
      return reply.json.id as string;
    };
    const metrics = async () => parseMetrics((await call("GET", "/metrics")).text);

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

    it("refuses a bad priority, key, keyTtl or group (400), in the envelope and the query string", async () => {
      // the schema's checks answer BADREQUEST, the scheduling rules' (core/scheduling.ts) ERR
      const bad: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ priority: -1 }, "BADREQUEST", /priority/],
        [{ priority: 4294967296 }, "BADREQUEST", /priority/],
        [{ priority: "1e3" }, "BADREQUEST", /priority is not an integer/],
        [{ key: "" }, "BADREQUEST", /key/],
        [{ key: "k".repeat(257) }, "BADREQUEST", /key/],
        [{ key: "é".repeat(129) }, "ERR", /KEY must be 1 to 256 bytes/],
        [{ keyTtl: 10 }, "ERR", /KEYTTL needs KEY/],
        [{ key: "k", keyTtl: 0 }, "BADREQUEST", /keyTtl/],
        [{ key: "k", keyTtl: 2592001 }, "BADREQUEST", /keyTtl/],
        [{ group: "a b" }, "BADREQUEST", /group/],
        [{ group: "g".repeat(129) }, "BADREQUEST", /group/],
      ];
      for (const [job, code, message] of bad) assertError(await post("q", job), 400, code, message);
      const raw = await call("POST", "/v1/queues/q/jobs?priority=-5", { raw: "bytes" });
      assertError(raw, 400, "BADREQUEST", /priority/);
      assert.equal((await call("GET", "/v1/queues/q")).status, 404);
    });

    it("the Idempotency-Key header: the same as key; both and different is a 400", async () => {
      assertError(
        await post("q", { key: "a" }, { "idempotency-key": "b" }),
        400,
        "BADREQUEST",
        /Idempotency-Key header and the key field differ/,
      );
      assertError(await post("q", {}, { "idempotency-key": "" }), 400, "ERR", /KEY must be/);
      const first = await post("q", {}, { "idempotency-key": "order-1" });
      assert.equal(first.status, 201, first.text);
      const same = await post("q", { key: "order-1" }, { "idempotency-key": "order-1" });
      assert.deepEqual(same.json, { id: first.json.id, duplicate: true, state: "queued" });
      assert.equal(same.status, 200);
      const raw = await call("POST", "/v1/queues/q/jobs", {
        raw: "bytes",
        headers: { "idempotency-key": "order-1" },
      });
      assert.deepEqual([raw.status, raw.json.id], [200, first.json.id]);
      // a header carries bytes: its UTF-8 is the key a JSON body's text names
      const utf8 = Buffer.from("bestellung-ä", "utf8").toString("latin1");
      const accented = await post("q", {}, { "idempotency-key": utf8 });
      assert.equal(accented.status, 201, accented.text);
      const again = await post("q", { key: "bestellung-ä" }, { "idempotency-key": utf8 });
      assert.deepEqual([again.status, again.json.id], [200, accented.json.id]);
      assertError(await post("q", {}, { "idempotency-key": "\xff" }), 400, "BADREQUEST", /UTF-8/);
    });

    it("a plain add answers as before: 201 {id, seq, queue}; its job has the default scheduling fields", async () => {
      const reply = await post("q", {});
      assert.equal(reply.status, 201);
      assert.deepEqual(Object.keys(reply.json), ["id", "seq", "queue"]);
      const job = (await call("GET", jobPath(reply.json.id))).json;
      assert.deepEqual(
        [job.priority, job.group, job.key, job.keyExpiresAt, job.schedule],
        [1024, null, null, null, null],
      );
    });

    it("an add's priority, group and key: in the job, in its delivery; a duplicate is 200 and counted", async () => {
      const duplicatesBefore = (await metrics()).get("docket_idempotent_duplicates_total")!;
      const id = await add("q", { priority: 5, group: "tenant-a", key: "order-1", keyTtl: 60 });
      const job = (await call("GET", jobPath(id))).json;
      assert.deepEqual(
        [job.priority, job.group, job.key, job.keyExpiresAt, job.schedule],
        [5, "tenant-a", "order-1", t.clock!.now() + 60_000, null],
      );
      const dup = await post("q", { body: "other", key: "order-1" });
      assert.equal(dup.status, 200);
      assert.deepEqual(dup.json, { id, duplicate: true, state: "queued" });
      const fetched = await call("POST", "/v1/fetch", { json: { queues: ["q"] } });
      assert.deepEqual([fetched.json.jobs[0].priority, fetched.json.jobs[0].group], [5, "tenant-a"]);
      assert.equal((await post("q", { key: "order-1" })).json.state, "active");
      assert.equal((await metrics()).get("docket_idempotent_duplicates_total"), duplicatesBefore + 2);
    });

    it("the OpenAPI document describes the add's scheduling fields, the header and both replies", async () => {
      const doc = (await call("GET", "/v1/openapi.json")).json;
      const add = doc.paths["/v1/queues/{queue}/jobs"].post;
      const envelope = add.requestBody.content["application/json"].schema.properties;
      for (const field of ["priority", "key", "keyTtl", "group"]) assert.ok(envelope[field], field);
      assert.equal(envelope.priority.maximum, 4294967295);
      const parameters = add.parameters.map((p: { name: string; in: string }) => `${p.in}:${p.name}`);
      assert.ok(parameters.includes("header:idempotency-key"), parameters.join());
      assert.ok(parameters.includes("query:priority"), parameters.join());
      assert.ok(add.responses["200"] && add.responses["201"], Object.keys(add.responses).join());
      const policy =
        doc.paths["/v1/queues/{queue}/policy"].put.requestBody.content["application/json"].schema;
      assert.ok(policy.properties.rateLimit && policy.properties.groupLimit);
    });

    it("a lower priority is fetched first", async () => {
      const late = await add("q", { priority: 2000 });
      const plain = await add("q");
      const urgent = await add("q", { priority: 0 });
      const fetched = await call("POST", "/v1/fetch", { json: { queues: ["q"], count: 3 } });
      assert.deepEqual(
        fetched.json.jobs.map((j: { id: string }) => j.id),
        [urgent, plain, late],
      );
    });

    it("the policy's rateLimit and groupLimit round-trip; bad ones are 400; stats show them", async () => {
      const put = await call("PUT", "/v1/queues/q/policy", {
        json: { rateLimit: "120/60000ms", groupLimit: 2 },
      });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.json.policy, {
        retries: null,
        backoff: null,
        runTimeout: null,
        deadLetterCap: null,
        rateLimit: "120/1m",
        groupLimit: 2,
      });
      assert.deepEqual((await call("GET", "/v1/queues/q/policy")).json.policy.rateLimit, "120/1m");
      assertError(
        await call("PUT", "/v1/queues/q/policy", { json: { rateLimit: "0/1s" } }),
        400,
        "ERR",
        /rate/,
      );
      assertError(await call("PUT", "/v1/queues/q/policy", { json: { rateLimit: 5 } }), 400, "BADREQUEST");
      assertError(await call("PUT", "/v1/queues/q/policy", { json: { groupLimit: 0 } }), 400, "BADREQUEST");
      assertError(await call("PUT", "/v1/queues/q/policy", { json: { groupLimit: "2" } }), 400, "BADREQUEST");
      await add("q", { group: "a" });
      const stats = (await call("GET", "/v1/queues/q")).json;
      assert.deepEqual(
        [stats.rateLimit, stats.rateLimitedUntil, stats.groups, stats.heldBack],
        ["120/1m", null, 1, 0],
      );
      const none = await call("PUT", "/v1/queues/q/policy", { json: {} });
      assert.deepEqual([none.json.policy.rateLimit, none.json.policy.groupLimit], [null, null]);
    });

    it("groupLimit holds jobs back; the gauges count held-back jobs, groups and rate limiting per queue", async () => {
      await call("PUT", "/v1/queues/q/policy", { json: { groupLimit: 1, rateLimit: "3/1s" } });
      await add("q", { group: "a" });
      await add("q", { group: "a" });
      await add("q", { group: "b" });
      await add("q", { group: "c" });
      const fetched = await call("POST", "/v1/fetch", { json: { queues: ["q"], count: 4 } });
      assert.equal(fetched.json.jobs.length, 3);
      const stats = (await call("GET", "/v1/queues/q")).json;
      assert.deepEqual([stats.groups, stats.heldBack], [3, 1]);
      assert.equal(stats.rateLimitedUntil, t.clock!.now() + 334);
      const m = await metrics();
      assert.equal(m.get('docket_queue_held_back_jobs{queue="q"}'), 1);
      assert.equal(m.get('docket_queue_groups{queue="q"}'), 3);
      assert.equal(m.get('docket_queue_rate_limited{queue="q"}'), 1);
      for (const name of m.keys()) assert.doesNotMatch(name, /group="/, "no group labels");
    });
  });
}
