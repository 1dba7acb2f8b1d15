import assert from "node:assert/strict";
import { copyFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { http, jobPath } from "../helpers/http.js";
import { RawClient } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { freshPage, launchBrowser, screenshot } from "./browser.js";

/** The dashboard in Debian's Chromium against a real docket server, without a password. */

describe("dashboard", () => {
  let t: TestServer;
  let browser: Browser;
  before(async () => {
    t = await testServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser.close();
    await t.close();
  });

  const add = async (queue: string, body: unknown, extra: Record<string, unknown> = {}) => {
    const reply = await http(t.url, "POST", `/v1/queues/${queue}/jobs`, { json: { body, ...extra } });
    assert.equal(reply.status, 201, reply.text);
    return reply.json.id as string;
  };

  /** a job of `queue` failed once with `error` and, having no retry left, dead-lettered */
  const deadJob = async (queue: string, body: unknown, error: string) => {
    const id = await add(queue, body, { retries: 0 });
    const fetched = await http(t.url, "POST", "/v1/fetch", {
      json: { queues: [queue], count: 1, timeout: 0 },
    });
    assert.equal(fetched.json.jobs[0].id, id);
    const nacked = await http(t.url, "POST", jobPath(id, "/nack"), { json: { error } });
    assert.equal(nacked.status, 200, nacked.text);
    return id;
  };

  it("shows every queue live: counts move as jobs are added", async () => {
    const { page, errors } = await freshPage(browser);
    await page.goto(t.url + "/");
    await page.getByRole("heading", { name: "Queues" }).waitFor();
    await add("orders", { order: 1 });
    const ready = page.locator('tr[data-queue="orders"] td[data-field="ready"]');
    await ready.filter({ hasText: /^1$/ }).waitFor();
    await add("orders", { order: 2 });
    await add("orders", { order: 3 });
    await ready.filter({ hasText: /^3$/ }).waitFor();
    await deadJob("billing", { order: 4 }, "card declined");
    await page.locator('tr[data-queue="billing"] td[data-field="dead"]').filter({ hasText: /^1$/ }).waitFor();
    // the charts: samples taken as more jobs come (the ring's own 5 s tick is too slow for a test)
    const sampler = t.server.http!.sampler;
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i <= round; i++) await add("orders", { order: 10 * round + i });
      await sampler.sample();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await page.locator('tr[data-queue="orders"] svg.spark polyline').waitFor();
    await ready.filter({ hasText: /^24$/ }).waitFor();
    const path = await screenshot(page, "queues");
    // README's picture, refreshed on request only: a run must not change tracked files
    if (process.env.DOCKET_DOCS_SCREENSHOT === "1") copyFileSync(path, "docs/dashboard.png");
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("opens a failed job, reads its error, redrives it out of the dead letters", async () => {
    const error = "SMTP 550: mailbox unavailable";
    const id = await deadJob("mail", { to: "a@example.com", subject: "hi" }, error);
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/queue/mail?state=dead`);
    const row = page.locator(`#deadletters tr[data-id="${id}"]`);
    await row.waitFor();
    assert.match(await row.innerText(), /mailbox unavailable/);
    await screenshot(page, "queue-dead-letters");
    await row.getByRole("link", { name: id }).click();
    await page.locator("#attempts").waitFor();
    assert.match(await page.locator("#attempts").innerText(), /SMTP 550: mailbox unavailable/);
    // the body, pretty-printed JSON
    assert.match(await page.locator("#job-body").innerText(), /\{\n {2}"to": "a@example.com",/);
    assert.match(await page.locator("#job-facts").innerText(), /Reason\s+retries exhausted/);
    await screenshot(page, "job");
    await page.locator('button[data-action="redrive"]').click();
    await page.locator("#deadletters").waitFor();
    await page.getByText("0 dead letter(s).").waitFor();
    assert.equal(await page.locator(`#deadletters tr[data-id="${id}"]`).count(), 0);
    const dead = await http(t.url, "GET", "/v1/queues/mail/deadletters");
    assert.deepEqual(dead.json.deadLetters, []);
    const stats = await http(t.url, "GET", "/v1/queues/mail");
    assert.equal(stats.json.len, 1, "redriven as a fresh ready job");
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("redrives selected dead letters and purges the rest", async () => {
    const kept = await deadJob("bulk", "one", "e1");
    const redriven = await deadJob("bulk", "two", "e2");
    await deadJob("bulk", "three", "e3");
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/queue/bulk?state=dead`);
    await page.getByText("3 dead letter(s).").waitFor();
    await page.locator(`#deadletters tr[data-id="${redriven}"] input[type=checkbox]`).check();
    await page.locator('button[data-action="redrive-selected"]').click();
    await page.getByText("2 dead letter(s).").waitFor();
    assert.equal(await page.locator(`#deadletters tr[data-id="${redriven}"]`).count(), 0);
    assert.equal(await page.locator(`#deadletters tr[data-id="${kept}"]`).count(), 1);
    await page.locator('button[data-action="purge-all"]').click();
    await page.getByText("0 dead letter(s).").waitFor();
    const stats = await http(t.url, "GET", "/v1/queues/bulk");
    assert.deepEqual([stats.json.len, stats.json.deadLetters], [1, 0]);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("retries a delayed job now and deletes a job", async () => {
    const delayed = await add("later", { report: "monthly" }, { delay: 3600 });
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/job/${encodeURIComponent(delayed)}`);
    await page
      .locator("#explain")
      .filter({ hasText: /^delayed until/ })
      .waitFor();
    assert.match(await page.locator("#job-facts").innerText(), /Added through\s+HTTP\b/);
    await page.locator('button[data-action="retry"]').click();
    await page
      .locator("#explain")
      .filter({ hasText: /^ready, position 1 of 1/ })
      .waitFor();
    assert.equal((await http(t.url, "GET", jobPath(delayed))).json.state, "queued");
    await page.locator('button[data-action="delete"]').click();
    await page.getByRole("heading", { name: "Queue later" }).waitFor();
    assert.equal((await http(t.url, "GET", jobPath(delayed))).status, 404);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("says which door added a job: one added over RESP reads RESP", async () => {
    const resp = await RawClient.connect(t.port);
    let id: string;
    try {
      const reply = await resp.call("ADDJOB", "through-resp", "hello", "0");
      assert.match(reply, /^\+D-[^\r]+\r\n$/);
      id = reply.slice(1, -2);
    } finally {
      resp.close();
    }
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/job/${encodeURIComponent(id)}`);
    await page.locator("#job-facts").waitFor();
    assert.match(await page.locator("#job-facts").innerText(), /Added through\s+RESP\b/);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("shows a job's priority, group and key, and a queue's rate limit, held-back jobs and groups", async () => {
    const id = await add("tenants", { n: 1 }, { priority: 3, group: "acme", key: "order-7" });
    const policy = await http(t.url, "PUT", "/v1/queues/tenants/policy", { json: { rateLimit: "10/1s" } });
    assert.equal(policy.status, 200, policy.text);
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/job/${encodeURIComponent(id)}`);
    await page.locator("#job-facts").waitFor();
    const facts = await page.locator("#job-facts").innerText();
    assert.match(facts, /Priority\s+3\b/);
    assert.match(facts, /Group\s+acme\b/);
    assert.match(facts, /Idempotency key\s+order-7 \(until /);
    await page.goto(`${t.url}/#/queue/tenants`);
    await page
      .locator('#queue-stats dd[data-field="rateLimit"]')
      .filter({ hasText: /^10\/1s$/ })
      .waitFor();
    assert.equal(await page.locator('#queue-stats dd[data-field="groups"]').innerText(), "1");
    assert.equal(await page.locator('#queue-stats dd[data-field="heldBack"]').innerText(), "0");
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("shows an acked job's kept result", async () => {
    const id = await add("results", { n: 1 });
    assert.equal(
      (await http(t.url, "POST", "/v1/fetch", { json: { queues: ["results"], timeout: 0 } })).json.jobs[0].id,
      id,
    );
    const acked = await http(t.url, "POST", jobPath(id, "/ack"), { json: { result: { total: 42 } } });
    assert.equal(acked.status, 200, acked.text);
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/job/${encodeURIComponent(id)}`);
    await page.locator("#job-result").waitFor();
    assert.equal(await page.locator("#job-result").innerText(), '{\n  "total": 42\n}');
    await page
      .locator("#explain")
      .filter({ hasText: /^done: acked at/ })
      .waitFor();
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("answers why a job is not running", async () => {
    const id = await deadJob("why", "x", "boom");
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/job/${encodeURIComponent(id)}`);
    await page
      .locator("#explain")
      .filter({ hasText: /^dead since .* last error: boom$/ })
      .waitFor();
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("lists a queue's jobs by state and finds one by its body text", async () => {
    for (let i = 0; i < 5; i++) await add("search", { n: i, note: i === 3 ? "needle in here" : "hay" });
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/queue/search`);
    await page.getByText("5 job(s).").waitFor();
    await screenshot(page, "queue-jobs");
    await page.locator("#search").fill("NEEDLE");
    await page.getByRole("button", { name: "Search" }).click();
    await page.getByText("1 job(s).").waitFor();
    assert.match(await page.locator("#jobs tbody").innerText(), /needle in here/);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("pauses a queue for input: a producer is refused with PAUSED", async () => {
    await add("paused", "first");
    const { page, errors } = await freshPage(browser);
    await page.goto(`${t.url}/#/queue/paused`);
    await page
      .locator('#queue-stats dd[data-field="pause"]')
      .filter({ hasText: /^none$/ })
      .waitFor();
    await page.locator('button[data-action="pause-in"]').click();
    await page.locator('#queue-stats dd[data-field="pause"]').filter({ hasText: /^in$/ }).waitFor();
    const resp = await RawClient.connect(t.port);
    try {
      assert.match(await resp.call("ADDJOB", "paused", "second", "0"), /^-PAUSED/);
    } finally {
      resp.close();
    }
    await page.locator('button[data-action="resume"]').click();
    await page
      .locator('#queue-stats dd[data-field="pause"]')
      .filter({ hasText: /^none$/ })
      .waitFor();
    assert.equal(
      (await http(t.url, "POST", "/v1/queues/paused/jobs", { json: { body: "third" } })).status,
      201,
    );
    assert.deepEqual(errors, []);
    await page.context().close();
  });
});
