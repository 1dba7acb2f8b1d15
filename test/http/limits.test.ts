import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { nestsDeeperThan } from "../../src/doors/http/json.js";
import { http, type HttpReply } from "../helpers/http.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * Issue 11 on the HTTP door: numbers bounded with a 400 naming the field,
 * integer text parsed strictly, the queue-name rule on every route, and a
 * JSON nesting limit (a 200,000-deep body gave 500 from a stack overflow).
 */

const RULE = "invalid queue name: a queue name is 1 to 1024 bytes, without NUL";

function badRequest(reply: HttpReply, message: RegExp | string): void {
  assert.equal(reply.status, 400, reply.text);
  assert.equal(reply.headers.get("content-type")?.split(";")[0], "application/json");
  if (typeof message === "string") assert.equal(reply.json.error.message, message);
  else assert.match(reply.json.error.message, message);
}

describe("HTTP input limits", () => {
  let t: TestServer;

  before(async () => {
    t = await testServer({}, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });

  const queueLength = async (queue: string): Promise<number> => {
    const reply = await http(t.url, "GET", `/v1/queues/${encodeURIComponent(queue)}`);
    return reply.status === 404 ? 0 : (reply.json.len as number);
  };

  it("a 200,000-deep JSON body is a 400 with a JSON error, on every JSON route", async () => {
    const deep = "[".repeat(200_000) + "]".repeat(200_000);
    for (const path of ["/v1/queues/q/jobs", "/v1/fetch", "/enqueue/q", "/wait/"]) {
      const reply = await http(t.url, "POST", path, {
        raw: `{"body":${deep}}`,
        contentType: "application/json",
      });
      badRequest(reply, "request body nests deeper than 64 levels");
    }
    // Brackets inside strings do not count; 64 levels are fine.
    const nested = JSON.parse("[".repeat(63) + '"[[[{{{"' + "]".repeat(63)) as unknown;
    const ok = await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: nested } });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(await queueLength("q"), 1);
  });

  it("the depth scan counts brackets outside strings only, escapes included", () => {
    assert.equal(nestsDeeperThan("[[1]]", 2), false);
    assert.equal(nestsDeeperThan("[[[1]]]", 2), true);
    assert.equal(nestsDeeperThan('["[[[", {"a": "]]]"}]', 2), false);
    assert.equal(nestsDeeperThan('["\\"", [["\\\\"]]]', 2), true);
    assert.equal(nestsDeeperThan('[{"k\\"[": [1]}]', 3), false);
    // An escaped quote does not end the string; an escaped backslash does not escape the quote after it.
    assert.equal(nestsDeeperThan('["\\"]"]', 1), false);
  });

  it("numbers beyond their range are a 400 naming the field", async () => {
    const cases: Array<[string, string, unknown, RegExp]> = [
      ["POST", "/v1/queues/n/jobs", { body: 1, ttl: 2 ** 32 }, /ttl must be <= 2147483647/],
      ["POST", "/v1/queues/n/jobs", { body: 1, ttl: 1e300 }, /ttl must be <= 2147483647/],
      ["POST", "/v1/queues/n/jobs", { body: 1, retry: 2 ** 31 }, /retry must be <= 2147483647/],
      ["POST", "/v1/queues/n/jobs", { body: 1, delay: 2 ** 53 }, /delay must be <= 2147483647/],
      ["POST", "/v1/queues/n/jobs", { body: 1, maxlen: 2 ** 32 }, /maxlen must be <= 2147483647/],
      ["POST", "/v1/queues/n/jobs", { body: 1, retries: 2 ** 32 }, /retries must be <= 2147483647/],
      ["POST", "/v1/fetch", { queues: ["n"], count: 2 ** 31 }, /count must be <= 2147483647/],
      ["POST", "/v1/fetch", { queues: ["n"], timeout: 2 ** 53 }, /timeout must be <= 2147483647000/],
      ["POST", "/v1/queues/n/redrive", { count: 2 ** 32 }, /count must be <= 2147483647/],
      ["POST", "/enqueue/n", { content: 1, expiry: 2 ** 32 }, /expiry must be <= 2147483647/],
      ["POST", "/enqueue/n", { content: 1, retry: 1e300 }, /retry must be <= 2147483647/],
      ["POST", "/wait/", { queues: ["n"], timeout: 2 ** 53 }, /timeout must be <= 2147483647000/],
    ];
    for (const [method, path, json, message] of cases) {
      badRequest(await http(t.url, method, path, { json }), message);
    }
    badRequest(await http(t.url, "POST", "/v1/queues/n/jobs?ttl=4294967296", { raw: "x" }), /ttl must be <=/);
    assert.equal(await queueLength("n"), 0);
  });

  it("integer text is parsed strictly, in the query string and in JSON", async () => {
    for (const text of ["1e3", "0x10", "+5", "007", "NaN", " 5", "1.5", ""]) {
      const query = await http(t.url, "POST", `/v1/queues/s/jobs?ttl=${encodeURIComponent(text)}`, {
        raw: "x",
      });
      badRequest(query, "ttl is not an integer or out of range");
      badRequest(
        await http(t.url, "POST", "/v1/queues/s/jobs", { json: { body: 1, retry: text } }),
        "retry is not an integer or out of range",
      );
      badRequest(
        await http(t.url, "POST", "/enqueue/s", { json: { content: 1, expiry: text } }),
        "expiry is not an integer or out of range",
      );
    }
    for (const value of [true, null, [5], { n: 5 }]) {
      badRequest(
        await http(t.url, "POST", "/v1/queues/s/jobs", { json: { body: 1, ttl: value } }),
        "ttl is not an integer or out of range",
      );
    }
    assert.equal(await queueLength("s"), 0);
    const ok = await http(t.url, "POST", "/v1/queues/s/jobs?ttl=2147483647&retry=0", { raw: "x" });
    assert.equal(ok.status, 201, ok.text);
    assert.equal(
      (await http(t.url, "GET", `/v1/jobs/${encodeURIComponent(ok.json.id)}`)).json.ttl,
      2147483647,
    );
  });

  it("every route that names a queue applies the queue-name rule", async () => {
    for (const bad of ["a".repeat(1025), "é".repeat(513), "a\0b"]) {
      const q = encodeURIComponent(bad);
      const replies = [
        await http(t.url, "POST", `/v1/queues/${q}/jobs`, { json: { body: 1 } }),
        await http(t.url, "POST", `/v1/queues/${q}/jobs`, { raw: "x" }),
        await http(t.url, "GET", `/v1/queues/${q}`),
        await http(t.url, "GET", `/v1/queues/${q}/peek`),
        await http(t.url, "GET", `/v1/queues/${q}/deadletters`),
        await http(t.url, "POST", `/v1/queues/${q}/redrive`),
        await http(t.url, "POST", `/v1/queues/${q}/pause`, { json: { state: "in" } }),
        await http(t.url, "POST", `/v1/queues/${q}/resume`),
        await http(t.url, "POST", "/v1/fetch", { json: { queues: ["ok", bad] } }),
        await http(t.url, "POST", `/enqueue/${q}`, { json: { content: 1 } }),
        await http(t.url, "POST", "/wait/", { json: { queues: [bad] } }),
        await http(t.url, "GET", `/peek/${q}`),
        await http(t.url, "POST", `/apps/taskq/${q}/tasks`, { raw: "x" }),
        await http(t.url, "POST", `/apps/taskq/${q}/tasks/deque`),
        await http(t.url, "DELETE", `/apps/taskq/${q}/tasks/1`),
      ];
      for (const reply of replies) badRequest(reply, RULE);
    }
    badRequest(await http(t.url, "POST", "/v1/fetch", { json: { queues: [""] } }), RULE);
    const max = encodeURIComponent("é".repeat(512));
    assert.equal((await http(t.url, "POST", `/v1/queues/${max}/jobs`, { json: { body: 1 } })).status, 201);
    const names = (await http(t.url, "GET", "/queues/")).json as string[];
    assert.ok(
      names.every((name) => name.length > 0 && Buffer.byteLength(name) <= 1024 && !name.includes("\0")),
    );
  });
});
