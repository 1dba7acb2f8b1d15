import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { Redis } from "ioredis";
import { QUEUE_IDLE_GC_MS } from "../../src/stores/embedded/engine/index.js";
import { MAX_HTTP_LISTING_COUNT, MAX_SCAN_COUNT } from "../../src/core/listing-limits.js";
import { MAX_QUEUE_SERIES } from "../../src/doors/http/metrics.js";
import { http } from "../helpers/http.js";
import { testServer, type TestServer } from "../helpers/server.js";

/** The HTTP door's listings and /metrics do bounded work, whatever was asked or happened before. */

describe("HTTP listings are capped", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer();
  });
  after(async () => {
    await t.close();
  });

  it(`peek, emq peek and dead letters answer 400 above ${MAX_HTTP_LISTING_COUNT}`, async () => {
    await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: 1 } });
    for (const path of [
      `/v1/queues/q/peek?count=${MAX_HTTP_LISTING_COUNT + 1}`,
      `/v1/queues/q/peek?count=-${MAX_HTTP_LISTING_COUNT + 1}`,
      "/v1/queues/q/peek?count=1000000000",
      `/v1/queues/q/deadletters?count=${MAX_HTTP_LISTING_COUNT + 1}`,
      `/peek/q?n=${MAX_HTTP_LISTING_COUNT + 1}`,
    ]) {
      const reply = await http(t.url, "GET", path);
      assert.equal(reply.status, 400, path);
      assert.match(reply.text, /must be [<>]= -?1000/, path);
    }
    const peek = await http(t.url, "GET", `/v1/queues/q/peek?count=-${MAX_HTTP_LISTING_COUNT}`);
    assert.deepEqual([peek.status, peek.json.jobs.length], [200, 1]);
    const dead = await http(t.url, "GET", `/v1/queues/q/deadletters?count=${MAX_HTTP_LISTING_COUNT}`);
    assert.deepEqual([dead.status, dead.json], [200, { deadLetters: [] }]);
  });

  it(`GET /v1/queues answers a page of at most ${MAX_SCAN_COUNT} queues and a cursor`, async () => {
    for (const queue of ["page-a", "page-b"])
      await http(t.url, "POST", `/v1/queues/${queue}/jobs`, { json: { body: 1 } });
    const names: string[] = [];
    let cursor = 0;
    for (let pages = 1; ; pages++) {
      const reply = await http(t.url, "GET", `/v1/queues?count=2&cursor=${cursor}`);
      assert.equal(reply.status, 200);
      assert.ok(reply.json.queues.length <= 2);
      names.push(...reply.json.queues.map((q: { name: string }) => q.name));
      cursor = reply.json.cursor;
      if (cursor === 0) break;
      assert.ok(pages < 10, "the pages must end");
    }
    assert.deepEqual(names.sort(), ["page-a", "page-b", "q"]);
    const first = await http(t.url, "GET", "/v1/queues");
    assert.deepEqual([first.json.queues.length, first.json.cursor], [3, 0]);
    assert.equal((await http(t.url, "GET", `/v1/queues?count=${MAX_SCAN_COUNT + 1}`)).status, 400);
  });
});

describe("/metrics keeps per-queue series for live queues only, at most MAX_QUEUE_SERIES", () => {
  let t: TestServer;
  let redis: Redis;
  before(async () => {
    t = await testServer({}, { manualClock: true });
    redis = new Redis({ port: t.port, host: "127.0.0.1", maxRetriesPerRequest: 0 });
  });
  after(async () => {
    redis.disconnect();
    await t.close();
  });

  const queueLabels = (text: string, metric: string): Set<string> => {
    const labels = new Set<string>();
    for (const m of text.matchAll(new RegExp(`^${metric}\\{[^}]*queue="([^"]*)"`, "gm"))) labels.add(m[1]!);
    return labels;
  };

  it("caps the series of many queues, sums the rest, and drops them all once the queues are collected", async () => {
    const queues = Array.from({ length: MAX_QUEUE_SERIES + 300 }, (_, i) => `drained-${i}`);
    const adds = redis.pipeline();
    // the first queues hold two jobs: they are the largest, and keep their own series
    for (const [i, queue] of queues.entries())
      for (let k = i < 10 ? 2 : 1; k > 0; k--) adds.call("ADDJOB", queue, "x", "0");
    await adds.exec();
    const taken = (await redis.call(
      "GETJOB",
      "NOHANG",
      "COUNT",
      queues.length,
      "FROM",
      ...queues,
    )) as string[][];
    assert.equal(taken.length, queues.length);

    const live = (await http(t.url, "GET", "/metrics")).text;
    const jobs = queueLabels(live, "docket_queue_jobs");
    assert.equal(jobs.size, MAX_QUEUE_SERIES + 1);
    assert.ok(jobs.has(""), "the remainder is summed under queue=''");
    for (let i = 0; i < 10; i++)
      assert.ok(jobs.has(`drained-${i}`), `the largest queue drained-${i} is labelled`);
    assert.match(live, /^docket_queue_jobs\{queue="",state="queued"\} 0$/m);
    assert.match(live, /^docket_queue_jobs\{queue="",state="active"\} 300$/m);
    assert.ok(queueLabels(live, "docket_queue_oldest_job_age_seconds").size <= MAX_QUEUE_SERIES);
    const latency = queueLabels(live, "docket_add_to_fetch_seconds_count");
    assert.equal(latency.size, MAX_QUEUE_SERIES + 1);
    assert.match(live, /^docket_add_to_fetch_seconds_count\{queue=""\} 300$/m);

    const left = (await redis.call(
      "GETJOB",
      "NOHANG",
      "COUNT",
      10,
      "FROM",
      ...queues.slice(0, 10),
    )) as string[][];
    assert.equal(left.length, 10);
    const acks = redis.pipeline();
    for (const [, id] of [...taken, ...left]) acks.call("ACKJOB", id!);
    await acks.exec();
    t.clock!.advance(QUEUE_IDLE_GC_MS + 1);
    t.server.engine.runDue();
    assert.equal(await redis.call("QLEN", "drained-0"), 0);
    const gone = (await http(t.url, "GET", "/metrics")).text;
    // the remainder's histogram (queue="") is one series, and stays
    assert.deepEqual([...queueLabels(gone, "docket_add_to_fetch_seconds_count")], [""]);
    assert.deepEqual([...queueLabels(gone, "docket_queue_oldest_job_age_seconds")].filter(Boolean), []);
    assert.deepEqual([...queueLabels(gone, "docket_queue_jobs")], [""]);
    assert.ok(gone.length < 20_000, `a scrape with no queue left is ${gone.length} bytes`);
  });
});
