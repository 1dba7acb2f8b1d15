import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { MAX_BUSYLOOP_JOBS, MAX_BUSYLOOP_NAMES, MAX_SCAN_COUNT } from "../../src/core/listing-limits.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { RawClient, array, bulk, int, simple } from "../helpers/raw-client.js";
import { tempDataDir, testServer, type TestServer } from "../helpers/server.js";

/** No one request holds the server: CONFIG GET's matcher, scans and peeks do bounded work. */

/** The cursor and the number of elements of a scan reply. */
function scanPage(reply: string): { cursor: string; size: number } {
  const m = /^\*2\r\n\$\d+\r\n(\d+)\r\n\*(\d+)\r\n/.exec(reply);
  assert.ok(m, `not a scan reply: ${reply.slice(0, 80)}`);
  return { cursor: m[1]!, size: Number(m[2]) };
}

/** Adds `n` jobs to `queue` (or the queue `queue(i)` names) in one pipelined write. */
async function addJobs(c: RawClient, queue: string | ((i: number) => string), n: number): Promise<void> {
  const command = (q: string) => `*4\r\n$6\r\nADDJOB\r\n$${q.length}\r\n${q}\r\n$1\r\nx\r\n$1\r\n0\r\n`;
  const commands: string[] = [];
  for (let i = 0; i < n; i++) commands.push(command(typeof queue === "string" ? queue : queue(i)));
  c.socket.write(commands.join(""));
  for (let i = 0; i < n; i++) assert.match(await c.reply(), /^\+D-/);
}

describe("CONFIG GET with a hostile glob", () => {
  // In its own process: on a backtracking matcher the test must fail, not freeze the test runner.
  let server: ServerProcess;
  const dir = tempDataDir();
  before(async () => {
    server = await spawnServer(dir);
  });
  after(async () => {
    server.child.kill("SIGKILL");
    await server.exited;
    rmSync(dir, { recursive: true, force: true });
  });

  it("answers `CONFIG GET ****************!` at once, and the others meanwhile", async () => {
    const c = await RawClient.connect(server.port);
    const other = await RawClient.connect(server.port);
    const started = performance.now();
    c.send("CONFIG", "GET", `${"*".repeat(16)}!`);
    assert.equal(await other.call("PING"), simple("PONG"));
    assert.equal(await c.reply(2000), array());
    assert.ok(performance.now() - started < 1000);
    assert.equal(await c.call("CONFIG", "GET", "*clients"), array(bulk("maxclients"), bulk("10000")));
    c.close();
    other.close();
  });
});

describe("scans and listings over RESP", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer();
  });
  after(async () => {
    await t.close();
  });

  it("JSCAN/QSCAN: COUNT 0 and negative counts are the default (100), a huge COUNT is capped", async () => {
    const c = await RawClient.connect(t.port);
    await addJobs(c, "counts", MAX_SCAN_COUNT + 50);
    for (const count of ["0", "-5"]) {
      assert.equal(scanPage(await c.call("JSCAN", "COUNT", count)).size, 100);
      assert.equal(scanPage(await c.call("QSCAN", "COUNT", count)).cursor, "0");
    }
    const huge = scanPage(await c.call("JSCAN", "0", "COUNT", "100000000", "REPLY", "all"));
    assert.equal(huge.size, MAX_SCAN_COUNT);
    assert.notEqual(huge.cursor, "0");
    c.close();
  });

  it(`okq QSTATUS without names lists at most ${MAX_SCAN_COUNT} queues, by name`, async () => {
    const c = await RawClient.connect(t.port);
    await c.call("DEBUG", "FLUSHALL");
    await addJobs(c, (i) => `status-${String(i).padStart(4, "0")}`, MAX_SCAN_COUNT + 5);
    const reply = await c.call("QSTATUS");
    assert.match(
      reply,
      new RegExp(`^\\*${MAX_SCAN_COUNT}\\r\\n\\*4\\r\\n\\$11\\r\\nstatus-0000\\r\\n:1\\r\\n`),
    );
    assert.equal(
      await c.call("QSTATUS", "status-1004"),
      array(array(bulk("status-1004"), int(1), int(0), int(0))),
    );
    c.close();
  });

  it("DEBUG LOOPDELAY reports the event-loop delay since the last call", async () => {
    const c = await RawClient.connect(t.port);
    await c.call("DEBUG", "LOOPDELAY");
    await new Promise((resolve) => setTimeout(resolve, 50));
    const reply = await c.call("DEBUG", "LOOPDELAY");
    assert.match(
      reply,
      /^\*8\r\n\$6\r\np50-ms\r\n\$\d+\r\n[\d.]+\r\n\$6\r\np99-ms\r\n.*max-ms.*samples\r\n:[1-9]\d*\r\n$/s,
    );
    c.close();
  });

  it("JSCAN BUSYLOOP walks to the end in slices, and stops with a cursor past its cap", async () => {
    const c = await RawClient.connect(t.port);
    await c.call("DEBUG", "FLUSHALL");
    await addJobs(c, "busy", MAX_BUSYLOOP_JOBS + 1);
    assert.deepEqual(scanPage(await c.call("JSCAN", "BUSYLOOP")), {
      cursor: "0",
      size: MAX_BUSYLOOP_JOBS + 1,
    });
    // SHOW replies cost more to encode than ids: REPLY all stops sooner
    const jobs = scanPage(await c.call("JSCAN", "BUSYLOOP", "REPLY", "all"));
    assert.equal(jobs.size, MAX_BUSYLOOP_JOBS);
    assert.notEqual(jobs.cursor, "0");
    assert.deepEqual(scanPage(await c.call("JSCAN", jobs.cursor, "BUSYLOOP", "REPLY", "all")), {
      cursor: "0",
      size: 1,
    });
    await addJobs(c, "more", MAX_BUSYLOOP_NAMES);
    const ids = scanPage(await c.call("JSCAN", "BUSYLOOP"));
    assert.equal(ids.size, MAX_BUSYLOOP_NAMES);
    assert.notEqual(ids.cursor, "0");
    assert.deepEqual(scanPage(await c.call("JSCAN", ids.cursor, "BUSYLOOP")), {
      cursor: "0",
      size: MAX_BUSYLOOP_JOBS + 1,
    });
    c.close();
  });
});
