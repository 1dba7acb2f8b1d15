import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { RawClient, NULL_BULK, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/** Connection and server commands, reply bytes compared exactly. */
describe("server commands", () => {
  let t: TestServer;

  before(async () => {
    t = await testServer();
  });
  after(async () => {
    await t.close();
  });

  it("PING, PING msg, unknown commands, wrong arity", async () => {
    const c = await RawClient.connect(t.port);
    assert.equal(await c.call("PING"), simple("PONG"));
    assert.equal(await c.call("ping", "hi there"), bulk("hi there"));
    assert.equal(await c.call("FooBar", "x"), error("ERR unknown command 'FooBar'"));
    assert.equal(await c.call("QLEN"), error("ERR wrong number of arguments for 'qlen' command"));
    assert.equal(await c.call("SHOW", "a", "b"), error("ERR wrong number of arguments for 'show' command"));
    c.close();
  });

  it("inline commands work as typed in telnet", async () => {
    const c = await RawClient.connect(t.port);
    c.write("PING\r\n");
    assert.equal(await c.reply(), simple("PONG"));
    c.write('ADDJOB "inline q" "hello world" 0\r\n');
    assert.match(await c.reply(), /^\+D-/);
    c.write('QLEN "inline q"\n');
    assert.equal(await c.reply(), int(1));
    c.close();
  });

  it("HELLO lists this node", async () => {
    const c = await RawClient.connect(t.port);
    const id = t.server.engine.nodeId;
    assert.match(id, /^[0-9a-f]{40}$/);
    assert.equal(
      await c.call("HELLO"),
      array(int(1), bulk(id), array(bulk(id), bulk(""), bulk(String(t.port)), bulk("1"))),
    );
    c.close();
  });

  it("INFO has Disque's required fields and sections", async () => {
    const c = await RawClient.connect(t.port);
    await c.call("DEBUG", "FLUSHALL");
    await c.call("ADDJOB", "info-q", "x", 0);
    const reply = await c.call("INFO");
    for (const field of [
      "disque_version",
      "run_id",
      `tcp_port:${t.port}`,
      "uptime_in_seconds",
      "connected_clients",
      "blocked_clients",
      "used_memory",
      "registered_jobs:1",
      "registered_queues:1",
      "aof_enabled",
      "total_commands_processed",
    ]) {
      assert.ok(reply.includes(field), `INFO lacks ${field}`);
    }
    for (const section of [
      "# Server",
      "# Clients",
      "# Memory",
      "# Jobs",
      "# Queues",
      "# Persistence",
      "# Stats",
    ]) {
      assert.ok(reply.includes(section), section);
    }
    const jobs = await c.call("INFO", "jobs");
    assert.ok(jobs.includes("# Jobs") && !jobs.includes("# Server"), jobs);
    await c.call("DEBUG", "FLUSHALL");
    c.close();
  });

  it("COMMAND describes the table", async () => {
    const c = await RawClient.connect(t.port);
    const count = Number(/^:(\d+)\r\n$/.exec(await c.call("COMMAND", "COUNT"))![1]);
    assert.ok(count >= 28, `${count} commands`);
    const all = await c.call("COMMAND");
    assert.ok(all.startsWith(`*${count}\r\n`));
    assert.equal(
      await c.call("COMMAND", "INFO", "addjob", "nosuch"),
      array(
        array(
          bulk("addjob"),
          int(-4),
          array(simple("write"), simple("denyoom"), simple("fast")),
          int(0),
          int(0),
          int(0),
        ),
        "$-1\r\n", // as Disque: a null bulk for an unknown name
      ),
    );
    assert.match(await c.call("COMMAND", "DOCS", "getjob"), /GETJOB \[NOHANG\]/);
    c.close();
  });

  it("CONFIG GET and SET", async () => {
    const c = await RawClient.connect(t.port);
    assert.equal(await c.call("CONFIG", "GET", "maxclients"), array(bulk("maxclients"), bulk("10000")));
    assert.equal(await c.call("CONFIG", "SET", "maxclients", "500"), simple("OK"));
    assert.equal(
      await c.call("CONFIG", "GET", "max*"),
      array(
        bulk("maxclients"),
        bulk("500"),
        bulk("max-job-size"),
        bulk(String(16 * 1024 * 1024)),
        bulk("maxmemory"),
        bulk(String(t.server.config.maxMemory)),
      ),
    );
    assert.equal(
      await c.call("CONFIG", "SET", "maxclients", "many"),
      error("ERR Invalid argument 'many' for CONFIG SET 'maxclients'"),
    );
    assert.equal(
      await c.call("CONFIG", "SET", "nosuch", "1"),
      error("ERR Unsupported CONFIG parameter: nosuch"),
    );
    assert.equal(await c.call("CONFIG", "SET", "max-job-size", "4"), simple("OK"));
    assert.equal(
      await c.call("ADDJOB", "q", "12345", 0),
      error("ERR job body too big: 5 bytes, the limit is 4"),
    );
    assert.equal(await c.call("CONFIG", "SET", "max-job-size", String(16 * 1024 * 1024)), simple("OK"));
    assert.equal(await c.call("CONFIG", "SET", "maxclients", "10000"), simple("OK"));
    c.close();
  });

  it("CLIENT SETNAME, GETNAME, ID, LIST and KILL", async () => {
    const a = await RawClient.connect(t.port);
    const b = await RawClient.connect(t.port);
    assert.equal(await a.call("CLIENT", "GETNAME"), NULL_BULK);
    assert.equal(await a.call("CLIENT", "SETNAME", "worker-1"), simple("OK"));
    assert.equal(await a.call("CLIENT", "GETNAME"), bulk("worker-1"));
    assert.equal(
      await a.call("CLIENT", "SETNAME", "bad name"),
      error("ERR Client names cannot contain spaces, newlines or special characters."),
    );
    const list = await a.call("CLIENT", "LIST");
    assert.match(list, /name=worker-1 /);
    const bId = Number(/^:(\d+)\r\n$/.exec(await b.call("CLIENT", "ID"))![1]);
    assert.equal(await a.call("CLIENT", "KILL", "ID", bId), int(1));
    await b.closed();
    assert.equal(await a.call("CLIENT", "KILL", "10.0.0.1:1"), error("ERR No such client"));
    a.close();
  });

  it("TIME and CLUSTER answer for one node", async () => {
    const c = await RawClient.connect(t.port);
    const reply = await c.call("TIME");
    const match = /^\*2\r\n\$\d+\r\n(\d+)\r\n\$\d+\r\n(\d+)\r\n$/.exec(reply);
    assert.ok(match, reply);
    assert.ok(Math.abs(Number(match[1]) - Date.now() / 1000) < 5);
    const id = t.server.engine.nodeId;
    assert.equal(await c.call("CLUSTER", "MYID"), bulk(id));
    assert.match(await c.call("CLUSTER", "INFO"), /cluster_known_nodes:1/);
    assert.match(await c.call("CLUSTER", "NODES"), new RegExp(`${id} :${t.port} myself`));
    c.close();
  });

  it("QUIT answers OK and closes", async () => {
    const c = await RawClient.connect(t.port);
    assert.equal(await c.call("QUIT"), simple("OK"));
    await c.closed();
  });

  it("a protocol error is answered, then the connection is closed; the server keeps serving", async () => {
    const c = await RawClient.connect(t.port);
    c.write("*1\r\n$abc\r\n");
    assert.equal(await c.reply(), error("ERR Protocol error: invalid bulk length"));
    await c.closed();
    const d = await RawClient.connect(t.port);
    d.write(`${"x".repeat(70 * 1024)}`);
    assert.equal(await d.reply(), error("ERR Protocol error: too big inline request"));
    await d.closed();
    const e = await RawClient.connect(t.port);
    assert.equal(await e.call("PING"), simple("PONG"));
    e.close();
  });
});

describe("AUTH", () => {
  let t: TestServer;
  before(async () => {
    t = await testServer({ requirePass: "s3cret" });
  });
  after(async () => {
    await t.close();
  });

  it("every command but AUTH needs the password first", async () => {
    const c = await RawClient.connect(t.port);
    assert.equal(await c.call("PING"), error("NOAUTH Authentication required."));
    assert.equal(await c.call("ADDJOB", "q", "x", 0), error("NOAUTH Authentication required."));
    assert.equal(await c.call("AUTH", "wrong"), error("ERR invalid password"));
    assert.equal(await c.call("AUTH", "s3cret"), simple("OK"));
    assert.equal(await c.call("PING"), simple("PONG"));
    c.close();
  });

  it("AUTH without a configured password is an error", async () => {
    const open = await testServer();
    const c = await RawClient.connect(open.port);
    assert.equal(await c.call("AUTH", "x"), error("ERR Client sent AUTH, but no password is set"));
    c.close();
    await open.close();
  });
});

describe("limits", () => {
  it("max clients: the connection over the limit is refused with an error", async () => {
    const t = await testServer({ maxClients: 2 });
    const a = await RawClient.connect(t.port);
    const b = await RawClient.connect(t.port);
    assert.equal(await a.call("PING"), simple("PONG"));
    const c = await RawClient.connect(t.port);
    assert.equal(await c.reply(), error("ERR max number of clients reached"));
    await c.closed();
    assert.equal(await b.call("PING"), simple("PONG"));
    a.close();
    b.close();
    await t.close();
  });

  it("SHUTDOWN closes the server", async () => {
    const t = await testServer();
    let stopped = false;
    t.server.onShutdown(() => {
      stopped = true;
    });
    const c = await RawClient.connect(t.port);
    c.send("SHUTDOWN");
    await c.closed();
    await waitFor(() => stopped);
  });
});
