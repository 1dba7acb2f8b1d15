import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { http, jobPath, type HttpReply, assertError } from "../helpers/http.js";
import { error } from "../helpers/raw-client.js";
import { serverPerSuite, testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/** The native JSON API under /v1 (docs/http.md), over real HTTP. */

const ID = /^D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4}$/;

describe("native HTTP API", () => {
  const suite = serverPerSuite();
  const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
    http(suite.server.url, method, path, options);
  const add = async (queue: string, job: Record<string, unknown>): Promise<string> => {
    const reply = await call("POST", `/v1/queues/${encodeURIComponent(queue)}/jobs`, { json: job });
    assert.equal(reply.status, 201, reply.text);
    assert.match(reply.json.id, ID);
    return reply.json.id as string;
  };
  const fetchJobs = (body: Record<string, unknown>) => call("POST", "/v1/fetch", { json: body });

  it("adds a JSON job and fetches the same JSON value back", async () => {
    const reply = await call("POST", "/v1/queues/q/jobs", { json: { body: { to: "ada", n: [1, 2] } } });
    assert.equal(reply.status, 201);
    assert.equal(reply.json.queue, "q");
    assert.equal(typeof reply.json.seq, "number");
    const got = await fetchJobs({ queues: ["q"] });
    assert.equal(got.status, 200);
    assert.equal(got.json.jobs.length, 1);
    const job = got.json.jobs[0];
    assert.deepEqual(
      { id: job.id, queue: job.queue, seq: job.seq, body: job.body, encoding: job.encoding },
      {
        id: reply.json.id,
        queue: "q",
        seq: reply.json.seq,
        body: { to: "ada", n: [1, 2] },
        encoding: "json",
      },
    );
    assert.equal(job.nacks, 0);
    assert.equal(job.additionalDeliveries, 0);
  });

  it("round-trips raw bytes sent with a non-JSON content type", async () => {
    const bytes = Buffer.from([0, 1, 2, 255, 254, 13, 10, 0x7b]);
    const reply = await call("POST", "/v1/queues/raw/jobs", { raw: bytes });
    assert.equal(reply.status, 201, reply.text);
    const text = await call("POST", "/v1/queues/raw/jobs", {
      raw: "plain text {",
      contentType: "text/plain",
    });
    assert.equal(text.status, 201);
    const spaced = await call("POST", "/v1/queues/raw/jobs", { raw: " [1, 2] ", contentType: "text/plain" });
    assert.equal(spaced.status, 201);
    const got = await fetchJobs({ queues: ["raw"], count: 3 });
    const [a, b, c] = got.json.jobs;
    assert.equal(a.encoding, "base64");
    assert.deepEqual(Buffer.from(a.body, "base64"), bytes);
    assert.deepEqual([b.body, b.encoding], ["plain text {", "utf8"]);
    // not canonical JSON text: returned as the exact string, not re-serialized
    assert.deepEqual([c.body, c.encoding], [" [1, 2] ", "utf8"]);
    const raw = await call("GET", jobPath(reply.json.id, "/body"));
    assert.equal(raw.status, 200);
    assert.equal(raw.headers.get("content-type"), "application/octet-stream");
    assert.deepEqual(raw.bytes, bytes);
    const forced = await call("GET", jobPath(text.json.id) + "?encoding=base64");
    assert.deepEqual(
      [forced.json.body, forced.json.encoding],
      [Buffer.from("plain text {").toString("base64"), "base64"],
    );
  });

  it("accepts utf8 and base64 bodies in the JSON envelope", async () => {
    const id1 = await add("env", { body: "héllo", encoding: "utf8" });
    const id2 = await add("env", { body: Buffer.from([255, 0]).toString("base64"), encoding: "base64" });
    assert.equal((await call("GET", jobPath(id1))).json.body, "héllo");
    assert.deepEqual((await call("GET", jobPath(id2, "/body"))).bytes, Buffer.from([255, 0]));
    assertError(
      await call("POST", "/v1/queues/env/jobs", { json: { body: "%%%", encoding: "base64" } }),
      400,
      "BADREQUEST",
    );
    assertError(
      await call("POST", "/v1/queues/env/jobs", { json: { body: 1, encoding: "utf8" } }),
      400,
      "BADREQUEST",
    );
  });

  it("applies every ADDJOB option: ttl, retry, delay, maxlen, front", async () => {
    const id = await add("opts", { body: 1, ttl: 3600, retry: 30 });
    assert.ok(id.endsWith("-003d"), id);
    const shown = (await call("GET", jobPath(id))).json;
    assert.deepEqual([shown.ttl, shown.retry, shown.state, shown.queue], [3600, 30, "queued", "opts"]);
    const delayed = await add("opts", { body: 2, delay: 60 });
    assert.equal((await call("GET", jobPath(delayed))).json.state, "active");
    assert.equal((await call("GET", jobPath(delayed))).json.delay, 60);
    const front = await add("opts", { body: 3, front: true });
    assertError(await call("POST", "/v1/queues/opts/jobs", { json: { body: 4, maxlen: 2 } }), 409, "MAXLEN");
    await add("opts", { body: 4, maxlen: 3 });
    const got = await fetchJobs({ queues: ["opts"], count: 10 });
    assert.deepEqual(
      got.json.jobs.map((j: { body: unknown }) => j.body),
      [3, 1, 4],
    );
    assert.equal(got.json.jobs[0].id, front);
    // raw body: options in the query string
    const raw = await call("POST", "/v1/queues/opts/jobs?ttl=120&retry=0&front=true", { raw: "x" });
    assert.equal(raw.status, 201);
    assert.ok(raw.json.id.endsWith("-0002"), raw.json.id);
  });

  it("refuses bad add requests with Disque's codes", async () => {
    assertError(await call("POST", "/v1/queues/q/jobs", { json: { body: 1, ttl: 0 } }), 400, "BADREQUEST");
    assertError(await call("POST", "/v1/queues/q/jobs", { json: { body: 1, retry: -1 } }), 400, "BADREQUEST");
    assertError(await call("POST", "/v1/queues/q/jobs", { json: { body: 1, bogus: 1 } }), 400, "BADREQUEST");
    assertError(await call("POST", "/v1/queues/q/jobs", { json: { nobody: 1 } }), 400, "BADREQUEST");
    assertError(
      await call("POST", "/v1/queues/q/jobs", { json: { body: 1, ttl: 10, delay: 10 } }),
      400,
      "ERR",
    );
    assertError(await call("POST", "/v1/queues/q/jobs", { json: { body: 1, replicate: 2 } }), 503, "NOREPL");
    assertError(await call("POST", "/v1/queues/q/jobs?ttl=5", { json: { body: 1 } }), 400, "BADREQUEST");
    assertError(await call("POST", "/v1/queues/q/jobs?ttl=abc", { raw: "x" }), 400, "BADREQUEST");
    assertError(
      await call("POST", "/v1/queues/q/jobs", { raw: "{nope", contentType: "application/json" }),
      400,
      "BADREQUEST",
    );
    assert.equal((await call("GET", "/v1/queues/q")).status, 404);
  });

  it("fetches from several queues in rounds, and answers an empty list when nothing comes", async () => {
    await add("q3", { body: "c" });
    await add("q2", { body: "a" });
    await add("q2", { body: "b" });
    const got = await fetchJobs({ queues: ["q3", "q2"], count: 3 });
    assert.deepEqual(
      got.json.jobs.map((j: { body: unknown; queue: string }) => [j.queue, j.body]),
      [
        ["q3", "c"],
        ["q2", "a"],
        ["q2", "b"],
      ],
    );
    assert.deepEqual((await fetchJobs({ queues: ["q3", "q2"] })).json, { jobs: [] });
    const started = Date.now();
    assert.deepEqual((await fetchJobs({ queues: ["q3"], timeout: 150 })).json, { jobs: [] });
    assert.ok(Date.now() - started >= 140);
    assertError(await fetchJobs({ queues: [] }), 400, "BADREQUEST");
    assertError(await fetchJobs({ queues: ["a"], count: 0 }), 400, "BADREQUEST");
    assertError(await fetchJobs({ queues: ["a"], timeout: -1 }), 400, "BADREQUEST");
  });

  it("a long poll is woken by an ADDJOB over RESP and gets exactly one job", async () => {
    const pending = fetchJobs({ queues: ["lp-a", "lp-b"], count: 5, timeout: 5000 });
    await waitFor(async () => (await suite.server.server.engine.stats()).blockedClients === 1);
    suite.resp.send("ADDJOB", "lp-b", "from resp", 0);
    assert.match(await suite.resp.reply(), /^\+D-/);
    const got = await pending;
    assert.equal(got.status, 200);
    assert.equal(got.json.jobs.length, 1);
    assert.deepEqual([got.json.jobs[0].queue, got.json.jobs[0].body], ["lp-b", "from resp"]);
  });

  it("a client that goes away during a long poll releases its wait and takes nothing", async () => {
    const controller = new AbortController();
    const pending = fetchJobs({ queues: ["gone"], timeout: 60_000 }).catch((e: Error) => e);
    void pending;
    const aborted = http(suite.server.url, "POST", "/v1/fetch", {
      json: { queues: ["gone2"], timeout: 60_000 },
      signal: controller.signal,
    }).catch((e: Error) => e);
    await waitFor(async () => (await suite.server.server.engine.stats()).blockedClients === 2);
    controller.abort();
    assert.ok((await aborted) instanceof Error);
    await waitFor(async () => (await suite.server.server.engine.stats()).blockedClients === 1);
    await add("gone2", { body: "kept" });
    assert.equal(await suite.resp.call("QLEN", "gone2"), ":1\r\n");
    await add("gone", { body: "taken" });
    const got = (await pending) as HttpReply;
    assert.equal(got.json.jobs[0].body, "taken");
  });

  it("acks, nacks and deletes by URL-encoded id", async () => {
    // find ids with + or / in them, so the encoding matters
    const ids: string[] = [];
    for (let i = 0; i < 400 && ids.length < 3; i++) {
      const id = await add("ids", { body: i });
      if (/[+/]/.test(id)) ids.push(id);
    }
    assert.equal(ids.length, 3);
    const [a, b, c] = ids as [string, string, string];
    assert.equal((await call("GET", jobPath(a))).json.id, a);
    // not delivered yet: nothing to nack
    assert.deepEqual((await call("POST", jobPath(a, "/nack"))).json, { nacked: 0 });
    await suite.resp.call("DEQUEUE", a, b);
    const nacked = await call("POST", jobPath(a, "/nack"));
    assert.deepEqual([nacked.status, nacked.json], [200, { nacked: 1 }]);
    const shown = (await call("GET", jobPath(a))).json;
    assert.deepEqual([shown.state, shown.nacks], ["queued", 1]);
    assert.deepEqual((await call("POST", jobPath(b, "/ack"))).json, { acked: 1 });
    assertError(await call("POST", jobPath(b, "/ack")), 404, "NOJOB");
    assertError(await call("POST", jobPath(b, "/nack")), 404, "NOJOB");
    assertError(await call("GET", jobPath(b)), 404, "NOJOB");
    assert.deepEqual((await call("DELETE", jobPath(c))).json, { deleted: 1 });
    assertError(await call("DELETE", jobPath(c)), 404, "NOJOB");
    for (const [method, suffix] of [
      ["GET", ""],
      ["GET", "/body"],
      ["POST", "/ack"],
      ["POST", "/nack"],
      ["POST", "/working"],
      ["DELETE", ""],
    ] as const) {
      assertError(await call(method, jobPath("D-bad", suffix)), 400, "BADID");
    }
  });

  it("WORKING extends a delivered job's lease and answers NOJOB for unknown ids", async () => {
    const id = await add("w", { body: 1, retry: 42 });
    await fetchJobs({ queues: ["w"] });
    const reply = await call("POST", jobPath(id, "/working"));
    assert.deepEqual([reply.status, reply.json], [200, { retry: 42 }]);
    await call("POST", jobPath(id, "/ack"));
    assertError(await call("POST", jobPath(id, "/working")), 404, "NOJOB");
  });

  it("lists dead letters (retries added over HTTP, spent by takeanumber RETRY) and redrives them", async () => {
    const id = await add("dl", { body: { task: "resize" }, retries: 0 });
    const keep = await add("dl", { body: "second", encoding: "utf8", retries: 0 });
    for (const job of [id, keep]) {
      assert.match(
        await suite.resp.call("RESERVE", "dl"),
        new RegExp(`^\\+${job.replace(/[+/]/g, "\\$&")} `),
      );
      assert.equal(await suite.resp.call("RETRY", "dl", job), error("ERR No retries remaining."));
    }
    const listed = await call("GET", "/v1/queues/dl/deadletters");
    assert.equal(listed.status, 200, listed.text);
    assert.deepEqual(
      listed.json.deadLetters.map((d: Record<string, unknown>) => [d.id, d.queue, d.body, d.reason]),
      [
        [id, "dl", { task: "resize" }, "retries exhausted"],
        [keep, "dl", "second", "retries exhausted"],
      ],
    );
    assert.equal(typeof listed.json.deadLetters[0].at, "number");
    const one = await call("GET", "/v1/queues/dl/deadletters?count=1&encoding=base64");
    assert.deepEqual(
      one.json.deadLetters.map((d: { body: string }) => Buffer.from(d.body, "base64").toString()),
      ['{"task":"resize"}'],
    );
    assertError(await call("GET", "/v1/queues/dl/deadletters?count=0"), 400, "BADREQUEST");
    assertError(await call("POST", "/v1/queues/dl/redrive", { json: { count: "all" } }), 400, "BADREQUEST");

    const redriven = await call("POST", "/v1/queues/dl/redrive", { json: { count: 1 } });
    assert.deepEqual(redriven.json, { queue: "dl", redriven: 1 });
    const fetched = await fetchJobs({ queues: ["dl"] });
    assert.deepEqual(fetched.json.jobs[0].body, { task: "resize" });
    assert.notEqual(fetched.json.jobs[0].id, id, "a redriven job is a fresh job");
    assert.deepEqual((await call("POST", "/v1/queues/dl/redrive")).json, { queue: "dl", redriven: 1 });
    assert.deepEqual((await call("GET", "/v1/queues/dl/deadletters")).json, { deadLetters: [] });
    assert.deepEqual((await call("GET", "/v1/queues/never/deadletters")).json, { deadLetters: [] });
  });

  it("lists queues with stats, shows one queue, peeks without taking", async () => {
    await add("s1", { body: "a" });
    await add("s1", { body: "b" });
    await add("s2", { body: "c" });
    const list = await call("GET", "/v1/queues");
    assert.equal(list.status, 200);
    assert.deepEqual(
      list.json.queues.map((q: { name: string; len: number; jobsIn: number }) => [q.name, q.len, q.jobsIn]),
      [
        ["s1", 2, 2],
        ["s2", 1, 1],
      ],
    );
    const one = (await call("GET", "/v1/queues/s1")).json;
    assert.deepEqual([one.name, one.len, one.jobsOut, one.pause, one.blocked], ["s1", 2, 0, "none", 0]);
    assertError(await call("GET", "/v1/queues/nope"), 404, "NOQUEUE");
    const peek = await call("GET", "/v1/queues/s1/peek?count=1");
    assert.deepEqual(
      peek.json.jobs.map((j: { body: string }) => j.body),
      ["a"],
    );
    const newest = await call("GET", "/v1/queues/s1/peek?count=-5");
    assert.deepEqual(
      newest.json.jobs.map((j: { body: string }) => j.body),
      ["b", "a"],
    );
    assert.deepEqual((await call("GET", "/v1/queues/empty/peek")).json, { jobs: [] });
    assert.equal((await call("GET", "/v1/queues/s1")).json.len, 2);
    assertError(await call("GET", "/v1/queues/s1/peek?count=x"), 400, "BADREQUEST");
    // queue names are URL-encoded in paths
    await add("a/b c", { body: 1 });
    assert.equal((await call("GET", `/v1/queues/${encodeURIComponent("a/b c")}`)).json.len, 1);
  });

  it("pauses and resumes queues; resuming wakes a blocked fetch", async () => {
    const paused = await call("POST", "/v1/queues/p/pause", { json: { state: "in" } });
    assert.deepEqual([paused.status, paused.json], [200, { queue: "p", pause: "in" }]);
    assertError(await call("POST", "/v1/queues/p/jobs", { json: { body: 1 } }), 409, "PAUSED");
    assert.equal((await call("POST", "/v1/queues/p/pause", { json: { state: "out" } })).json.pause, "out");
    await add("p", { body: "waiting" });
    assert.deepEqual((await fetchJobs({ queues: ["p"] })).json, { jobs: [] });
    const pending = fetchJobs({ queues: ["p"], timeout: 5000 });
    await waitFor(async () => (await suite.server.server.engine.stats()).blockedClients === 1);
    assert.deepEqual((await call("POST", "/v1/queues/p/resume")).json, { queue: "p", pause: "none" });
    assert.equal((await pending).json.jobs[0].body, "waiting");
    assertError(await call("POST", "/v1/queues/p/pause", { json: { state: "sideways" } }), 400, "BADREQUEST");
    assertError(await call("POST", "/v1/queues/p/pause", { json: {} }), 400, "BADREQUEST");
  });

  it("serves an OpenAPI document generated from the route schemas", async () => {
    const doc = await call("GET", "/v1/openapi.json");
    assert.equal(doc.status, 200);
    assert.equal(doc.json.openapi, "3.0.3");
    for (const path of [
      "/v1/fetch",
      "/v1/queues/{queue}/jobs",
      "/v1/jobs/{id}/ack",
      "/v1/queues/{queue}/deadletters",
      "/v1/queues/{queue}/redrive",
      "/wait/",
      "/apps/taskq/{queue}/tasks",
    ]) {
      assert.ok(doc.json.paths[path], path);
    }
    const fetchSchema = doc.json.paths["/v1/fetch"].post.requestBody.content["application/json"].schema;
    assert.deepEqual(fetchSchema.required, ["queues"]);
  });

  it("answers unknown routes with a JSON 404", async () => {
    assertError(await call("GET", "/v2/nothing"), 404, "NOTFOUND");
  });
});

describe("native HTTP API with a driven clock", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({}, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });

  it("WORKING after half the TTL answers 409 TOOLATE", async () => {
    const added = await http(t.url, "POST", "/v1/queues/late/jobs", {
      json: { body: 1, ttl: 10, retry: 2 },
    });
    const id = added.json.id as string;
    await http(t.url, "POST", "/v1/fetch", { json: { queues: ["late"] } });
    assert.equal((await http(t.url, "POST", jobPath(id, "/working"))).status, 200);
    t.clock!.advance(6000);
    t.server.engine.runDue();
    assertError(await http(t.url, "POST", jobPath(id, "/working")), 409, "TOOLATE");
  });
});
