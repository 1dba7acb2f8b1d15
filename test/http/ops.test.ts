import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { http, jobPath, parseMetrics } from "../helpers/http.js";
import { RawClient } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/** /metrics, /healthz, auth and request limits. */

describe("metrics and health", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({}, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });
  const scrape = async () => {
    const reply = await http(t.url, "GET", "/metrics");
    assert.equal(reply.status, 200);
    assert.match(reply.headers.get("content-type") ?? "", /^text\/plain/);
    return parseMetrics(reply.text);
  };

  it("/healthz answers 200", async () => {
    const reply = await http(t.url, "GET", "/healthz");
    assert.deepEqual([reply.status, reply.json], [200, { status: "ok" }]);
  });

  it("moves after traffic: totals, depth by state, oldest age, latency, clients", async () => {
    const before = await scrape();
    assert.equal(before.get("docket_jobs_in_total"), 0);
    const fsyncsBefore = before.get("docket_fsync_seconds_count") ?? 0;
    const resp = await RawClient.connect(t.port);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await http(t.url, "POST", "/v1/queues/m/jobs", { json: { body: i, retry: 10 } })).json.id);
    }
    await http(t.url, "POST", "/v1/queues/other/jobs", { json: { body: "x" } });
    t.clock!.advance(2500);
    const fetched = await http(t.url, "POST", "/v1/fetch", { json: { queues: ["m"], count: 2 } });
    assert.equal(fetched.json.jobs.length, 2);
    await http(t.url, "POST", jobPath(ids[0]!, "/ack"));
    const pending = http(t.url, "POST", "/v1/fetch", { json: { queues: ["empty"], timeout: 5000 } });
    await waitFor(async () => (await t.server.engine.stats()).blockedClients === 1);
    const m = await scrape();
    assert.equal(m.get("docket_jobs_in_total"), 4);
    assert.equal(m.get("docket_jobs_out_total"), 2);
    assert.equal(m.get("docket_jobs_acked_total"), 1);
    assert.equal(m.get("docket_jobs_expired_total"), 0);
    assert.equal(m.get('docket_queue_jobs{queue="m",state="queued"}'), 1);
    assert.equal(m.get('docket_queue_jobs{queue="m",state="active"}'), 1);
    assert.equal(m.get('docket_queue_jobs{queue="other",state="queued"}'), 1);
    assert.equal(m.get('docket_jobs{state="queued"}'), 2);
    assert.equal(m.get('docket_queue_oldest_job_age_seconds{queue="m"}'), 2.5);
    assert.equal(m.get('docket_add_to_fetch_seconds_count{queue="m"}'), 2);
    assert.equal(m.get('docket_add_to_fetch_seconds_sum{queue="m"}'), 5);
    assert.equal(m.get('docket_add_to_fetch_seconds_bucket{le="5",queue="m"}'), 2);
    assert.equal(m.get('docket_add_to_fetch_seconds_bucket{le="1",queue="m"}'), 0);
    assert.equal(m.get("docket_blocked_clients"), 1);
    // Every add and ack above waited for an fsync (--fsync always): each one is timed.
    const fsyncs = m.get("docket_fsync_seconds_count")!;
    assert.ok(fsyncs >= fsyncsBefore + 5, `fsyncs timed: ${fsyncs} (was ${fsyncsBefore})`);
    assert.equal(m.get('docket_fsync_seconds_bucket{le="+Inf"}'), fsyncs);
    assert.ok(m.get("docket_fsync_seconds_sum")! > 0);
    assert.equal(m.get('docket_connected_clients{door="resp"}'), 1);
    assert.ok((m.get('docket_connected_clients{door="http"}') ?? 0) >= 2);
    assert.equal(
      m.get('docket_http_requests_total{method="POST",route="/v1/queues/:queue/jobs",status="201"}'),
      4,
    );
    // requeue after the lease, counted
    t.clock!.advance(10_001);
    t.server.engine.runDue();
    assert.equal((await scrape()).get("docket_jobs_requeued_total"), 1);
    await http(t.url, "POST", "/v1/queues/empty/jobs", { json: { body: 1 } });
    await pending;
    const pings = (await scrape()).get('docket_resp_commands_total{command="ping"}') ?? 0;
    for (let i = 0; i < 3; i++) assert.equal(await resp.call("PING"), "+PONG\r\n");
    await resp.call("QLEN", "m");
    const after = await scrape();
    assert.equal(after.get('docket_resp_commands_total{command="ping"}'), pings + 3);
    assert.equal(after.get('docket_resp_commands_total{command="qlen"}'), 1);
    assert.equal(after.get('docket_resp_commands_total{command="addjob"}'), undefined, "never called");
    resp.close();
  });
});

