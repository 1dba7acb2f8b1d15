import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  AUTH_FAILURE_DELAY_MS,
  AUTH_FAILURES_PER_CONNECTION,
  passwordMatches,
} from "../../src/util/password.js";
import { TaskqClient } from "../dialects/taskq-client.js";
import { http } from "../helpers/http.js";
import { RawClient, error, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";

/** Wrong passwords are slowed and limited per connection on every door; compares are constant-time. */

describe("password compare", () => {
  it("compares the sha256 of both sides, so any lengths compare without throwing", () => {
    assert.equal(passwordMatches("s3cret", "s3cret"), true);
    assert.equal(passwordMatches(Buffer.from("s3cret"), "s3cret"), true);
    assert.equal(passwordMatches("s3cre", "s3cret"), false);
    assert.equal(passwordMatches("s3cret".repeat(1000), "s3cret"), false);
    assert.equal(passwordMatches("", "s3cret"), false);
    assert.equal(passwordMatches("héllo", "héllo"), true);
  });
});

describe("wrong passwords", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({ taskqPort: 0, requirePass: "s3cret" });
  });
  after(async () => {
    await t.close();
  });

  it("RESP: 100,000 pipelined wrong AUTHs get a few slowed answers, then the connection is closed", async () => {
    const c = await RawClient.connect(t.port);
    const one = "*2\r\n$4\r\nAUTH\r\n$5\r\nwrong\r\n";
    const started = Date.now();
    c.write(one.repeat(100_000));
    await c.closed(10_000);
    const elapsed = Date.now() - started;
    const replies = c.pending();
    assert.equal(replies, error("ERR invalid password").repeat(AUTH_FAILURES_PER_CONNECTION));
    assert.ok(elapsed >= AUTH_FAILURE_DELAY_MS * 0.9, `answered in ${elapsed} ms`);
    // far below the 12.6k guesses a second measured before
    const rate = (AUTH_FAILURES_PER_CONNECTION * 1000) / elapsed;
    assert.ok(rate < 100, `${rate.toFixed(0)} guesses/s`);
  });

  it("RESP: a right password after a wrong one still works; each wrong answer waits", async () => {
    const c = await RawClient.connect(t.port);
    const started = Date.now();
    assert.equal(await c.call("AUTH", "wrong"), error("ERR invalid password"));
    assert.ok(Date.now() - started >= AUTH_FAILURE_DELAY_MS * 0.9);
    assert.equal(await c.call("PING"), error("NOAUTH Authentication required."));
    assert.equal(await c.call("AUTH", "s3cret"), simple("OK"));
    assert.equal(await c.call("PING"), simple("PONG"));
    c.close();
  });

  it("TaskQ: pipelined wrong auths get a few slowed answers, then the connection is closed", async () => {
    const c = await TaskqClient.connect(t.server.config.taskqPort!);
    const started = Date.now();
    let requests = "";
    for (let i = 1; i <= 1000; i++) requests += `${i} auth wrong\n`;
    c.write(requests);
    await c.closed(10_000);
    const elapsed = Date.now() - started;
    let expected = "";
    for (let i = 1; i <= AUTH_FAILURES_PER_CONNECTION; i++) expected += `${i} error invalid password\n`;
    assert.equal(c.pending(), expected);
    assert.ok(elapsed >= AUTH_FAILURE_DELAY_MS * 0.9, `answered in ${elapsed} ms`);
  });

  it("HTTP: a wrong bearer is answered 401 after the delay; a missing one at once", async () => {
    const started = Date.now();
    const wrong = await http(t.url, "GET", "/v1/queues", { headers: { authorization: "Bearer nope" } });
    assert.equal(wrong.status, 401);
    assert.ok(Date.now() - started >= AUTH_FAILURE_DELAY_MS * 0.9, "the wrong bearer waited");
    const ok = await http(t.url, "GET", "/v1/queues", { headers: { authorization: "Bearer s3cret" } });
    assert.equal(ok.status, 200);
    const none = await http(t.url, "GET", "/v1/queues");
    assert.equal(none.status, 401);
  });
});
