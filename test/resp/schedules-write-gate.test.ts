import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { FaultyFs } from "../helpers/faulty-fs.js";
import { http } from "../helpers/http.js";
import { NULL_BULK, RawClient } from "../helpers/raw-client.js";
import { tempDataDir, testServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";
import { replyValue } from "../helpers/resp-values.js";

/**
 * SCHEDULE SET/DEL and PUT/DELETE /v1/schedules are writes: while the
 * journal cannot write they are refused before any change (MISCONF, 503),
 * and GET/LIST still answer.
 */

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe("schedules and the write gate", () => {
  it("refuses SET and DEL on both doors while the journal cannot write; reads still answer", async (test) => {
    const fs = new FaultyFs();
    const dir = tempDataDir();
    dirs.push(dir);
    const t = await testServer({ dataDir: dir }, { journalFs: fs });
    const c = await RawClient.connect(t.port);
    test.after(async () => {
      c.close();
      await t.close();
    });
    const set = (name: string) => c.call("SCHEDULE", "SET", name, "EVERY", 60_000, "QUEUE", "q", "BODY", "b");
    assert.equal((replyValue(await set("kept")) as unknown[])[1], "kept");
    fs.failWrites = "ENOSPC";
    await waitFor(async () => (await c.call("ADDJOB", "filler", "x", 0)).startsWith("-MISCONF"), 5000);

    assert.match(await set("refused"), /^-MISCONF /);
    assert.match(await c.call("SCHEDULE", "DEL", "kept"), /^-MISCONF /);
    const put = await http(t.url, "PUT", "/v1/schedules/refused", {
      json: { everyMs: 60_000, template: { queue: "q", body: "b" } },
    });
    assert.equal(put.status, 503, put.text);
    assert.equal((await http(t.url, "DELETE", "/v1/schedules/kept")).status, 503);

    assert.deepEqual(replyValue(await c.call("SCHEDULE", "LIST")), ["0", ["kept"]]);
    assert.equal(await c.call("SCHEDULE", "GET", "refused"), NULL_BULK);
    assert.equal((await http(t.url, "GET", "/v1/schedules/kept")).status, 200);
  });
});