describe("auth", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({ requirePass: "s3cret" });
  });
  after(async () => {
    await t.close();
  });

  it("every route but /healthz needs the bearer password", async () => {
    assert.equal((await http(t.url, "GET", "/healthz")).status, 200);
    const routes: Array<[string, string, Record<string, unknown> | undefined]> = [
      ["GET", "/v1/queues", undefined],
      ["POST", "/v1/queues/q/jobs", { body: 1 }],
      ["POST", "/v1/fetch", { queues: ["q"] }],
      ["GET", "/v1/openapi.json", undefined],
      ["GET", "/metrics", undefined],
      ["POST", "/enqueue/q", { content: 1 }],
      ["GET", "/queues/", undefined],
      ["POST", "/apps/taskq/q/tasks/deque", undefined],
      ["GET", "/no/such/route", undefined],
    ];
    for (const [method, path, json] of routes) {
      const none = await http(t.url, method, path, { json });
      assert.deepEqual([none.status, none.json.error.code], [401, "UNAUTHORIZED"], `${method} ${path}`);
      assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
      const wrong = await http(t.url, method, path, { json, headers: { authorization: "Bearer nope" } });
      assert.equal(wrong.status, 401);
      const basic = await http(t.url, method, path, { json, headers: { authorization: "Basic czNjcmV0" } });
      assert.equal(basic.status, 401);
    }
    const ok = { authorization: "Bearer s3cret" };
    assert.equal(
      (await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: 1 }, headers: ok })).status,
      201,
    );
    assert.equal((await http(t.url, "GET", "/v1/queues", { headers: ok })).status, 200);
    assert.equal((await http(t.url, "GET", "/metrics", { headers: ok })).status, 200);
    assert.equal((await http(t.url, "POST", "/apps/taskq/q/tasks/deque", { headers: ok })).status, 200);
  });

  it("without a password nothing is asked", async () => {
    const open = await testServer();
    try {
      assert.equal((await http(open.url, "GET", "/v1/queues")).status, 200);
      assert.equal((await http(open.url, "GET", "/metrics")).status, 200);
    } finally {
      await open.close();
    }
  });
});

describe("limits and malformed input", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({ maxJobSize: 1024 });
  });
  after(async () => {
    await t.close();
  });

  it("bodies over the job size limit answer 413 TOOLARGE, on every door", async () => {
    const big = Buffer.alloc(1025, 0x61);
    const cases = [
      await http(t.url, "POST", "/v1/queues/q/jobs", { raw: big }),
      await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: big.toString() } }),
      await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: "x".repeat(200_000) } }),
      await http(t.url, "POST", "/apps/taskq/q/tasks", { raw: big }),
      await http(t.url, "POST", "/enqueue/q", { json: { content: big.toString() } }),
    ];
    for (const reply of cases)
      assert.deepEqual([reply.status, reply.json?.error?.code], [413, "TOOLARGE"], reply.text);
    // exactly at the limit is fine
    assert.equal(
      (await http(t.url, "POST", "/v1/queues/q/jobs", { raw: big.subarray(0, 1024) })).status,
      201,
    );
    assert.equal((await http(t.url, "GET", "/v1/queues/q")).json.len, 1);
  });

  it("malformed JSON answers 400 BADREQUEST and the server keeps serving", async () => {
    for (const raw of ["{", '{"body": }', "nul", "[1,2"]) {
      const reply = await http(t.url, "POST", "/v1/fetch", { raw, contentType: "application/json" });
      assert.deepEqual([reply.status, reply.json.error.code], [400, "BADREQUEST"], raw);
    }
    const wrongType = await http(t.url, "POST", "/v1/fetch", { json: ["q"] });
    assert.deepEqual([wrongType.status, wrongType.json.error.code], [400, "BADREQUEST"]);
    assert.equal((await http(t.url, "GET", "/healthz")).status, 200);
  });

  it("--no-http starts no HTTP door", async () => {
    const off = await testServer({ http: false });
    try {
      assert.equal(off.server.httpPort, undefined);
      assert.equal(off.httpPort, 0);
    } finally {
      await off.close();
    }
  });
});
