import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { RawClient, NULL_ARRAY, NULL_BULK, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/** Disque's job commands, reply bytes compared exactly (DISQUE.md section 4). */

const ID = /^\+(D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4})\r\n$/;

function idOf(reply: string): string {
  const match = ID.exec(reply);
  assert.ok(match, `not an ADDJOB id reply: ${JSON.stringify(reply)}`);
  return match[1]!;
}

describe("Disque job commands over a raw socket", () => {
  let t: TestServer;
  let c: RawClient;

  before(async () => {
    t = await testServer({}, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(async () => {
    c?.close();
    c = await RawClient.connect(t.port);
    assert.equal(await c.call("DEBUG", "FLUSHALL"), simple("OK"));
  });

  it("ADDJOB answers a 40-character id as a simple string, with the TTL in its suffix", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "hello", 0));
    assert.equal(id.length, 40);
    assert.ok(id.endsWith("-05a1"), id);
    assert.ok(id.startsWith(`D-${t.server.engine.nodeId.slice(0, 8)}-`));
    assert.ok(idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 0)).endsWith("-05a0"));
    assert.ok(idOf(await c.call("ADDJOB", "q", "x", 0, "TTL", 3600)).endsWith("-003d"));
    assert.equal(await c.call("QLEN", "q"), int(3));
  });

  it("ADDJOB accepts an empty body, binary-safe; not an empty queue name (docket's rule)", async () => {
    const body = Buffer.from([0, 13, 10, 255, 36]);
    const id = idOf(await c.call("ADDJOB", "binary", body, 0));
    assert.equal(
      await c.call("GETJOB", "FROM", "binary"),
      array(array(bulk("binary"), bulk(id), bulk(body))),
    );
    assert.match(await c.call("ADDJOB", "empty-body", "", 0), /^\+D-/);
    const rule = "-ERR invalid queue name: a queue name is 1 to 1024 bytes, without NUL\r\n";
    assert.equal(await c.call("ADDJOB", "", "x", 0), rule);
    assert.equal(await c.call("GETJOB", "FROM", ""), rule);
  });

  it("ADDJOB validates options left to right with Disque's messages", async () => {
    const cases: Array<[Array<string | number>, string]> = [
      [["REPLICATE", 0], "ERR REPLICATE must be between 1 and 65535"],
      [["REPLICATE", 70000], "ERR REPLICATE must be between 1 and 65535"],
      [["TTL", 0], "ERR TTL must be a number > 0"],
      [["TTL", "abc"], "ERR TTL must be a number > 0"],
      [["RETRY", -1], "ERR RETRY time must be a non negative number"],
      [["DELAY", -1], "ERR DELAY time must be a non negative number"],
      [["MAXLEN", 0], "ERR MAXLEN must be a positive number"],
      [["FOO"], "ERR syntax error"],
      [["TTL"], "ERR syntax error"],
      [["FOO", "TTL", 0], "ERR syntax error"],
      [["TTL", 0, "FOO"], "ERR TTL must be a number > 0"],
      [
        ["REPLICATE", 2, "RETRY", 0],
        "ERR With RETRY set to 0 please explicitly set  REPLICATE to 1 (at-most-once delivery)",
      ],
      [
        ["DELAY", 10, "TTL", 10],
        "ERR The specified DELAY is greater than TTL. Job refused since would never be delivered",
      ],
      [["REPLICATE", 3], "NOREPL Not enough reachable nodes for the requested replication level"],
    ];
    for (const [options, message] of cases) {
      assert.equal(await c.call("ADDJOB", "q", "b", 0, ...options), error(message), options.join(" "));
    }
    assert.equal(
      await c.call("ADDJOB", "q", "b", "x"),
      error("ERR timeout is not an integer or out of range"),
    );
    assert.equal(await c.call("ADDJOB", "q", "b", -5), error("ERR timeout is negative"));
    assert.equal(
      await c.call("ADDJOB", "q", "b"),
      error("ERR wrong number of arguments for 'addjob' command"),
    );
    assert.equal(await c.call("QLEN", "q"), int(0));
  });

  it("ADDJOB options are case-insensitive and the last repeat wins", async () => {
    const id = idOf(await c.call("addjob", "q", "b", 0, "ttl", 60, "TtL", 7200, "async"));
    assert.ok(id.endsWith("-0079"), id);
  });

  it("MAXLEN refuses when the queue already holds n jobs", async () => {
    idOf(await c.call("ADDJOB", "q", "a", 0, "MAXLEN", 2));
    idOf(await c.call("ADDJOB", "q", "b", 0, "MAXLEN", 2));
    assert.equal(
      await c.call("ADDJOB", "q", "c", 0, "MAXLEN", 2),
      error("MAXLEN Queue is already longer than the specified MAXLEN count"),
    );
  });

  it("GETJOB takes rounds over the queues left to right", async () => {
    const a = idOf(await c.call("ADDJOB", "q2", "a", 0));
    const b = idOf(await c.call("ADDJOB", "q2", "b", 0));
    const cc = idOf(await c.call("ADDJOB", "q3", "c", 0));
    assert.equal(
      await c.call("GETJOB", "COUNT", 3, "FROM", "q3", "q2"),
      array(
        array(bulk("q3"), bulk(cc), bulk("c")),
        array(bulk("q2"), bulk(a), bulk("a")),
        array(bulk("q2"), bulk(b), bulk("b")),
      ),
    );
  });

  it("GETJOB NOHANG on empty queues is a null array; errors are exact", async () => {
    assert.equal(await c.call("GETJOB", "NOHANG", "FROM", "empty"), NULL_ARRAY);
    assert.equal(await c.call("GETJOB", "FROM"), error("ERR syntax error"));
    assert.equal(await c.call("GETJOB", "NOHANG", "x"), error("ERR syntax error"));
    assert.equal(
      await c.call("GETJOB", "COUNT", 0, "FROM", "q"),
      error("ERR COUNT must be a number greater than zero"),
    );
    assert.equal(await c.call("GETJOB", "TIMEOUT", -1, "FROM", "q"), error("ERR timeout is negative"));
    assert.equal(
      await c.call("GETJOB", "TIMEOUT", "soon", "FROM", "q"),
      error("ERR timeout is not an integer or out of range"),
    );
  });

  it("GETJOB WITHCOUNTERS reports nacks and additional deliveries", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0));
    await c.call("GETJOB", "FROM", "q");
    assert.equal(await c.call("NACK", id), int(1));
    assert.equal(
      await c.call("GETJOB", "WITHCOUNTERS", "FROM", "q"),
      array(
        array(bulk("q"), bulk(id), bulk("x"), bulk("nacks"), int(1), bulk("additional-deliveries"), int(0)),
      ),
    );
  });

  it("a blocked GETJOB COUNT 5 gets exactly one job when two arrive", async () => {
    const consumer = await RawClient.connect(t.port);
    consumer.send("GETJOB", "COUNT", 5, "FROM", "jobs");
    await waitFor(async () => (await t.server.engine.stats()).blockedClients === 1);
    const pipeline = await RawClient.connect(t.port);
    pipeline.send("ADDJOB", "jobs", "one", 0);
    pipeline.send("ADDJOB", "jobs", "two", 0);
    const first = idOf(await pipeline.reply());
    idOf(await pipeline.reply());
    assert.equal(await consumer.reply(), array(array(bulk("jobs"), bulk(first), bulk("one"))));
    assert.equal(await c.call("QLEN", "jobs"), int(1));
    consumer.close();
    pipeline.close();
  });

  it("blocked clients are served in the order they blocked, and TIMEOUT ends in a null array", async () => {
    const first = await RawClient.connect(t.port);
    const second = await RawClient.connect(t.port);
    first.send("GETJOB", "FROM", "q");
    await waitFor(async () => (await t.server.engine.stats()).blockedClients === 1);
    second.send("GETJOB", "TIMEOUT", 1000, "FROM", "q");
    await waitFor(async () => (await t.server.engine.stats()).blockedClients === 2);
    const id = idOf(await c.call("ADDJOB", "q", "x", 0));
    assert.equal(await first.reply(), array(array(bulk("q"), bulk(id), bulk("x"))));
    t.clock!.advance(1001);
    t.server.engine.runDue();
    assert.equal(await second.reply(), NULL_ARRAY);
    first.close();
    second.close();
  });

  it("a client that disconnects while blocked takes nothing with it", async () => {
    const gone = await RawClient.connect(t.port);
    gone.send("GETJOB", "FROM", "q");
    await waitFor(async () => (await t.server.engine.stats()).blockedClients === 1);
    gone.close();
    await waitFor(async () => (await t.server.engine.stats()).blockedClients === 0);
    const id = idOf(await c.call("ADDJOB", "q", "x", 0));
    assert.equal(await c.call("QLEN", "q"), int(1));
    assert.equal(await c.call("GETJOB", "NOHANG", "FROM", "q"), array(array(bulk("q"), bulk(id), bulk("x"))));
  });

  it("a worker blocking many times on one connection leaves no close hooks behind", async () => {
    const worker = await RawClient.connect(t.port);
    await worker.call("CLIENT", "SETNAME", "hooks");
    const hooksOf = () => [...t.server.clients()].find((client) => client.name === "hooks")!.closeHooks;
    for (let round = 0; round < 50; round++) {
      worker.send("GETJOB", "FROM", "q");
      await waitFor(async () => (await t.server.engine.stats()).blockedClients === 1);
      assert.equal(hooksOf(), 1, "one hook while blocked");
      const id = idOf(await c.call("ADDJOB", "q", `job ${round}`, 0));
      assert.equal(await worker.reply(), array(array(bulk("q"), bulk(id), bulk(`job ${round}`))));
      assert.equal(await worker.call("ACKJOB", id), int(1));
    }
    assert.equal(hooksOf(), 0);
    await worker.call("ADDJOB", "q", "ready", 0);
    await worker.call("GETJOB", "FROM", "q"); // served at once: no hook at all
    assert.equal(hooksOf(), 0);
    worker.close();
  });

  it("ACKJOB, FASTACK and DELJOB count known jobs; ACKJOB with no id is 0", async () => {
    const a = idOf(await c.call("ADDJOB", "q", "a", 0));
    const b = idOf(await c.call("ADDJOB", "q", "b", 0));
    const d = idOf(await c.call("ADDJOB", "q", "d", 0));
    const unknown = "D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1";
    assert.equal(await c.call("ACKJOB"), int(0));
    assert.equal(await c.call("ACKJOB", a, unknown), int(1));
    assert.equal(await c.call("ACKJOB", a), int(0));
    assert.equal(await c.call("FASTACK", b), int(1));
    assert.equal(await c.call("DELJOB", d, d), int(1));
    assert.equal(await c.call("QLEN", "q"), int(0));
    assert.equal(await c.call("SHOW", a), NULL_BULK);
  });

  it("every id-taking command answers BADID and does nothing when one id is malformed", async () => {
    const a = idOf(await c.call("ADDJOB", "q", "a", 0));
    const bad = error("BADID Invalid Job ID format.");
    for (const cmd of ["ACKJOB", "FASTACK", "NACK", "ENQUEUE", "DEQUEUE", "DELJOB"]) {
      assert.equal(await c.call(cmd, a, "not-an-id"), bad, cmd);
    }
    assert.equal(await c.call("WORKING", "D-1"), bad);
    assert.equal(await c.call("SHOW", "x".repeat(40)), bad);
    assert.equal(await c.call("QLEN", "q"), int(1));
  });

  it("NACK puts a delivered job back at its place, served next, counted in nacks", async () => {
    const a = idOf(await c.call("ADDJOB", "q", "a", 0));
    const b = idOf(await c.call("ADDJOB", "q", "b", 0));
    await c.call("GETJOB", "FROM", "q");
    assert.equal(await c.call("NACK", a, b), int(1)); // b is queued, so skipped
    assert.equal(
      await c.call("QPEEK", "q", 2),
      array(array(bulk("q"), bulk(a), bulk("a")), array(bulk("q"), bulk(b), bulk("b"))),
    );
    assert.equal(await c.call("NACK", a), int(0)); // already queued
  });

  it("DEQUEUE takes a queued job out; ENQUEUE puts it back, counting one additional delivery", async () => {
    const a = idOf(await c.call("ADDJOB", "q", "a", 0));
    assert.equal(await c.call("DEQUEUE", a), int(1));
    assert.equal(await c.call("QLEN", "q"), int(0));
    assert.equal(await c.call("DEQUEUE", a), int(0));
    assert.equal(await c.call("ENQUEUE", a), int(1));
    const show = await c.call("SHOW", a);
    assert.ok(show.includes(bulk("additional-deliveries") + int(1)), show);
    assert.equal(await c.call("QLEN", "q"), int(1));
  });

  it("QPEEK: positive oldest first, negative newest first, zero and unknown empty", async () => {
    const a = idOf(await c.call("ADDJOB", "q", "a", 0));
    const b = idOf(await c.call("ADDJOB", "q", "b", 0));
    const ja = array(bulk("q"), bulk(a), bulk("a"));
    const jb = array(bulk("q"), bulk(b), bulk("b"));
    assert.equal(await c.call("QPEEK", "q", 1), array(ja));
    assert.equal(await c.call("QPEEK", "q", 10), array(ja, jb));
    assert.equal(await c.call("QPEEK", "q", -1), array(jb));
    assert.equal(await c.call("QPEEK", "q", 0), "*0\r\n");
    assert.equal(await c.call("QPEEK", "nope", 5), "*0\r\n");
    assert.equal(await c.call("QPEEK", "q", "x"), error("ERR value is not an integer or out of range"));
    assert.equal(await c.call("QLEN", "q"), int(2));
  });

  it("QSTAT: 20 fields in Disque's order; unknown queue is a null array", async () => {
    assert.equal(await c.call("QSTAT", "nope"), NULL_ARRAY);
    idOf(await c.call("ADDJOB", "q", "a", 0));
    idOf(await c.call("ADDJOB", "q", "b", 0));
    await c.call("GETJOB", "FROM", "q");
    t.clock!.advance(3000);
    assert.equal(
      await c.call("QSTAT", "q"),
      array(
        bulk("name"),
        bulk("q"),
        bulk("len"),
        int(1),
        bulk("age"),
        int(3),
        bulk("idle"),
        int(3),
        bulk("blocked"),
        int(0),
        bulk("import-from"),
        "*0\r\n",
        bulk("import-rate"),
        int(0),
        bulk("jobs-in"),
        int(2),
        bulk("jobs-out"),
        int(1),
        bulk("pause"),
        bulk("none"),
      ),
    );
  });

  it("SHOW: 30 fields in Disque's order", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "body", 0, "TTL", 100, "RETRY", 10));
    const createdAt = t.clock!.now();
    t.clock!.advance(2000);
    const seq = (await t.server.engine.show(id))!.seq;
    assert.equal(
      await c.call("SHOW", id),
      array(
        bulk("id"),
        bulk(id),
        bulk("queue"),
        bulk("q"),
        bulk("state"),
        bulk("queued"),
        bulk("repl"),
        int(1),
        bulk("ttl"),
        int(98),
        bulk("ctime"),
        `:${BigInt(createdAt) * 1000000n + BigInt(seq % 1000000)}\r\n`,
        bulk("delay"),
        int(0),
        bulk("retry"),
        int(10),
        bulk("nacks"),
        int(0),
        bulk("additional-deliveries"),
        int(0),
        bulk("nodes-delivered"),
        array(bulk(t.server.engine.nodeId)),
        bulk("nodes-confirmed"),
        "*0\r\n",
        bulk("next-requeue-within"),
        int(8000),
        // the next re-queue check (Disque's qtime), not the TTL
        bulk("next-awake-within"),
        int(8000),
        bulk("body"),
        bulk("body"),
      ),
    );
  });

  it("PAUSE reads its options left to right and refuses input while paused in", async () => {
    assert.equal(await c.call("PAUSE", "q", "state"), simple("none"));
    assert.equal(await c.call("PAUSE", "q", "none", "in"), simple("in"));
    assert.equal(await c.call("ADDJOB", "q", "x", 0), error("PAUSED Queue paused in input, try later"));
    assert.equal(await c.call("PAUSE", "q", "in", "none"), simple("none"));
    assert.equal(await c.call("PAUSE", "q", "all", "bcast"), simple("all"));
    assert.equal(await c.call("PAUSE", "q", "state"), simple("all"));
    assert.equal(await c.call("PAUSE", "q", "sideways"), error("ERR syntax error"));
    assert.equal(await c.call("PAUSE", "q", "none"), simple("none"));
  });

  it("PAUSE out then none wakes a blocked GETJOB", async () => {
    idOf(await c.call("ADDJOB", "q", "x", 0));
    assert.equal(await c.call("PAUSE", "q", "out"), simple("out"));
    assert.equal(await c.call("GETJOB", "NOHANG", "FROM", "q"), NULL_ARRAY);
    const consumer = await RawClient.connect(t.port);
    consumer.send("GETJOB", "FROM", "q");
    await waitFor(async () => (await t.server.engine.stats()).blockedClients === 1);
    assert.equal(await c.call("PAUSE", "q", "none"), simple("none"));
    assert.match(await consumer.reply(), /^\*1\r\n\*3\r\n\$1\r\nq\r\n/);
    consumer.close();
  });

  it("JSCAN and QSCAN iterate with cursors until 0", async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 25; i++) ids.add(idOf(await c.call("ADDJOB", `q${i % 3}`, `b${i}`, 0)));
    const seen = new Set<string>();
    let cursor = "0";
    let calls = 0;
    do {
      const reply = await c.call("JSCAN", cursor, "COUNT", 10);
      const match = /^\*2\r\n\$\d+\r\n(\d+)\r\n\*(\d+)\r\n/.exec(reply);
      assert.ok(match, reply);
      cursor = match[1]!;
      for (const m of reply.matchAll(/\+(D-[^\r]+)\r\n/g)) seen.add(m[1]!);
      calls++;
    } while (cursor !== "0");
    assert.deepEqual(seen, ids);
    assert.equal(calls, 3);
    const q0 = await c.call("JSCAN", "BUSYLOOP", "QUEUE", "q0", "STATE", "queued");
    assert.equal([...q0.matchAll(/\+D-/g)].length, 9);
    assert.match(
      await c.call("JSCAN", "0", "COUNT", 1, "REPLY", "all"),
      /^\*2\r\n\$\d+\r\n\d+\r\n\*1\r\n\*30\r\n/,
    );
    assert.equal(await c.call("JSCAN", "STATE", "sleeping"), error("ERR Invalid job state name"));
    assert.equal(await c.call("JSCAN", "REPLY", "some"), error("ERR Invalid REPLY type, try ID or ALL"));
    assert.equal(await c.call("JSCAN", "WHAT"), error("ERR invalid cursor or option name"));
    assert.equal(
      await c.call("QSCAN", "BUSYLOOP"),
      array(bulk("0"), array(bulk("q0"), bulk("q1"), bulk("q2"))),
    );
    assert.equal(await c.call("QSCAN", "BUSYLOOP", "MINLEN", 9), array(bulk("0"), array(bulk("q0"))));
    assert.equal(await c.call("QSCAN", "0", "FOO"), error("ERR syntax error"));
  });

  it("JSCAN and QSCAN read their options in any order, the cursor anywhere (as Disque)", async () => {
    for (let i = 0; i < 3; i++) await c.call("ADDJOB", `q${i}`, "x", 0);
    const all = array(bulk("0"), array(bulk("q0"), bulk("q1"), bulk("q2")));
    // disqueue-node sends the cursor last.
    assert.equal(await c.call("QSCAN", "COUNT", 10, "BUSYLOOP", 0), all);
    assert.equal(await c.call("QSCAN", "MINLEN", 1, "0", "COUNT", 0), all);
    assert.equal(await c.call("QSCAN", "COUNT", -5), all);
    assert.equal(await c.call("QSCAN", "0", "0"), error("ERR syntax error"));
    assert.equal(await c.call("QSCAN", "COUNT", 10, "abc"), error("ERR invalid cursor or option name"));
    assert.equal(await c.call("QSCAN", "COUNT"), error("ERR invalid cursor or option name"));
    assert.equal(await c.call("JSCAN", "COUNT", 10, "0", "BUSYLOOP"), await c.call("JSCAN", "BUSYLOOP"));
    assert.equal(await c.call("JSCAN", "0", "0"), error("ERR syntax error"));
  });

  it("WORKING answers the retry time; NOJOB for unknown ids; 0 for at-most-once jobs", async () => {
    const id = idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 30));
    await c.call("GETJOB", "FROM", "q");
    assert.equal(await c.call("WORKING", id), int(30));
    assert.equal(
      await c.call("WORKING", "D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1"),
      error("NOJOB Job not known in the context of this node."),
    );
    const once = idOf(await c.call("ADDJOB", "q", "x", 0, "RETRY", 0));
    assert.equal(await c.call("WORKING", once), int(0));
  });
});
