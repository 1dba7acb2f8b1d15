import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { NULL_BULK, RawClient, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { TaskqClient } from "./taskq-client.js";

/** One engine behind every dialect: a job added in one is seen and consumed in the others. */

const ID = /^\+(D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4})\r\n$/;

function idOf(reply: string): string {
  const match = ID.exec(reply);
  assert.ok(match, `not an id reply: ${JSON.stringify(reply)}`);
  return match[1]!;
}

/** the id out of a GETJOB reply `*1 *3 queue id body` */
function getjobId(reply: string): string {
  const match = /\$40\r\n(D-[^\r]+)\r\n/.exec(reply);
  assert.ok(match, reply);
  return match[1]!;
}

describe("dialects share one engine", () => {
  let t: TestServer;
  let c: RawClient;
  let tq: TaskqClient;

  before(async () => {
    t = await testServer({ taskqPort: 0 }, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(async () => {
    c?.close();
    tq?.close();
    c = await RawClient.connect(t.port);
    tq = await TaskqClient.connect(t.server.config.taskqPort!);
    assert.equal(await c.call("DEBUG", "FLUSHALL"), simple("OK"));
  });

  it("QLPUSH → QLEN, QSTAT, SHOW, LEN, QSTATUS; consumed by GETJOB and ACKJOB", async () => {
    assert.equal(await c.call("QLPUSH", "q", "ev-1", "payload"), simple("OK"));
    assert.equal(await c.call("QLEN", "q"), int(1));
    assert.match(await c.call("QSTAT", "q"), /\$3\r\nlen\r\n:1\r\n/);
    assert.equal(await c.call("LEN", "q"), int(1));
    const got = await c.call("GETJOB", "FROM", "q");
    const id = getjobId(got);
    assert.equal(got, array(array(bulk("q"), bulk(id), bulk("payload"))));
    assert.match(await c.call("SHOW", id), /\$5\r\nstate\r\n\$6\r\nactive\r\n/);
    assert.equal(await c.call("QSTATUS", "q"), array(array(bulk("q"), int(1), int(1), int(0))));
    assert.equal(await c.call("ACKJOB", id), int(1));
    assert.equal(await c.call("QACK", "q", "ev-1"), int(0));
    assert.equal(await c.call("LEN", "q"), int(0));
  });

  it("takeanumber ADD → okq QRPOP/QACK (the job id is the event id)", async () => {
    const id = idOf(await c.call("ADD", "q", "2", "from takeanumber"));
    assert.equal(await c.call("QRPEEK", "q"), array(bulk(id), bulk("from takeanumber")));
    assert.equal(await c.call("QRPOP", "q"), array(bulk(id), bulk("from takeanumber")));
    assert.equal(await c.call("QACK", "q", id), int(1));
    assert.equal(await c.call("LEN", "q"), int(0));
  });

  it("ADDJOB → RESERVE/DONE; okq QLPUSH → RESERVE; QRPUSH overtakes ADDJOB", async () => {
    const a = idOf(await c.call("ADDJOB", "q", "disque job", 0));
    assert.equal(await c.call("QRPUSH", "q", "urgent", "okq job"), simple("OK"));
    const reserved = await c.call("RESERVE", "q");
    const urgentId = /^\+(\S+) okq job\r\n$/.exec(reserved)?.[1];
    assert.ok(urgentId, reserved);
    assert.equal(await c.call("RESERVE", "q"), simple(`${a} disque job`));
    assert.equal(await c.call("DONE", "q", a), simple("OK"));
    assert.equal(await c.call("DONE", "q", urgentId), simple("OK"));
    assert.equal(await c.call("RESERVE", "q"), error("ERR No items available to reserve."));
  });

  it("TaskQ enq → GETJOB; ADDJOB → TaskQ deq/ack, the job named by its Disque id", async () => {
    tq.write("1 enq tq 0 from taskq\n");
    assert.equal(await tq.expect("1 enqed tq 1\n"), "1 enqed tq 1\n");
    const got = await c.call("GETJOB", "FROM", "tq");
    assert.equal(got, array(array(bulk("tq"), bulk(getjobId(got)), bulk("from taskq"))));

    // a job without a task number: TaskQ names it by its job id, and acks it by that id
    const id = idOf(await c.call("ADDJOB", "tq", "from disque", 0));
    tq.write("2 deq tq\n");
    const deqed = `2 deqed tq ${id} 11 from disque\n`;
    assert.equal(await tq.expect(deqed), deqed);
    tq.write(`3 ack tq ${id}\n`);
    assert.equal(await tq.expect(`3 acked tq ${id}\n`), `3 acked tq ${id}\n`);
    assert.equal(await c.call("SHOW", id), NULL_BULK);
  });

  it("dead letters from takeanumber RETRY, listed and redriven, consumed by okq", async () => {
    const id = idOf(await c.call("ADD", "q", "0", "fragile"));
    assert.equal(await c.call("RESERVE", "q"), simple(`${id} fragile`));
    assert.equal(await c.call("RETRY", "q", id), error("ERR No retries remaining."));
    assert.equal(await c.call("QLEN", "q"), int(0));
    const at = t.clock!.now();
    assert.equal(
      await c.call("DEADLETTERS", "q", 10),
      array(array(bulk(id), bulk("fragile"), bulk("retries exhausted"), int(at))),
    );
    assert.equal(await c.call("DEADLETTERS", "other"), array());
    assert.equal(await c.call("REDRIVE", "q", 1), int(1));
    const popped = await c.call("QRPOP", "q", "NOACK");
    assert.match(popped, /^\*2\r\n\$40\r\nD-\S+\r\n\$7\r\nfragile\r\n$/);
    assert.equal(await c.call("REDRIVE", "q"), int(0));
  });

  it("COMMAND DOCS knows the new groups", async () => {
    const docs = await c.call("COMMAND", "DOCS", "deadletters", "qrpop", "reserve");
    for (const text of ["docket", "okq", "takeanumber", "DEADLETTERS queue [count]"]) {
      assert.ok(docs.includes(text), `${text} in ${docs}`);
    }
  });
});
