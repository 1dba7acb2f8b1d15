import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import type { Browser } from "playwright-core";
import { http } from "../helpers/http.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { freshPage, launchBrowser, screenshot } from "./browser.js";

/** The dashboard behind --requirepass: login form, session cookie, CSRF on changes, logout. */

describe("dashboard login", () => {
  let t: TestServer;
  let browser: Browser;
  before(async () => {
    t = await testServer({ requirePass: "s3cret" });
    browser = await launchBrowser();
  });
  after(async () => {
    await browser.close();
    await t.close();
  });

  it("logs in with the password, acts with the CSRF token, logs out", async () => {
    const { page, errors } = await freshPage(browser);
    await page.goto(t.url + "/");
    await page.locator("form#login").waitFor();
    await screenshot(page, "login");

    await page.locator("#password").fill("wrong");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.locator("#login-failed").waitFor();
    assert.deepEqual(await page.context().cookies(), []);

    await page.locator("#password").fill("s3cret");
    await page.getByRole("button", { name: "Log in" }).click();
    await page.getByRole("heading", { name: "Queues" }).waitFor();
    const [cookie] = await page.context().cookies();
    assert.equal(cookie?.name, "docket_session");
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, "Strict");
    assert.equal(await page.evaluate(() => document.cookie), "", "a script cannot read the session cookie");

    // the page's own changes carry the CSRF token; a cookie-only change is refused
    await http(t.url, "POST", "/v1/queues/locked/jobs", {
      json: { body: 1 },
      headers: { authorization: "Bearer s3cret" },
    });
    await page.goto(`${t.url}/#/queue/locked`);
    await page.locator('button[data-action="pause-in"]').click();
    await page.locator('#queue-stats dd[data-field="pause"]').filter({ hasText: /^in$/ }).waitFor();
    const cookieOnly = await page.evaluate(async () => {
      const res = await fetch("/v1/queues/locked/resume", { method: "POST" });
      return res.status;
    });
    assert.equal(cookieOnly, 403);
    const withCookie = { cookie: `docket_session=${cookie.value}` };
    assert.equal((await http(t.url, "GET", "/v1/queues/locked", { headers: withCookie })).json.pause, "in");

    await page.getByRole("button", { name: "Log out" }).click();
    await page.locator("form#login").waitFor();
    assert.equal((await http(t.url, "GET", "/v1/queues/locked", { headers: withCookie })).status, 401);
    assert.deepEqual(errors, []);
    await page.context().close();
  });

  it("keeps the API's Bearer password and the open paths as they were", async () => {
    assert.equal((await http(t.url, "GET", "/v1/queues")).status, 401);
    const bearer = { authorization: "Bearer s3cret" };
    assert.equal(
      (await http(t.url, "POST", "/v1/queues/b/pause", { json: { state: "out" }, headers: bearer })).status,
      200,
    );
    assert.equal((await http(t.url, "GET", "/")).status, 200);
    assert.equal((await http(t.url, "GET", "/assets/app.js")).status, 200);
    assert.equal((await http(t.url, "POST", "/assets/app.js")).status, 401);
    assert.deepEqual((await http(t.url, "GET", "/v1/session")).json, {
      auth: "password",
      loggedIn: false,
      csrf: null,
    });
    assert.equal((await http(t.url, "GET", "/v1/dashboard/samples")).status, 401);
  });
});
