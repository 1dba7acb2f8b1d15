import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { http, jobPath, parseMetrics, assertError } from "../helpers/http.js";
import { RawClient, simple } from "../helpers/raw-client.js";
import type { TestServer } from "../helpers/server.js";
import { serverOnEachStore } from "../helpers/each-store.js";

/**
 * The native HTTP API's failure routes (docs/http.md, docs/failures.md):
 * budgets, nack options, results, dead letters, queue policies, and the
 * failure metrics. The server's clock is the test's.
 */

const stores = serverOnEachStore("fail", { manualClock: true });

for (const store of stores) {
  describe(`failure handling over HTTP on the ${store.name}`, () => {
    let t: TestServer;
    let resp: RawClient;
    const call = (method: string, path: string, options?: Parameters<typeof http>[3]) =>
      http(t.url, method, path, options);
    /** moves the server's clock and runs what fell due, on either store */
    const advance = async (ms: number) => {
      t.clock!.advance(ms);
      await (t.server.broker as unknown as { runDue(): unknown }).runDue();
    };
    const add = async (queue: string, job: Record<string, unknown> = {}): Promise<string> => {
      const reply = await call("POST", `/v1/queues/${queue}/jobs`, { json: { body: "work", ...job } });
      assert.equal(reply.status, 201, reply.text);
      return reply.json.id as string;
    };
    const fetchOne = async (queue: string) => {
      const reply = await call("POST", "/v1/fetch", { json: { queues: [queue] } });
      assert.equal(reply.status, 200, reply.text);
      return reply.json.jobs[0];
    };
    const nack = (id: string, body?: unknown) =>
      call("POST", jobPath(id, "/nack"), body === undefined ? undefined : { json: body });

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

    it("an add takes retries, backoff and runTimeout; the job and its delivery show them", async () => {
      const id = await add("q", { retries: 2, backoff: "exponential:100:1000:jitter", runTimeout: 5000 });
      const job = (await call("GET", jobPath(id))).json;
      assert.deepEqual(
        [job.retries, job.retriesLeft, job.backoff, job.runTimeout, job.backoffUntil, job.attempts],
        [2, 2, "exponential:100:1000:jitter", 5000, null, []],
      );
      const delivery = await fetchOne("q");
      assert.deepEqual([delivery.retriesLeft, delivery.runTimeout], [2, 5000]);
      // the raw form takes them in the query string
      const raw = await call("POST", "/v1/queues/r/jobs?retries=1&backoff=fixed:10&runTimeout=7", {
        raw: "x",
      });
      assert.equal(raw.status, 201, raw.text);
      const rawJob = (await call("GET", jobPath(raw.json.id))).json;
      assert.deepEqual([rawJob.retries, rawJob.backoff, rawJob.runTimeout], [1, "fixed:10", 7]);
      // a plain job: unlimited, no policy
      const plain = (await call("GET", jobPath(await add("p")))).json;
      assert.deepEqual(
        [plain.retries, plain.retriesLeft, plain.backoff, plain.runTimeout],
        [-1, -1, null, null],
      );
    });

    it("refuses out-of-range or malformed values", async () => {
      // the schema's bounds answer BADREQUEST; the policy's text form is the store's rule (ERR)
      const bad: Array<[Record<string, unknown>, string, RegExp]> = [
        [{ retries: -1 }, "BADREQUEST", /retries/],
        [{ retries: 2 ** 31 }, "BADREQUEST", /retries/],
        [{ retries: 1.5 }, "BADREQUEST", /retries/],
        [{ runTimeout: 0 }, "BADREQUEST", /runTimeout/],
        [{ backoff: "x".repeat(65) }, "BADREQUEST", /backoff/],
        [{ backoff: "linear:5" }, "ERR", /backoff is fixed/],
      ];
      for (const [options, code, message] of bad) {
        const reply = await call("POST", "/v1/queues/q/jobs", { json: { body: 1, ...options } });
        assertError(reply, 400, code, message);
      }
      const id = await add("q");
      await fetchOne("q");
      assertError(await nack(id, { delay: -1 }), 400, "BADREQUEST");
      assertError(await nack(id, { delay: 5, backoff: true }), 400, "BADREQUEST", /delay or backoff/);
      assertError(await nack(id, { retries: -1 }), 400, "BADREQUEST");
      assertError(await nack(id, { colour: "red" }), 400, "BADREQUEST");
      assertError(await nack(id, { delay: true }), 400, "BADREQUEST", /delay/);
      assertError(await call("PUT", "/v1/queues/q/policy", { json: { retries: "3" } }), 400, "BADREQUEST");
      assertError(
        await call("PUT", "/v1/queues/q/policy", { json: { deadLetterCap: -1 } }),
        400,
        "BADREQUEST",
      );
      assertError(await call("PUT", "/v1/queues/q/policy", { json: { backoff: "fixed:" } }), 400, "ERR");
      assertError(
        await call("POST", "/v1/queues/q/redrive", { json: { count: 1, all: true } }),
        400,
        "BADREQUEST",
      );
      assertError(
        await call("POST", "/v1/queues/q/deadletters/purge", { json: { ids: [] } }),
        400,
        "BADREQUEST",
      );
      // nothing above changed the job
      assert.equal((await call("GET", jobPath(id))).json.state, "active");
    });

    it("nack with delay and error: the job backs off, then is queued; a plain nack queues it at once", async () => {
      const id = await add("q", { retries: 3 });
      await fetchOne("q");
      const now = t.clock!.now();
      assert.deepEqual((await nack(id, { delay: 2000, error: "boom", timedOut: true })).json, { nacked: 1 });
      const job = (await call("GET", jobPath(id))).json;
      assert.deepEqual(
        [job.state, job.retriesLeft, job.backoffUntil, job.attempts],
        ["backoff", 2, now + 2000, [{ at: now, cause: "timeout", error: "boom" }]],
      );
      assert.equal((await call("GET", "/v1/queues/q")).json.backingOff, 1);
      await advance(2000);
      assert.equal((await call("GET", jobPath(id))).json.state, "queued");
      await fetchOne("q");
      assert.deepEqual((await nack(id)).json, { nacked: 1 });
      assert.equal((await call("GET", jobPath(id))).json.state, "queued");
    });

    it("dead letters: listed with attempts, one by id, redriven and purged by count, ids or all", async () => {
      const dead: string[] = [];
      for (let i = 0; i < 4; i++) {
        const id = await add("q", { retries: 0 });
        await fetchOne("q");
        assert.deepEqual((await nack(id, { error: `failure ${i}` })).json, { nacked: 1 });
        dead.push(id);
        await advance(1);
      }
      const listed = (await call("GET", "/v1/queues/q/deadletters?count=2")).json.deadLetters;
      assert.deepEqual(
        listed.map((d: { id: string; reason: string; retries: number }) => [d.id, d.reason, d.retries]),
        [
          [dead[0], "retries exhausted", 0],
          [dead[1], "retries exhausted", 0],
        ],
      );
      assert.equal(listed[0].attempts[0].error, "failure 0");
      const one = await call("GET", `/v1/deadletters/${encodeURIComponent(dead[2]!)}`);
      assert.equal(one.status, 200, one.text);
      assert.deepEqual(
        [one.json.id, one.json.queue, one.json.body, one.json.attempts[0].cause],
        [dead[2], "q", "work", "nack"],
      );
      assertError(await call("GET", `/v1/deadletters/${encodeURIComponent(await add("z"))}`), 404, "NOJOB");

      const redrive = (body?: unknown) =>
        call("POST", "/v1/queues/q/redrive", body === undefined ? undefined : { json: body });
      const purge = (body?: unknown) =>
        call("POST", "/v1/queues/q/deadletters/purge", body === undefined ? undefined : { json: body });
      assert.deepEqual((await redrive({ ids: [dead[1]] })).json, { queue: "q", redriven: 1 });
      assert.deepEqual((await purge({ count: 1 })).json, { queue: "q", purged: 1 });
      const left = (await call("GET", "/v1/queues/q/deadletters")).json.deadLetters.map(
        (d: { id: string }) => d.id,
      );
      assert.deepEqual(left, [dead[2], dead[3]]);
      assert.deepEqual((await redrive({ all: true })).json, { queue: "q", redriven: 2 });
      assert.deepEqual((await purge()).json, { queue: "q", purged: 0 });
      assert.equal((await call("GET", "/v1/queues/q")).json.len, 3);
      // a redriven job has its budget afresh
      const fresh = await fetchOne("q");
      assert.equal(fresh.retriesLeft, 0);
    });

    it("ack with a result: GET /v1/jobs/:id/result returns it until result-ttl passes", async () => {
      const id = await add("q");
      await fetchOne("q");
      const acked = await call("POST", jobPath(id, "/ack"), { json: { result: { sum: 42 } } });
      assert.deepEqual(acked.json, { acked: 1 });
      const result = await call("GET", jobPath(id, "/result"));
      assert.equal(result.status, 200, result.text);
      assert.deepEqual(
        [result.json.id, result.json.queue, result.json.result, result.json.encoding],
        [id, "q", { sum: 42 }, "json"],
      );
      assert.equal(result.json.expiresAt - result.json.completedAt, 3600 * 1000);
      assert.equal(await resp.call("RESULT", id), '$10\r\n{"sum":42}\r\n');
      const b64 = await call("GET", jobPath(id, "/result?encoding=base64"));
      assert.equal(Buffer.from(b64.json.result, "base64").toString(), '{"sum":42}');
      await advance(3600 * 1000);
      assertError(await call("GET", jobPath(id, "/result")), 404, "NORESULT");
      // an ack without a body is a plain ack; one without a result keeps none
      const plain = await add("q");
      await fetchOne("q");
      assert.deepEqual((await call("POST", jobPath(plain, "/ack"))).json, { acked: 1 });
      assertError(await call("GET", jobPath(plain, "/result")), 404, "NORESULT");
    });

    it("GET and PUT a queue's policy; new jobs take it", async () => {
      const empty = { retries: null, backoff: null, runTimeout: null, deadLetterCap: null };
      // the scheduling settings (docs/scheduling.md): none here
      const unscheduled = { rateLimit: null, groupLimit: null };
      assert.deepEqual((await call("GET", "/v1/queues/q/policy")).json, {
        queue: "q",
        policy: { ...empty, ...unscheduled },
      });
      const failurePolicy = { retries: 4, backoff: "fixed:250", runTimeout: 1000, deadLetterCap: 50 };
      const policy = { ...failurePolicy, ...unscheduled };
      const put = await call("PUT", "/v1/queues/q/policy", { json: failurePolicy });
      assert.equal(put.status, 200, put.text);
      assert.deepEqual(put.json, { queue: "q", policy });
      assert.deepEqual((await call("GET", "/v1/queues/q/policy")).json.policy, policy);
      assert.equal(await resp.call("QPOLICY", "q").then((r) => r.includes("$9\r\nfixed:250\r\n")), true);
      const job = (await call("GET", jobPath(await add("q")))).json;
      assert.deepEqual([job.retries, job.backoff, job.runTimeout], [4, "fixed:250", 1000]);
      // PUT replaces: what it leaves out (or nulls) is the server's default again
      const replaced = await call("PUT", "/v1/queues/q/policy", {
        json: { retries: null, deadLetterCap: 5 },
      });
      assert.deepEqual(replaced.json.policy, { ...empty, ...unscheduled, deadLetterCap: 5 });
    });

    it("/metrics counts retries, dead letters, time-outs, evictions, results and per-queue backoffs", async () => {
      const scrape = async () => parseMetrics((await call("GET", "/metrics")).text);
      const before = await scrape();
      await call("PUT", "/v1/queues/m/policy", { json: { deadLetterCap: 1 } });
      const a = await add("m", { retries: 1 });
      await fetchOne("m");
      await nack(a, { delay: 1000, timedOut: true });
      const b = await add("m", { retries: 0 });
      const c = await add("m", { retries: 0 });
      for (const id of [b, c]) {
        await fetchOne("m");
        await nack(id);
      }
      const r = await add("m");
      await fetchOne("m");
      await call("POST", jobPath(r, "/ack"), { json: { result: "12345", encoding: "utf8" } });
      const m = await scrape();
      const grew = (name: string) => (m.get(name) ?? 0) - (before.get(name) ?? 0);
      assert.equal(grew("docket_jobs_retried_total"), 1);
      assert.equal(grew("docket_jobs_dead_lettered_total"), 2);
      assert.equal(grew("docket_jobs_timed_out_total"), 1);
      assert.equal(grew("docket_dead_letters_evicted_total"), 1);
      assert.equal(m.get("docket_results_kept"), 1);
      assert.equal(m.get("docket_result_bytes"), 5);
      assert.equal(m.get('docket_queue_backing_off_jobs{queue="m"}'), 1);
      assert.equal(m.get('docket_queue_dead_letters{queue="m"}'), 1);
      assert.equal(m.get('docket_jobs{state="backoff"}'), 1);
    });
  });
}
