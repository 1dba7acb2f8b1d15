import assert from "node:assert/strict";
import { request } from "node:http";
import { after, before, describe, it } from "node:test";
import { MAX_SESSIONS, SESSION_TTL_MS, Sessions } from "../../src/doors/http/session.js";
import { MAX_SAMPLED_QUEUES, SAMPLES_KEPT } from "../../src/doors/http/samples.js";
import { http, jobPath } from "../helpers/http.js";
import { testServer, type TestServer } from "../helpers/server.js";

/** The routes the dashboard needs: browse and search, retry now, explain, samples, its page and sessions. */

describe("dashboard routes", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({}, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });
  const add = async (queue: string, json: Record<string, unknown>) => {
    const reply = await http(t.url, "POST", `/v1/queues/${queue}/jobs`, { json });
    assert.equal(reply.status, 201, reply.text);
    return reply.json.id as string;
  };
  const fetchOne = async (queue: string) =>
    (await http(t.url, "POST", "/v1/fetch", { json: { queues: [queue], count: 1, timeout: 0 } })).json.jobs[0]
      .id;

  it("lists a queue's jobs by state, a bounded step at a time, with a cursor", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 7; i++) ids.add(await add("browse", { body: { i } }));
    await add("elsewhere", { body: "not this queue" });
    const active = await fetchOne("browse");
    const seen = new Set<string>();
    let cursor = 0;
    let steps = 0;
    do {
      const page = await http(t.url, "GET", `/v1/queues/browse/jobs?state=queued&count=2&cursor=${cursor}`);
      assert.equal(page.status, 200, page.text);
      for (const job of page.json.jobs) {
        assert.equal(job.state, "queued");
        assert.equal(job.queue, "browse");
        seen.add(job.id);
      }
      cursor = page.json.cursor;
      steps++;
    } while (cursor !== 0 && steps < 50);
    assert.equal(seen.size, 6);
    assert.ok(!seen.has(active));
    const inFlight = await http(t.url, "GET", "/v1/queues/browse/jobs?state=active");
    assert.deepEqual(
      inFlight.json.jobs.map((j: { id: string }) => j.id),
      [active],
    );
  });

  it("searches by id, body text and error, case-insensitively", async () => {
    const plain = await add("find", { body: { city: "Lisbon" } });
    const failing = await add("find", { body: "boring" });
    assert.equal(await fetchOne("find"), plain);
    assert.equal(await fetchOne("find"), failing);
    await http(t.url, "POST", jobPath(failing, "/nack"), { json: { error: "Disk Quota exceeded" } });
    const search = async (q: string) =>
      (await http(t.url, "GET", `/v1/queues/find/jobs?count=1000&q=${encodeURIComponent(q)}`)).json.jobs.map(
        (j: { id: string }) => j.id,
      );
    assert.deepEqual(await search("lisbon"), [plain]);
    assert.deepEqual(await search("quota"), [failing]);
    assert.deepEqual(await search(failing.slice(11, 30)), [failing]);
    assert.deepEqual(await search("nowhere"), []);
    const found = await http(t.url, "GET", "/v1/queues/find/jobs?q=quota");
    assert.equal(found.json.jobs[0].lastError, "Disk Quota exceeded");
    assert.equal(found.json.jobs[0].preview, '"boring"');
  });

  it("range-checks what it parses", async () => {
    for (const query of [
      "count=0",
      "count=1001",
      "count=1e3",
      "cursor=-1",
      "state=dead",
      `q=${"x".repeat(201)}`,
    ]) {
      const reply = await http(t.url, "GET", `/v1/queues/browse/jobs?${query}`);
      assert.equal(reply.status, 400, query);
    }
    assert.equal((await http(t.url, "GET", `/v1/dashboard/samples?queue=${"q".repeat(2000)}`)).status, 400);
  });

  it("retries now: a delayed job is queued at once, a delivered one nacked", async () => {
    const delayed = await add("retry", { body: 1, delay: 3600 });
    const now = await http(t.url, "POST", jobPath(delayed, "/retry"));
    assert.deepEqual(now.json, { id: delayed, how: "enqueued", count: 1 });
    assert.equal((await http(t.url, "GET", jobPath(delayed))).json.state, "queued");
    assert.equal(await fetchOne("retry"), delayed);
    const nacked = await http(t.url, "POST", jobPath(delayed, "/retry"));
    assert.deepEqual(nacked.json, { id: delayed, how: "nacked", count: 1 });
    const shown = (await http(t.url, "GET", jobPath(delayed))).json;
    assert.deepEqual([shown.state, shown.nacks], ["queued", 1]);
    const unknown = await http(t.url, "POST", jobPath("D-00000000-000000000000000000000000-0000", "/retry"));
    assert.equal(unknown.status, 404);
  });

  it("explains why a job is not running, in EXPLAIN's one sentence", async () => {
    const id = await add("explained", { body: 1, delay: 60 });
    const reply = await http(t.url, "GET", jobPath(id, "/explain"));
    assert.equal(reply.status, 200, reply.text);
    assert.equal(reply.json.cause, "delayed");
    assert.match(reply.json.text, /^delayed until \d\d:\d\d:\d\d \(60 s\)$/);
  });

  it("names the HTTP client that paused a queue or fetched from it", async () => {
    const first = await add("told", { body: 1 });
    const second = await add("told", { body: 2 });
    assert.equal(await fetchOne("told"), first);
    const ready = await http(t.url, "GET", jobPath(second, "/explain"));
    assert.match(
      ready.json.text,
      /^ready, position 1 of 1; 1 consumer has fetched .* from 127\.0\.0\.1:\d+ on queues \[told\]/,
    );
    await http(t.url, "POST", "/v1/queues/told/pause", { json: { state: "out" } });
    const paused = await http(t.url, "GET", jobPath(second, "/explain"));
    assert.equal(paused.json.cause, "paused");
    assert.match(
      paused.json.text,
      /^queue paused out since .* by client http \(127\.0\.0\.1:\d+\); position 1 of 1$/,
    );
  });

  it("keeps a bounded ring of samples per queue, on the server's clock", async () => {
    const sampler = t.server.http!.sampler;
    await add("sampled", { body: 1 });
    const start = t.clock!.now();
    for (let i = 0; i < SAMPLES_KEPT + 5; i++) {
      await sampler.sample();
      t.clock!.advance(5000);
    }
    await add("sampled", { body: 2 });
    await sampler.sample();
    const reply = await http(t.url, "GET", "/v1/dashboard/samples?queue=sampled");
    const samples = reply.json.queues.sampled;
    assert.equal(samples.length, SAMPLES_KEPT);
    assert.equal(samples.at(-1).ready, 2);
    assert.equal(samples.at(-1).jobsIn, 2);
    assert.equal(samples.at(-1).at - samples.at(-2).at, 5000);
    assert.ok(samples[0].at > start, "the oldest were dropped");
    const all = await http(t.url, "GET", "/v1/dashboard/samples");
    assert.equal(all.json.interval, 5000);
    assert.ok(Object.keys(all.json.queues).includes("sampled"));
  });

  it("samples at most MAX_SAMPLED_QUEUES queues", async () => {
    for (let i = 0; i < MAX_SAMPLED_QUEUES + 5; i++)
      await add(`many-${String(i).padStart(3, "0")}`, { body: i });
    await t.server.http!.sampler.sample();
    const all = await http(t.url, "GET", "/v1/dashboard/samples");
    assert.equal(Object.keys(all.json.queues).length, MAX_SAMPLED_QUEUES);
  });

  it("serves the page with framing forbidden and no files outside its folder", async () => {
    const page = await http(t.url, "GET", "/");
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.equal(page.headers.get("x-frame-options"), "DENY");
    assert.match(page.headers.get("content-security-policy") ?? "", /default-src 'self'/);
    assert.match(page.text, /<script type="module" src="\/assets\/app.js">/);
    assert.match(
      (await http(t.url, "GET", "/assets/app.js")).headers.get("content-type") ?? "",
      /javascript/,
    );
    assert.equal((await http(t.url, "GET", "/assets/nope.js")).status, 404);
    // sent as written (fetch would resolve the dots first)
    for (const path of [
      "/assets/../../package.json",
      "/assets/%2e%2e/%2e%2e/package.json",
      "/assets/../v1/queues",
    ]) {
      const reply = await rawGet(t.httpPort, path);
      assert.ok([403, 404].includes(reply.status), `${path}: ${reply.status}`);
      assert.doesNotMatch(reply.body, /docket|queues/, path);
    }
    assert.deepEqual((await http(t.url, "GET", "/v1/session")).json, {
      auth: "open",
      loggedIn: true,
      csrf: null,
    });
  });
});

