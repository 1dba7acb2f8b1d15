import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { TaskqClient } from "../dialects/taskq-client.js";
import { FaultyFs } from "../helpers/faulty-fs.js";
import { http, jobPath } from "../helpers/http.js";
import { RawClient, int } from "../helpers/raw-client.js";
import { tempDataDir, testServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/**
 * Issue 11, scope 2: while the journal cannot write, the HTTP and TaskQ
 * doors refuse writes before they change anything, as RESP does with
 * -MISCONF (HTTP used to change the engine, then answer 500 for a job that
 * existed, so that the client's retry made a duplicate).
 */

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const MISCONF = /^Errors writing to the journal: ENOSPC: /;

describe("writes while the journal cannot write", () => {
  it("HTTP answers 503 MISCONF and TaskQ `RID error MISCONF …`, changing nothing", async (test) => {
    const dir = tempDataDir();
    dirs.push(dir);
    const fs = new FaultyFs();
    const t = await testServer({ dataDir: dir, taskqPort: 0 }, { journalFs: fs });
    const resp = await RawClient.connect(t.port);
    const taskq = await TaskqClient.connect(t.server.config.taskqPort!);
    test.after(async () => {
      resp.close();
      taskq.close();
      await t.close();
    });
    const added = await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: "kept" } });
    assert.equal(added.status, 201);
    const id = added.json.id as string;
    taskq.write("1 enq q 1 t\n");
    const seq = /^1 enqed q ([0-9]+)$/.exec(await taskq.line())![1]!;

    fs.failWrites = "ENOSPC";
    // The write in flight when the disk fills: applied in memory, answered 500 MISCONF naming the failure.
    const during = await http(t.url, "POST", "/v1/queues/q/jobs", { raw: "during" });
    assert.equal(during.status, 500, during.text);
    assert.equal(during.json.error.code, "MISCONF");
    assert.match(during.json.error.message, MISCONF);
    assert.equal(await resp.call("QLEN", "q"), int(3));

    const writes: Array<[string, string, object | undefined]> = [
      ["POST", "/v1/queues/q/jobs", { json: { body: "refused" } }],
      ["POST", "/v1/queues/q/jobs", { raw: "refused" }],
      ["POST", jobPath(id, "/ack"), undefined],
      ["POST", jobPath(id, "/nack"), undefined],
      ["DELETE", jobPath(id), undefined],
      ["POST", "/v1/queues/q/pause", { json: { state: "all" } }],
      ["POST", "/v1/queues/q/resume", undefined],
      ["POST", "/v1/queues/q/redrive", undefined],
      ["POST", "/enqueue/q", { json: { content: "refused" } }],
      ["POST", "/ack/", { json: { ids: [id] } }],
      ["POST", "/nak/", { json: { ids: [id] } }],
      ["POST", "/apps/taskq/q/tasks", { raw: "refused" }],
      ["DELETE", `/apps/taskq/q/tasks/${seq}`, undefined],
    ];
    for (const [method, path, options] of writes) {
      const reply = await http(t.url, method, path, options);
      assert.equal(reply.status, 503, `${method} ${path}: ${reply.text}`);
      assert.equal(reply.json.error.code, "MISCONF");
      assert.match(reply.json.error.message, MISCONF);
    }
    taskq.write("2 enq q 7 refused\n");
    assert.match(await taskq.line(), /^2 error MISCONF Errors writing to the journal: ENOSPC: /);
    taskq.write(`3 ack q ${seq}\n`);
    assert.match(await taskq.line(), /^3 error MISCONF Errors writing to the journal: ENOSPC: /);

    // Nothing changed; reads still work.
    assert.equal(await resp.call("QLEN", "q"), int(3));
    const stats = await http(t.url, "GET", "/v1/queues/q");
    assert.equal(stats.status, 200);
    assert.equal(stats.json.pause, "none");
    assert.equal((await http(t.url, "GET", jobPath(id))).json.state, "queued");

    // Space returns: writes work again on both doors.
    fs.failWrites = undefined;
    await waitFor(
      async () => (await http(t.url, "POST", "/v1/queues/q/jobs", { raw: "after" })).status === 201,
      5000,
    );
    taskq.write(`4 ack q ${seq}\n`);
    assert.equal(await taskq.line(), `4 acked q ${seq}`);
  });
});
