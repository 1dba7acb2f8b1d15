import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { NULL_BULK, RawClient, array, bulk, int, simple } from "../helpers/raw-client.js";
import { dataDirs } from "../helpers/server.js";

/**
 * okq's state changes are answered only once journaled: after kill -9 and a
 * restart on the embedded store, an event popped with EX 0 (or NOACK) is
 * gone for good, and an event put back with QACK … REDO is still the next
 * one served. (Leases are not journaled: events in flight come back queued.)
 */

const newDir = dataDirs();
const servers: ServerProcess[] = [];
after(() => {
  for (const server of servers) server.child.kill("SIGKILL");
});

async function start(dir: string): Promise<ServerProcess> {
  const server = await spawnServer(dir, ["--fsync", "always"]);
  servers.push(server);
  return server;
}

async function kill(server: ServerProcess): Promise<void> {
  server.child.kill("SIGKILL");
  await server.exited;
}

describe("okq after kill -9 and a restart", () => {
  it("EX 0 and NOACK pops stay popped; a REDO'd event is still served next", async () => {
    const dir = newDir();
    const first = await start(dir);
    const c = await RawClient.connect(first.port);
    for (const ev of ["e1", "e2", "e3", "e4"])
      assert.equal(await c.call("QLPUSH", "once", ev, ev), simple("OK"));
    assert.equal(await c.call("QRPOP", "once", "EX", 0), array(bulk("e1"), bulk("e1")));
    assert.equal(await c.call("QRPOP", "once", "NOACK"), array(bulk("e2"), bulk("e2")));
    assert.equal(await c.call("QRPOP", "once", "EX", 0, "NOACK"), array(bulk("e3"), bulk("e3")));

    for (const ev of ["a", "b", "c"]) assert.equal(await c.call("QLPUSH", "redo", ev, ev), simple("OK"));
    assert.equal(await c.call("QRPOP", "redo"), array(bulk("a"), bulk("a")));
    assert.equal(await c.call("QRPOP", "redo"), array(bulk("b"), bulk("b")));
    assert.equal(await c.call("QACK", "redo", "b", "REDO"), int(1));
    c.close();
    await kill(first);

    const second = await start(dir);
    const d = await RawClient.connect(second.port);
    assert.equal(await d.call("QRPOP", "once", "EX", 0), array(bulk("e4"), bulk("e4")));
    assert.equal(await d.call("QRPOP", "once"), NULL_BULK);
    // b kept its place at the front; a (in flight at the kill) is queued again at its own.
    assert.equal(await d.call("QRPEEK", "redo"), array(bulk("b"), bulk("b")));
    // A QRPUSH after the restart goes ahead of b, and each keeps its own place:
    // acking b takes b alone.
    assert.equal(await d.call("QRPUSH", "redo", "u", "u"), simple("OK"));
    assert.equal(await d.call("QRPEEK", "redo"), array(bulk("u"), bulk("u")));
    assert.equal(await d.call("QACK", "redo", "b"), int(1));
    for (const ev of ["u", "a", "c"]) {
      assert.equal(await d.call("QRPOP", "redo", "NOACK"), array(bulk(ev), bulk(ev)));
    }
    assert.equal(await d.call("QRPOP", "redo"), NULL_BULK);
    d.close();
    await kill(second);
  });
});
