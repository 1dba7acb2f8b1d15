import assert from "node:assert/strict";
import { after, before, beforeEach, describe, it } from "node:test";
import { NULL_BULK, RawClient, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/** okq over a raw socket (DIALECTS.md section 2), reply bytes compared exactly. */

describe("okq over a raw socket", () => {
  let t: TestServer;
  let c: RawClient;
  const others: RawClient[] = [];

  before(async () => {
    t = await testServer({}, { manualClock: true });
  });
  after(async () => {
    await t.close();
  });
  beforeEach(async () => {
    c?.close();
    for (const other of others.splice(0)) other.close();
    c = await RawClient.connect(t.port);
    assert.equal(await c.call("DEBUG", "FLUSHALL"), simple("OK"));
  });

  async function client(): Promise<RawClient> {
    const other = await RawClient.connect(t.port);
    others.push(other);
    return other;
  }

  const blocked = () => t.server.engine.stats() as { blockedClients: number };

  it("a producer and a consumer woken by QNOTIFY", async () => {
    const consumer = await client();
    assert.equal(await consumer.call("QREGISTER", "jobs", "mail"), simple("OK"));
    consumer.send("QNOTIFY", 0);
    await waitFor(() => blocked().blockedClients === 1);
    assert.equal(await c.call("QLPUSH", "mail", "ev-1", "hello"), simple("OK"));
    assert.equal(await consumer.reply(), bulk("mail"));
    assert.equal(await consumer.call("QRPOP", "mail"), array(bulk("ev-1"), bulk("hello")));
    assert.equal(await consumer.call("QACK", "mail", "ev-1"), int(1));
    assert.equal(await consumer.call("QACK", "mail", "ev-1"), int(0));

    // Jobs already waiting: QNOTIFY answers at once, and takes nothing.
    assert.equal(await c.call("QLPUSH", "jobs", "ev-2", "a"), simple("OK"));
    assert.equal(await consumer.call("QNOTIFY", 5), bulk("jobs"));
    assert.equal(await c.call("QLEN", "jobs"), int(1));
    assert.equal(await consumer.call("QRPOP", "jobs"), array(bulk("ev-2"), bulk("a")));

    // Nothing comes: null after the time-out (seconds).
    consumer.send("QNOTIFY", 5);
    await waitFor(() => blocked().blockedClients === 1);
    t.clock!.advance(4999);
    t.server.engine.runDue();
    t.clock!.advance(1);
    t.server.engine.runDue();
    assert.equal(await consumer.reply(), NULL_BULK);
    assert.equal(
      await c.call("QINFO", "jobs", "mail"),
      array(
        bulk("jobs total: 1 processing: 1 consumers: 1"),
        bulk("mail total: 0 processing: 0 consumers: 1"),
      ),
    );
    consumer.close();
    await waitFor(async () => (await c.call("QINFO", "mail")).includes("consumers: 0"));
  });

  it("QNOTIFY registered on nothing (never, or cleared) waits its time-out and answers $-1", async () => {
    const consumer = await client();
    assert.equal(await c.call("QLPUSH", "ready", "e", "x"), simple("OK"));
    for (const register of [[], ["QREGISTER", "ready"], ["QREGISTER"]]) {
      if (register.length > 0) assert.equal(await consumer.call(...register), simple("OK"));
      if (register.length === 2) {
        assert.equal(await consumer.call("QNOTIFY", 3), bulk("ready"));
        continue;
      }
      consumer.send("QNOTIFY", 3);
      await waitFor(() => blocked().blockedClients === 1);
      assert.equal(await c.call("QLPUSH", "ready", `e${register.length}`, "more"), simple("OK"));
      t.clock!.advance(2999);
      t.server.engine.runDue();
      assert.equal(blocked().blockedClients, 1, "nothing wakes it");
      t.clock!.advance(1);
      t.server.engine.runDue();
      assert.equal(await consumer.reply(), NULL_BULK);
    }
  });

  it("QRPUSH is served next; QLPEEK/QRPEEK look at both ends", async () => {
    assert.equal(await c.call("QLPUSH", "q", "a1", "x"), simple("OK"));
    assert.equal(await c.call("QLPUSH", "q", "a2", "y"), simple("OK"));
    assert.equal(await c.call("QRPUSH", "q", "u1", "urgent"), simple("OK"));
    assert.equal(await c.call("QRPEEK", "q"), array(bulk("u1"), bulk("urgent")));
    assert.equal(await c.call("QLPEEK", "q"), array(bulk("a2"), bulk("y")));
    assert.equal(await c.call("QRPOP", "q", "NOACK"), array(bulk("u1"), bulk("urgent")));
    assert.equal(await c.call("QRPOP", "q", "NOACK"), array(bulk("a1"), bulk("x")));
    assert.equal(await c.call("QRPOP", "q", "NOACK"), array(bulk("a2"), bulk("y")));
    assert.equal(await c.call("QRPOP", "q"), NULL_BULK);
    assert.equal(await c.call("QRPEEK", "q"), NULL_BULK);
    assert.equal(await c.call("QLPEEK", "q"), NULL_BULK);
    assert.equal(await c.call("QACK", "q", "a1"), int(0), "NOACK deleted it");
  });

  it("QRPOP's lease: 30 s by default, EX seconds otherwise; un-acked events come back", async () => {
    assert.equal(await c.call("QLPUSH", "q", "e1", "one"), simple("OK"));
    assert.equal(await c.call("QLPUSH", "q", "e2", "two"), simple("OK"));
    assert.equal(await c.call("QRPOP", "q"), array(bulk("e1"), bulk("one")));
    assert.equal(await c.call("QRPOP", "q", "EX", 60), array(bulk("e2"), bulk("two")));
    t.clock!.advance(29_999);
    t.server.engine.runDue();
    assert.equal(await c.call("QRPOP", "q"), NULL_BULK);
    t.clock!.advance(1);
    t.server.engine.runDue();
    assert.equal(await c.call("QRPOP", "q"), array(bulk("e1"), bulk("one")));
    assert.equal(await c.call("QACK", "q", "e1"), int(1));
    t.clock!.advance(30_000);
    t.server.engine.runDue();
    assert.equal(await c.call("QRPOP", "q", "ex", 10), array(bulk("e2"), bulk("two")));
    assert.equal(await c.call("QACK", "q", "e2"), int(1));
    t.clock!.advance(60_000);
    t.server.engine.runDue();
    assert.equal(await c.call("QRPOP", "q"), NULL_BULK);
  });

  it("QFLUSH deletes queued and in-flight events; QINFO lists every queue", async () => {
    assert.equal(await c.call("QLPUSH", "a", "1", "x"), simple("OK"));
    assert.equal(await c.call("QLPUSH", "a", "2", "x", "NOBLOCK"), simple("OK"));
    assert.equal(await c.call("QLPUSH", "b", "1", "x"), simple("OK"));
    assert.equal(await c.call("QRPOP", "a"), array(bulk("1"), bulk("x")));
    assert.equal(
      await c.call("QINFO"),
      array(bulk("a total: 2 processing: 1 consumers: 0"), bulk("b total: 1 processing: 0 consumers: 0")),
    );
    assert.equal(await c.call("QFLUSH", "a"), simple("OK"));
    assert.equal(await c.call("QINFO", "a"), array(bulk("a total: 0 processing: 0 consumers: 0")));
    assert.equal(await c.call("QACK", "a", "1"), int(0));
    t.clock!.advance(60_000);
    t.server.engine.runDue();
    assert.equal(await c.call("QRPOP", "a"), NULL_BULK, "a flushed event in flight never comes back");
    assert.equal(await c.call("QLPUSH", "a", "1", "again"), simple("OK"), "its id is free again");
  });

  it("bad input: clear errors, the connection keeps working, nothing is lost", async () => {
    assert.equal(await c.call("QLPUSH", "q", "e1", "keep"), simple("OK"));
    assert.equal(await c.call("QLPUSH", "q", "e1", "again"), error("ERR duplicate event e1"));
    assert.equal(await c.call("QRPUSH", "q", "e1", "again"), error("ERR duplicate event e1"));
    assert.equal(
      await c.call("QLPUSH", "q", "e2"),
      error("ERR wrong number of arguments for 'qlpush' command"),
    );
    assert.equal(await c.call("QLPUSH", "q", "e2", "x", "FAST"), error("ERR syntax error"));
    assert.equal(await c.call("QLPUSH", "q", "e2", "x", "NOBLOCK", "x"), error("ERR syntax error"));
    assert.equal(
      await c.call("QRPOP", "q", "EX", "soon"),
      error("ERR EX must be a non negative number of seconds"),
    );
    assert.equal(
      await c.call("QRPOP", "q", "EX", -1),
      error("ERR EX must be a non negative number of seconds"),
    );
    assert.equal(await c.call("QRPOP", "q", "EX"), error("ERR syntax error"));
    assert.equal(await c.call("QRPOP", "q", "LATER"), error("ERR syntax error"));
    assert.equal(await c.call("QACK", "q"), error("ERR wrong number of arguments for 'qack' command"));
    assert.equal(await c.call("QREGISTER", "q"), simple("OK"));
    assert.equal(
      await c.call("QNOTIFY", "never"),
      error("ERR timeout must be a non negative number of seconds"),
    );
    assert.equal(await c.call("QNOTIFY", -1), error("ERR timeout must be a non negative number of seconds"));
    assert.equal(await c.call("QFLUSH"), error("ERR wrong number of arguments for 'qflush' command"));
    assert.equal(await c.call("QRPOP", "q"), array(bulk("e1"), bulk("keep")));
  });
});
