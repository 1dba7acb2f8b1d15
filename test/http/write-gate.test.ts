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
 * Issue 13: every door goes through the store's one write gate
 * (src/stores/store.ts), so they behave the same while the journal cannot
 * write. A delivery is a write (its lease is journaled), as RESP's GETJOB:
 * HTTP's fetches and TaskQ's deq are refused before they take anything,
 * and a refused add retried once the disk has room makes one job, not two.
 */

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

const MISCONF = /^Errors writing to the journal: ENOSPC: /;

async function faultyServer(fs: FaultyFs) {
  const dir = tempDataDir();
  dirs.push(dir);
  return testServer({ dataDir: dir, taskqPort: 0 }, { journalFs: fs });
}

/** Makes the journal fail, then waits until the store refuses writes (the first write in flight fails). */
async function fillDisk(fs: FaultyFs, url: string): Promise<void> {
  fs.failWrites = "ENOSPC";
  await waitFor(
    async () => (await http(url, "POST", "/v1/queues/filler/jobs", { raw: "x" })).status === 503,
    5000,
  );
}

describe("the write gate on the HTTP and TaskQ doors", () => {
  it("refuses deliveries before they take anything, on both doors", async (test) => {
    const fs = new FaultyFs();
    const t = await faultyServer(fs);
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
    await fillDisk(fs, t.url);

    const deliveries: Array<[string, string, object | undefined]> = [
      ["POST", "/v1/fetch", { json: { queues: ["q"], count: 1, timeout: 0 } }],
      ["POST", jobPath(id, "/working"), undefined],
      ["POST", "/wait/", { json: { queues: ["q"], timeout: 0 } }],
      ["POST", "/apps/taskq/q/tasks/deque", undefined],
    ];
    for (const [method, path, options] of deliveries) {
      const reply = await http(t.url, method, path, options);
      assert.equal(reply.status, 503, `${method} ${path}: ${reply.text}`);
      assert.equal(reply.json.error.code, "MISCONF");
      assert.match(reply.json.error.message, MISCONF);
    }
    taskq.write("1 deq q\n");
    assert.match(await taskq.line(), /^1 error MISCONF Errors writing to the journal: ENOSPC: /);

    // Nothing was taken: the job is still queued, never delivered.
    const job = await http(t.url, "GET", jobPath(id));
    assert.equal(job.json.state, "queued");
    assert.equal(await resp.call("QLEN", "q"), int(1));

    fs.failWrites = undefined;
    await waitFor(async () => {
      const fetched = await http(t.url, "POST", "/v1/fetch", {
        json: { queues: ["q"], count: 1, timeout: 0 },
      });
      return fetched.status === 200 && fetched.json.jobs.length === 1;
    }, 5000);
  });

  it("a TaskQ write whose journal fails after the change answers MISCONF, not an internal error", async (test) => {
    const fs = new FaultyFs();
    const t = await faultyServer(fs);
    const taskq = await TaskqClient.connect(t.server.config.taskqPort!);
    test.after(async () => {
      taskq.close();
      await t.close();
    });
    taskq.write("1 enq q 1 a\n");
    assert.match(await taskq.line(), /^1 enqed q [0-9]+$/);
    fs.failWrites = "ENOSPC";
    taskq.write("2 enq q 1 b\n");
    assert.match(await taskq.line(), /^2 error MISCONF Errors writing to the journal: ENOSPC: /);
    taskq.write("3 enq q 1 c\n");
    assert.match(await taskq.line(), /^3 error MISCONF Errors writing to the journal: ENOSPC: /);
  });

  it("an HTTP add refused while the disk is full, retried once it has room, makes one job", async (test) => {
    const fs = new FaultyFs();
    const t = await faultyServer(fs);
    const resp = await RawClient.connect(t.port);
    test.after(async () => {
      resp.close();
      await t.close();
    });
    await fillDisk(fs, t.url);
    const refused = await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: "once" } });
    assert.equal(refused.status, 503, refused.text);
    assert.equal(refused.json.error.code, "MISCONF");
    assert.equal(await resp.call("QLEN", "q"), int(0));

    fs.failWrites = undefined;
    await waitFor(
      async () => (await http(t.url, "POST", "/v1/queues/q/jobs", { json: { body: "once" } })).status === 201,
      5000,
    );
    assert.equal(await resp.call("QLEN", "q"), int(1));
  });
});
