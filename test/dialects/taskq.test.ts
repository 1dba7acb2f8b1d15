import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { defaultConfig } from "../../src/config.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { TaskqClient } from "./taskq-client.js";

/** The TaskQ text protocol on its own port (DIALECTS.md section 3), bytes compared exactly. */

describe("TaskQ text protocol", () => {
  let t: TestServer;
  let c: TaskqClient;

  before(async () => {
    t = await testServer({ taskqPort: 0, maxJobSize: 1024 }, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(async () => {
    c?.close();
    t.server.engine.flushAll();
    c = await TaskqClient.connect(t.server.config.taskqPort!);
  });

  it("is off by default, and listens when a port is configured", () => {
    assert.equal(defaultConfig().taskqPort, null);
    assert.ok(t.server.config.taskqPort! > 0);
  });

  it("an enq/deq/ack pipeline in one write: ids echoed, bodies with spaces and a newline", async () => {
    const s = 1; // a flushed server: every queue's first task is 1
    c.write(
      "1 enq jobs 11 hello world\n" +
        "2 enq jobs 0 rest of line body\n" +
        "3 enq jobs 12 two\nlines ok\n" +
        "4 deq jobs\n" +
        "5 deq jobs\n" +
        "6 deq jobs\n" +
        `7 ack jobs ${s}\n` +
        `8 ack jobs ${s + 1}\r\n` +
        `9 ack jobs ${s + 2}\n` +
        `10 ack jobs ${s + 2}\n` +
        "11 deq jobs\n",
    );
    const expected =
      `1 enqed jobs ${s}\n` +
      `2 enqed jobs ${s + 1}\n` +
      `3 enqed jobs ${s + 2}\n` +
      `4 deqed jobs ${s} 11 hello world\n` +
      `5 deqed jobs ${s + 1} 17 rest of line body\n` +
      `6 deqed jobs ${s + 2} 12 two\nlines ok\n` +
      `7 acked jobs ${s}\n` +
      `8 acked jobs ${s + 1}\n` +
      `9 acked jobs ${s + 2}\n` +
      `10 error unknown task id '${s + 2}'\n` +
      "11 error empty\n";
    assert.equal(await c.expect(expected), expected);
    assert.equal(t.server.engine.qlen("jobs"), 0);
  });

  it("task ids are numbered per queue: each queue's first task is 1; ack replies the task's number", async () => {
    c.write("1 enq a 1 x\n2 enq b 1 y\n3 enq a 1 z\n4 deq a\n5 deq b\n6 ack a 001\n7 ack b 1\n8 enq a 1 w\n");
    const expected =
      "1 enqed a 1\n2 enqed b 1\n3 enqed a 2\n4 deqed a 1 1 x\n5 deqed b 1 1 y\n" +
      "6 acked a 1\n7 acked b 1\n8 enqed a 3\n";
    assert.equal(await c.expect(expected), expected);
  });

  it("a body split across writes, byte by byte", async () => {
    const s = 1; // a flushed server: every queue's first task is 1
    for (const ch of "a1 enq q 5 x\ny z\nb1 deq q\n") c.write(ch);
    const expected = `a1 enqed q ${s}\nb1 deqed q ${s} 5 x\ny z\n`;
    assert.equal(await c.expect(expected), expected);
  });

  it("a dequeued task that is not acked within the lease (120 s) is dequeued again", async () => {
    const s = 1; // a flushed server: every queue's first task is 1
    c.write("1 enq q 4 work\n2 deq q\n");
    const first = `1 enqed q ${s}\n2 deqed q ${s} 4 work\n`;
    assert.equal(await c.expect(first), first);
    t.clock!.advance(119_999);
    t.server.engine.runDue();
    c.write("3 deq q\n");
    assert.equal(await c.expect("3 error empty\n"), "3 error empty\n");
    t.clock!.advance(1);
    t.server.engine.runDue();
    c.write("4 deq q\n");
    assert.equal(await c.expect(`4 deqed q ${s} 4 work\n`), `4 deqed q ${s} 4 work\n`);
  });

  it("every bad request gets an error reply; the connection keeps working; nothing is lost", async () => {
    const s = 1; // a flushed server: every queue's first task is 1
    const big = "y".repeat(2000);
    c.write(
      "k1 enq q 4 keep\n" +
        "b1\n" +
        "b2 frob q\n" +
        "b3 deq\n" +
        "b4 deq q extra\n" +
        "b5 ack q\n" +
        "b6 ack q notanumber\n" +
        "b7 enq q abc body\n" +
        "b8 enq q -3 body\n" +
        `b9 enq q 2000 ${big}\n` +
        "b10 enq q\n" +
        "\n" +
        `b11 ack other ${s}\n` +
        "k2 deq q\n",
    );
    const expected =
      `k1 enqed q ${s}\n` +
      "b1 error missing command\n" +
      "b2 error unknown command 'frob'\n" +
      "b3 error wrong number of arguments for 'deq', expected: RID deq QUEUE\n" +
      "b4 error wrong number of arguments for 'deq', expected: RID deq QUEUE\n" +
      "b5 error wrong number of arguments for 'ack', expected: RID ack QUEUE TASKID\n" +
      "b6 error unknown task id 'notanumber'\n" +
      "b7 error invalid body length 'abc'\n" +
      "b8 error invalid body length '-3'\n" +
      "b9 error body too big: 2000 bytes, the limit is 1024\n" +
      "b10 error wrong number of arguments for 'enq', expected: RID enq QUEUE LEN BODY\n" +
      `b11 error unknown task id '${s}'\n` +
      `k2 deqed q ${s} 4 keep\n`;
    assert.equal(await c.expect(expected), expected);
  });

  it("a line longer than the limit without a newline ends the connection with an error", async () => {
    c.write(`x ${"a".repeat(70 * 1024)}`);
    assert.equal(await c.expect("x error request line too long\n"), "x error request line too long\n");
    await c.closed();
  });
});
