import assert from "node:assert/strict";
import { connect } from "node:net";
import { after, before, describe, it } from "node:test";
import { RawClient, array, bulk, error, int, simple } from "../helpers/raw-client.js";
import { startRedis, uniquePrefix, type RedisProcess } from "../helpers/redis.js";
import { testServer, type TestServer } from "../helpers/server.js";

/**
 * MONITOR, SLOWLOG and BGREWRITEAOF over real sockets: what Disque shows,
 * minus passwords, within the output bounds every client has. (Their plain
 * replies are compared with a real Disque in differential-disque.test.ts.)
 */

const MONITOR_LINE = /^\+\d+\.\d{6} \[127\.0\.0\.1:\d+\] (.*)\r\n$/;

async function persistenceField(c: RawClient, field: string): Promise<number> {
  const info = await c.call("INFO", "persistence");
  const match = new RegExp(`\\r\\n${field}:(\\d+)\\r\\n`).exec(info);
  assert.ok(match, `${field} in ${info}`);
  return Number(match[1]);
}

describe("MONITOR, SLOWLOG, BGREWRITEAOF", () => {
  let t: TestServer;
  let c: RawClient;

  before(async () => {
    t = await testServer();
    c = await RawClient.connect(t.port);
  });
  after(async () => {
    c.close();
    await t.close();
  });

  it("MONITOR shows each command as Disque quotes it, before its reply; passwords are redacted", async () => {
    const monitor = await RawClient.connect(t.port);
    assert.equal(await monitor.call("MONITOR"), simple("OK"));
    await c.call("ADDJOB", "q", 'a b"\n\x01\\', "0");
    assert.match(await monitor.reply(), MONITOR_LINE);
    await c.call("AUTH", "hunter2");
    await c.call("CONFIG", "SET", "requirepass", "s3cret");
    await c.call("AUTH", "s3cret");
    await c.call("CONFIG", "SET", "requirepass", "");
    await c.call("QLEN"); // an arity error runs nothing: not shown
    await c.call("PING");
    const lines: string[] = [];
    for (let i = 0; i < 5; i++) lines.push(MONITOR_LINE.exec(await monitor.reply())![1]!);
    assert.deepEqual(lines, [
      '"AUTH" "(redacted)"',
      '"CONFIG" "SET" "requirepass" "(redacted)"',
      '"AUTH" "(redacted)"',
      '"CONFIG" "SET" "requirepass" "(redacted)"',
      '"PING"',
    ]);
    // the quoting, from a fresh line
    await c.call("ECHO-NOT-A-COMMAND");
    await c.call("QLEN", 'a b"\n\x01\\');
    assert.equal(MONITOR_LINE.exec(await monitor.reply())![1], '"QLEN" "a b\\"\\n\\x01\\\\"');
    monitor.close();
  });

  it("a MONITOR that does not read is disconnected at the client output limit", async () => {
    await c.call("CONFIG", "SET", "client-output-limit", String(256 * 1024));
    const monitor = connect({ port: t.port, host: "127.0.0.1" });
    monitor.on("error", () => {});
    await new Promise<void>((resolve) => monitor.once("connect", () => resolve()));
    monitor.write("*1\r\n$7\r\nMONITOR\r\n");
    const clients = () => [...t.server.clients()].length;
    while (clients() < 2) await new Promise((resolve) => setTimeout(resolve, 5));
    monitor.pause(); // reads nothing more: its lines pile up in the server
    const body = "x".repeat(64 * 1024);
    for (let i = 0; i < 2000 && clients() === 2; i++) await c.call("QLEN", body);
    assert.equal(clients(), 1, "the monitor was disconnected");
    monitor.destroy();
    assert.equal(await c.call("PING"), simple("PONG"));
    await c.call("CONFIG", "SET", "client-output-limit", String(64 * 1024 * 1024));
  });

  it("SLOWLOG keeps the commands over the threshold, newest first, bounded, passwords redacted", async () => {
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "0");
    await c.call("SLOWLOG", "RESET");
    await c.call("AUTH", "hunter2");
    await c.call("QLEN", "y".repeat(200));
    const args = Array.from({ length: 40 }, (_, i) => `id${i}`);
    await c.call("ACKJOB", ...args);
    const entries = await c.call("SLOWLOG", "GET", "3");
    const kept = [...args.slice(0, 30), "... (10 more arguments)"];
    assert.ok(
      entries.includes(array(...["ACKJOB", ...kept].map((arg) => bulk(arg)))),
      `the ACKJOB entry keeps 32 arguments: ${entries}`,
    );
    assert.ok(entries.includes(array(bulk("QLEN"), bulk(`${"y".repeat(128)}... (72 more bytes)`))));
    assert.ok(entries.includes(array(bulk("AUTH"), bulk("(redacted)"))));
    assert.ok(!entries.includes("hunter2"));
    await c.call("CONFIG", "SET", "slowlog-max-len", "2");
    assert.equal(await c.call("SLOWLOG", "LEN"), int(2));
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "-1");
    await c.call("SLOWLOG", "RESET");
    await c.call("PING");
    assert.equal(await c.call("SLOWLOG", "LEN"), int(0));
    assert.equal(
      await c.call("CONFIG", "SET", "slowlog-max-len", "-1"),
      error("ERR Invalid argument '-1' for CONFIG SET"),
    );
    await c.call("CONFIG", "SET", "slowlog-log-slower-than", "10000");
    await c.call("CONFIG", "SET", "slowlog-max-len", "128");
  });

  it("BGREWRITEAOF compacts the journal", async () => {
    await c.call("ADDJOB", "q", "kept", "0");
    const before = await persistenceField(c, "aof_rewrites");
    assert.equal(await c.call("BGREWRITEAOF"), simple("Background append only file rewriting started"));
    const deadline = Date.now() + 10_000;
    while ((await persistenceField(c, "aof_rewrites")) === before && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.equal(await persistenceField(c, "aof_rewrites"), before + 1);
  });
});

describe("BGREWRITEAOF on the Redis store", () => {
  let redis: RedisProcess;
  let t: TestServer;

  before(async () => {
    redis = await startRedis();
    t = await testServer({ redis: [redis.url], redisPrefix: uniquePrefix("ops") });
  });
  after(async () => {
    await t?.close();
    await redis?.stop();
  });

  it("is an error: there is no journal to rewrite", async () => {
    const c = await RawClient.connect(t.port);
    assert.equal(
      await c.call("BGREWRITEAOF"),
      error("ERR BGREWRITEAOF: the Redis store has no journal to rewrite (Redis keeps its own persistence)"),
    );
    c.close();
  });
});