describe("dashboard sessions", () => {
  it("keeps at most MAX_SESSIONS, ending the oldest, and ends them on expiry or a new password", () => {
    let now = 1_000_000;
    const sessions = new Sessions(() => now);
    const request = (token: string) => ({ headers: { cookie: `a=b; docket_session=${token}` } }) as never;
    const first = sessions.create("pw");
    const second = sessions.create("pw");
    assert.equal(sessions.find(request(first.token), "pw"), first);
    assert.equal(sessions.find(request(first.token), "changed"), undefined, "a new password ends it");
    assert.equal(sessions.find(request(first.token), "pw"), undefined, "for good");
    for (let i = 0; i < MAX_SESSIONS; i++) sessions.create("pw");
    assert.equal(sessions.size, MAX_SESSIONS);
    assert.equal(sessions.find(request(second.token), "pw"), undefined, "the oldest went");
    const last = sessions.create("pw");
    now += SESSION_TTL_MS - 1;
    assert.equal(sessions.find(request(last.token), "pw"), last);
    now += 1;
    assert.equal(sessions.find(request(last.token), "pw"), undefined);
    assert.equal(sessions.find(request("forged"), "pw"), undefined);
  });
});

/** A GET with its path sent byte for byte. */
function rawGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    request({ host: "127.0.0.1", port, path, method: "GET" }, (res) => {
      let body = "";
      res.on("data", (chunk: Buffer) => (body += chunk.toString()));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body }));
    })
      .on("error", reject)
      .end();
  });
}
