import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { RawClient, NULL_ARRAY, NULL_BULK, array, bulk, error, int } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * DISQUE.md section 5, over real sockets, with the server's clock driven by
 * the test: leases, WORKING, TOOLATE, TTL and DELAY without sleeping.
 */

function idOf(reply: string): string {
  const match = /^\+(D-[^\r]{38})\r\n$/.exec(reply);
  assert.ok(match, reply);
  return match[1]!;
}

describe("time-driven behaviour", () => {
  let t: TestServer;
  let c: RawClient;
  const advance = (ms: number) => {
    t.clock!.advance(ms);
    t.server.engine.runDue();
  };
  const showField = async (id: string, field: string): Promise<string> => {
    const reply = await c.call("SHOW", id);
    const at = reply.indexOf(bulk(field));
    assert.ok(at >= 0, `${field} in ${reply}`);
    const rest = reply.slice(at + bulk(field).length);
    const header = rest.slice(0, rest.indexOf("\r\n") + 2);
    if (!header.startsWith("$") || header === "$-1\r\n") return header;
    return header + rest.slice(header.length, header.length + Number(header.slice(1, -2)) + 2);
  };

  before(async () => {
    t = await testServer({}, { manualClock: true });
    c = await RawClient.connect(t.port);
  });
  after(async () => {
    c.close();
    await t.close();
  });
  beforeEach(async () => {
    await c.call("DEBUG", "FLUSHALL");
  });

  it("re-queues an unacknowledged job after RETRY seconds, counted in additional-deliveries", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 5));
    await c.call("GETJOB", "FROM", "q");
    advance(4999);
    assert.equal(await c.call("QLEN", "q"), int(0));
    advance(1);
    assert.equal(await c.call("QLEN", "q"), int(1));
    assert.equal(
      await c.call("GETJOB", "WITHCOUNTERS", "FROM", "q"),
      array(
        array(bulk("q"), bulk(id), bulk("x"), bulk("nacks"), int(0), bulk("additional-deliveries"), int(1)),
      ),
    );
    assert.equal(await showField(id, "additional-deliveries"), int(1));
  });

  it("does not count a re-queue while the job is still queued", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 5));
    advance(12_000);
    assert.equal(await showField(id, "additional-deliveries"), int(0));
    assert.equal(await c.call("QLEN", "q"), int(1));
  });

  it("counts NACKs in nacks, visible in SHOW and GETJOB WITHCOUNTERS", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0));
    await c.call("GETJOB", "FROM", "q");
    await c.call("NACK", id);
    await c.call("GETJOB", "FROM", "q");
    await c.call("NACK", id);
    assert.equal(await showField(id, "nacks"), int(2));
    assert.match(await c.call("GETJOB", "WITHCOUNTERS", "FROM", "q"), /nacks\r\n:2\r\n/);
  });

  it("WORKING pushes the re-queue back; after half the TTL it answers TOOLATE", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 10, "TTL", 100));
    await c.call("GETJOB", "FROM", "q");
    advance(8000);
    assert.equal(await c.call("WORKING", id), int(10));
    advance(8000);
    assert.equal(await c.call("QLEN", "q"), int(0), "postponed: not back yet");
    advance(2000);
    assert.equal(await c.call("QLEN", "q"), int(1));
    advance(33_000); // 51 s since creation
    assert.equal(
      await c.call("WORKING", id),
      error(
        "TOOLATE Half of job TTL already elapsed, you are no longer allowed to postpone the next delivery.",
      ),
    );
  });

  it("WORKING on a queued job takes it out of the queue", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 10));
    assert.equal(await c.call("WORKING", id), int(10));
    assert.equal(await c.call("QLEN", "q"), int(0));
    advance(10_000);
    assert.equal(await c.call("QLEN", "q"), int(1));
  });

  it("TTL deletes a job in any state", async () => {
    const queued = idOf(await c.call("ADDJOB", "q", "a", 0, "TTL", 10));
    const active = idOf(await c.call("ADDJOB", "q", "b", 0, "TTL", 10, "RETRY", 60));
    await c.call("DEQUEUE", active);
    const delayed = idOf(await c.call("ADDJOB", "q", "c", 0, "TTL", 10, "DELAY", 9));
    advance(9999);
    assert.equal(await c.call("QLEN", "q"), int(2));
    advance(1);
    for (const id of [queued, active, delayed]) assert.equal(await c.call("SHOW", id), NULL_BULK);
    assert.equal(await c.call("QLEN", "q"), int(0));
  });

  it("DELAY keeps a job out of the queue until its time", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "DELAY", 5));
    assert.equal(await c.call("GETJOB", "NOHANG", "FROM", "q"), NULL_ARRAY);
    assert.equal(await showField(id, "state"), bulk("active"));
    assert.equal(await showField(id, "next-awake-within"), int(5000));
    advance(5000);
    assert.equal(await showField(id, "state"), bulk("queued"));
    assert.equal(await c.call("GETJOB", "NOHANG", "FROM", "q"), array(array(bulk("q"), bulk(id), bulk("x"))));
  });

  it("a delayed job wakes a blocked GETJOB when its time comes", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "DELAY", 3));
    const consumer = await RawClient.connect(t.port);
    consumer.send("GETJOB", "FROM", "q");
    await new Promise((resolve) => setTimeout(resolve, 20));
    advance(3000);
    assert.equal(await consumer.reply(), array(array(bulk("q"), bulk(id), bulk("x"))));
    consumer.close();
  });

  it("RETRY 0 is at-most-once: never re-queued, NACK and ENQUEUE return 0", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 0));
    await c.call("GETJOB", "FROM", "q");
    advance(600_000);
    assert.equal(await c.call("QLEN", "q"), int(0));
    assert.equal(await c.call("NACK", id), int(0));
    assert.equal(await c.call("ENQUEUE", id), int(0));
    assert.equal(await showField(id, "next-requeue-within"), NULL_BULK);
    assert.equal(await showField(id, "state"), bulk("active"));
  });

  it("an idle empty queue is dropped after 300 s, a paused one is kept", async () => {
    const id = idOf(await c.call("ADDJOB", "gone", "x", 0));
    await c.call("GETJOB", "FROM", "gone");
    assert.equal(await c.call("ACKJOB", id), int(1));
    await c.call("PAUSE", "kept", "in");
    advance(301_000);
    advance(10_000);
    assert.equal(await c.call("QSTAT", "gone"), NULL_ARRAY);
    assert.match(await c.call("QSTAT", "kept"), /pause\r\n\$2\r\nin\r\n$/);
  });
});
