import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, before, beforeEach, describe, it } from "node:test";
import { http, type HttpReply } from "../helpers/http.js";
import { spawnServer } from "../helpers/process.js";
import { tempDataDir, testServer, type TestServer } from "../helpers/server.js";
import { TaskqClient } from "./taskq-client.js";

/** TaskQ's HTTP routes as the original measured them (DIALECTS.md section 3), bytes compared exactly. */

const TEXT = "text/plain; charset=utf-8";

/** status, content type and body bytes of a reply */
function seen(reply: HttpReply): [number, string | null, string] {
  return [reply.status, reply.headers.get("content-type"), reply.text];
}

describe("TaskQ HTTP routes", () => {
  let t: TestServer;
  let c: TaskqClient;
  const call = (method: string, path: string, raw?: string | Buffer) =>
    http(
      t.url,
      method,
      path,
      raw === undefined ? {} : { raw, contentType: "application/x-www-form-urlencoded" },
    );

  before(async () => {
    t = await testServer({ taskqPort: 0 }, { manualClock: true });
  });
  after(async () => {
    c?.close();
    await t.close();
  });
  beforeEach(async () => {
    c?.close();
    t.server.engine.flushAll();
    c = await TaskqClient.connect(t.server.config.taskqPort!);
  });

  it("the README's curl session, byte for byte: queue1's first task is 1", async () => {
    assert.deepEqual(seen(await call("POST", "/apps/taskq/queue1/tasks", "task1")), [
      200,
      TEXT,
      "task 1 enqueued\n",
    ]);
    assert.deepEqual(seen(await call("POST", "/apps/taskq/queue1/tasks/deque")), [
      200,
      TEXT,
      `{"id":1,"queue":"queue1","body":"${Buffer.from("task1").toString("base64")}"}\n`,
    ]);
    assert.deepEqual(seen(await call("DELETE", "/apps/taskq/queue1/tasks/1")), [
      200,
      TEXT,
      "task 1 acknowledged\n",
    ]);
  });

  it("numbers tasks per queue; an empty queue and an unknown task answer 500 as Go's http.Error", async () => {
    assert.equal((await call("POST", "/apps/taskq/a/tasks", "x")).text, "task 1 enqueued\n");
    assert.equal((await call("POST", "/apps/taskq/b/tasks", "y")).text, "task 1 enqueued\n");
    assert.equal((await call("POST", "/apps/taskq/a/tasks", "z")).text, "task 2 enqueued\n");
    const empty = await call("POST", "/apps/taskq/none/tasks/deque");
    assert.deepEqual(seen(empty), [500, TEXT, "taskq: no task in queue\n"]);
    assert.equal(empty.headers.get("x-content-type-options"), "nosniff");
    for (const path of ["/apps/taskq/a/tasks/3", "/apps/taskq/c/tasks/1", "/apps/taskq/a/tasks/abc"]) {
      assert.deepEqual(seen(await call("DELETE", path)), [500, TEXT, "taskq: no such task\n"], path);
    }
    // a task id is TaskQ's number: "002" is task 2
    assert.deepEqual(seen(await call("DELETE", "/apps/taskq/a/tasks/002")), [
      200,
      TEXT,
      "task 2 acknowledged\n",
    ]);
    assert.deepEqual(seen(await call("DELETE", "/apps/taskq/a/tasks/2")), [
      500,
      TEXT,
      "taskq: no such task\n",
    ]);
    assert.equal(await t.server.engine.qlen("a"), 1);
  });

  it("the body is always base64; the JSON is escaped as Go's encoder does", async () => {
    const bytes = Buffer.from([0x68, 0x69, 0xff, 0x00, 0x0a]);
    await call("POST", "/apps/taskq/a&b<c>/tasks", bytes);
    const got = await call("POST", `/apps/taskq/${encodeURIComponent("a&b<c>")}/tasks/deque`);
    assert.deepEqual(seen(got), [
      200,
      TEXT,
      `{"id":1,"queue":"a\\u0026b\\u003cc\\u003e","body":"${bytes.toString("base64")}"}\n`,
    ]);
  });

  it("the HTTP and text doors are two views of the same tasks: same ids, either door acks", async () => {
    assert.equal((await call("POST", "/apps/taskq/q/tasks", "from http")).text, "task 1 enqueued\n");
    c.write("1 enq q 9 from text\n2 deq q\n");
    const first = "1 enqed q 2\n2 deqed q 1 9 from http\n";
    assert.equal(await c.expect(first), first);
    const got = await call("POST", "/apps/taskq/q/tasks/deque");
    assert.equal(got.text, `{"id":2,"queue":"q","body":"${Buffer.from("from text").toString("base64")}"}\n`);
    assert.equal((await call("DELETE", "/apps/taskq/q/tasks/1")).text, "task 1 acknowledged\n");
    c.write("3 ack q 2\n4 ack q 1\n");
    const acks = "3 acked q 2\n4 error unknown task id '1'\n";
    assert.equal(await c.expect(acks), acks);
  });

  it("one lease for both doors: 120 s, whichever door enqueued or dequeued", async () => {
    await call("POST", "/apps/taskq/q/tasks", "h");
    c.write("1 enq q 1 t\n");
    assert.equal(await c.expect("1 enqed q 2\n"), "1 enqed q 2\n");
    for (const job of await t.server.engine.qpeek("q", 10)) assert.equal(job.retry, 120);
    // a job added by another door gets TaskQ's lease when TaskQ dequeues it; its Disque id names it
    const { id } = t.server.engine.addJob({ queue: "q", body: Buffer.from("d"), retry: 3600 });
    assert.equal((await call("POST", "/apps/taskq/q/tasks/deque")).status, 200);
    c.write("2 deq q\n");
    assert.equal(await c.expect("2 deqed q 2 1 t\n"), "2 deqed q 2 1 t\n");
    const third = await call("POST", "/apps/taskq/q/tasks/deque");
    assert.equal(third.text, `{"id":"${id}","queue":"q","body":"ZA=="}\n`);
    t.clock!.advance(119_999);
    t.server.engine.runDue();
    assert.equal((await call("POST", "/apps/taskq/q/tasks/deque")).status, 500);
    t.clock!.advance(1);
    t.server.engine.runDue();
    assert.equal((await call("POST", "/apps/taskq/q/tasks/deque")).text.slice(0, 8), '{"id":1,');
    c.write("3 deq q\n");
    assert.equal(await c.expect("3 deqed q 2 1 t\n"), "3 deqed q 2 1 t\n");
    assert.equal((await call("DELETE", `/apps/taskq/q/tasks/${encodeURIComponent(id)}`)).status, 200);
    assert.equal(await t.server.engine.qlen("q"), 0);
  });

  it("the counters survive a compaction and a restart: acked numbers are not handed out again", async () => {
    const dataDir = tempDataDir();
    const first = await testServer({ dataDir, taskqPort: 0 });
    const enq = async (s: TestServer, queue: string) =>
      (await http(s.url, "POST", `/apps/taskq/${queue}/tasks`, { raw: "x" })).text;
    try {
      assert.equal(await enq(first, "q"), "task 1 enqueued\n");
      assert.equal(await enq(first, "q"), "task 2 enqueued\n");
      assert.equal((await http(first.url, "DELETE", "/apps/taskq/q/tasks/2")).status, 200);
      await first.server.journal!.compact();
    } finally {
      await first.close();
    }
    const second = await testServer({ dataDir, taskqPort: 0 });
    try {
      assert.equal(await enq(second, "q"), "task 3 enqueued\n");
      assert.equal(await enq(second, "other"), "task 1 enqueued\n");
    } finally {
      await second.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});

describe("TaskQ task numbers across kill -9", () => {
  it("a restarted server keeps counting up: no number of a live or acked task is reused", async () => {
    const dataDir = tempDataDir();
    const args = ["--fsync", "always", "--http-port", "0", "--taskq-port", "0"];
    let server = await spawnServer(dataDir, args);
    try {
      const url = () => `http://127.0.0.1:${server.httpPort}`;
      for (const n of [1, 2, 3]) {
        assert.equal(
          (await http(url(), "POST", "/apps/taskq/q/tasks", { raw: `t${n}` })).text,
          `task ${n} enqueued\n`,
        );
      }
      assert.equal((await http(url(), "DELETE", "/apps/taskq/q/tasks/3")).status, 200);
      server.child.kill("SIGKILL");
      await server.exited;
      server = await spawnServer(dataDir, args);
      const c = await TaskqClient.connect(server.taskqPort!);
      c.write("1 enq q 2 t4\n2 deq q\n3 ack q 1\n");
      const expected = "1 enqed q 4\n2 deqed q 1 2 t1\n3 acked q 1\n";
      assert.equal(await c.expect(expected), expected);
      c.close();
      assert.equal((await http(url(), "DELETE", "/apps/taskq/q/tasks/2")).text, "task 2 acknowledged\n");
    } finally {
      server.child.kill("SIGKILL");
      await server.exited;
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
