import assert from "node:assert/strict";
import { connect, type Socket } from "node:net";
import { after, afterEach, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import { Redis } from "ioredis";
import { CommandTable, type CommandSpec } from "../../src/doors/resp/command.js";
import { OK, SimpleString, err, type Reply } from "../../src/doors/resp/transport/reply.js";
import { RespServer, type RespClient, type ServerLimits } from "../../src/doors/resp/transport/server.js";
import { RawClient } from "../helpers/raw-client.js";

interface Ctx {
  client: RespClient;
}

/** What the handlers saw, in order, for assertions about processing. */
let calls: string[] = [];
let password: string | undefined;
const closedClients: number[] = [];

function spec(
  name: string,
  arity: number,
  flags: CommandSpec<Ctx>["flags"],
  handler: CommandSpec<Ctx>["handler"],
): CommandSpec<Ctx> {
  return { name, arity, flags, group: "test", summary: `test ${name}`, syntax: name.toUpperCase(), handler };
}

const str = (b: Buffer | undefined): string => (b ?? Buffer.alloc(0)).toString();

function delayed<T>(ms: number, value: T): Promise<T> {
  return new Promise((resolve) => setTimeout(() => resolve(value), ms));
}

const table = new CommandTable<Ctx>([
  spec("ping", -1, ["fast"], (_ctx, args) => {
    calls.push("ping");
    return args.length > 1 ? args.at(1)! : new SimpleString("PONG");
  }),
  spec("echo", 2, ["fast"], (_ctx, args) => {
    calls.push(`echo ${str(args.at(1))}`);
    return args.at(1)!;
  }),
  // blocking: later requests of the same client wait
  spec("slow", 3, ["blocking"], (_ctx, args) => {
    calls.push(`slow ${str(args.at(2))}`);
    return delayed(Number(str(args.at(1))), str(args.at(2)));
  }),
  // async but not blocking: later requests run, their replies wait
  spec("delay", 3, [], (_ctx, args) => {
    calls.push(`delay ${str(args.at(2))}`);
    return delayed(Number(str(args.at(1))), str(args.at(2)));
  }),
  // blocks until the client goes away
  spec("forever", 1, ["blocking"], (ctx) => {
    calls.push("forever");
    return new Promise<Reply>((resolve) =>
      ctx.client.onClose(() => {
        closedClients.push(ctx.client.id);
        resolve(null);
      }),
    );
  }),
  spec("set", 3, ["write"], (_ctx, args) => {
    calls.push(`set ${str(args.at(1))}`);
    return OK;
  }),
  spec("asyncset", 3, ["write"], async (_ctx, args) => {
    calls.push(`asyncset ${str(args.at(1))}`);
    await sleep(5);
    return OK;
  }),
  spec("big", 2, ["readonly"], (_ctx, args) => Buffer.alloc(Number(str(args.at(1))), 0x62)),
  spec("boom", 1, [], () => {
    throw new Error("kaboom");
  }),
  spec("reject", 1, [], () => Promise.reject(new Error("nope"))),
  spec("mixed", 1, [], () => [1, "two", null, [3n, new SimpleString("four")], err("FIVE five")]),
  spec("auth", 2, ["noauth", "fast"], (ctx, args) => {
    if (str(args.at(1)) !== password) return err("ERR invalid password");
    ctx.client.authenticated = true;
    return OK;
  }),
  spec("quit", 1, ["noauth", "fast"], (ctx) => {
    ctx.client.closeAfterReply();
    return OK;
  }),
  spec("whoami", 1, [], (ctx) => ctx.client.id),
]);

interface Started {
  server: RespServer<Ctx>;
  port: number;
  warnings: string[];
  errors: string[];
}

const servers: RespServer<Ctx>[] = [];
const clients: RawClient[] = [];

async function start(limits: Partial<ServerLimits> = {}): Promise<Started> {
  const warnings: string[] = [];
  const errors: string[] = [];
  const server = new RespServer<Ctx>({
    port: 0,
    host: "127.0.0.1",
    table,
    makeContext: (client) => ({ client }),
    limits,
    requirePassword: () => password,
    logger: {
      info() {},
      warn: (_obj, msg) => warnings.push(msg ?? ""),
      error: (_obj, msg) => errors.push(msg ?? ""),
    },
  });
  servers.push(server);
  const { port } = await server.listen();
  return { server, port, warnings, errors };
}

async function client(port: number): Promise<RawClient> {
  const c = await RawClient.connect(port);
  clients.push(c);
  return c;
}

function cmd(...args: string[]): string {
  return `*${args.length}\r\n` + args.map((a) => `$${Buffer.byteLength(a)}\r\n${a}\r\n`).join("");
}

async function waitFor(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
}

/** Everything a raw socket receives until the server closes it. */
function collectUntilClosed(socket: Socket): Promise<string> {
  return new Promise((resolve) => {
    let data = "";
    socket.on("data", (chunk: Buffer) => (data += chunk.toString("latin1")));
    socket.on("error", () => {});
    socket.on("close", () => resolve(data));
  });
}

function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: "127.0.0.1" }, () => resolve(socket));
    socket.once("error", reject);
  });
}

describe("RespServer", () => {
  afterEach(async () => {
    for (const c of clients.splice(0)) c.close();
    await Promise.all(servers.splice(0).map((s) => s.close()));
    calls = [];
    password = undefined;
  });
  after(() => {
    assert.equal(servers.length, 0);
  });

  it("answers multibulk and inline requests with exact bytes", async () => {
    const { port } = await start();
    const c = await client(port);
    assert.equal(await c.call("PING"), "+PONG\r\n");
    assert.equal(await c.call("ping", "hi"), "$2\r\nhi\r\n");
    c.write('ECHO "a b\\x21"\r\n');
    assert.equal(await c.reply(), "$4\r\na b!\r\n");
    c.write("\r\n\r\nPiNg\n");
    assert.equal(await c.reply(), "+PONG\r\n");
    assert.equal(
      await c.call("MIXED"),
      "*5\r\n:1\r\n$3\r\ntwo\r\n$-1\r\n*2\r\n:3\r\n+four\r\n-FIVE five\r\n",
    );
  });

  it("answers unknown commands and wrong arity byte-exact", async () => {
    const { port, server } = await start();
    const c = await client(port);
    assert.equal(await c.call("FOO"), "-ERR unknown command 'FOO'\r\n");
    assert.equal(await c.call("fOo", "bar"), "-ERR unknown command 'fOo'\r\n");
    assert.equal(await c.call("ECHO"), "-ERR wrong number of arguments for 'echo' command\r\n");
    assert.equal(await c.call("Echo", "a", "b"), "-ERR wrong number of arguments for 'echo' command\r\n");
    assert.equal(await c.call("SLOW", "1"), "-ERR wrong number of arguments for 'slow' command\r\n");
    // a name with CR LF cannot break the reply framing
    assert.equal(await c.call("a\r\nb"), "-ERR unknown command 'a  b'\r\n");
    assert.equal(await c.call("PING"), "+PONG\r\n");
    // only commands that reached their handler are counted
    assert.equal(server.stats.commandsProcessed, 1);
    assert.equal(server.stats.connectionsReceived, 1);
  });

  it("keeps reply order under pipelining with mixed sync and async replies", async () => {
    const { port } = await start();
    const c = await client(port);
    c.write(
      cmd("DELAY", "60", "a") +
        cmd("PING") +
        cmd("DELAY", "10", "b") +
        cmd("ECHO", "c") +
        cmd("SET", "k", "v") +
        cmd("ASYNCSET", "k2", "v") +
        cmd("ECHO", "d"),
    );
    const replies: string[] = [];
    for (let i = 0; i < 7; i++) replies.push(await c.reply());
    assert.deepEqual(replies, [
      "$1\r\na\r\n",
      "+PONG\r\n",
      "$1\r\nb\r\n",
      "$1\r\nc\r\n",
      "+OK\r\n",
      "+OK\r\n",
      "$1\r\nd\r\n",
    ]);
    // non-blocking async commands do not stop processing: everything ran at once
    assert.deepEqual(calls, ["delay a", "ping", "delay b", "echo c", "set k", "asyncset k2", "echo d"]);
  });

  it("answers a long pipeline completely and in order", async () => {
    const { port } = await start();
    const c = await client(port);
    let input = "";
    let expected = "";
    for (let i = 0; i < 5000; i++) {
      input += i % 3 === 0 ? `ECHO ${i}\r\n` : cmd("ECHO", String(i));
      expected += `$${String(i).length}\r\n${i}\r\n`;
    }
    c.write(input);
    let got = "";
    while (got.length < expected.length) got += await c.reply();
    assert.equal(got, expected);
  });

  it("stops processing a client's requests while a blocking command waits", async () => {
    const { port, server } = await start();
    const c = await client(port);
    const other = await client(port);
    c.write(cmd("SLOW", "150", "done") + cmd("ECHO", "after"));
    await waitFor(() => calls.includes("slow done"), "slow to start");
    await sleep(50);
    assert.deepEqual(calls, ["slow done"], "ECHO waits for the blocking command");
    const blocked = [...server.clients()].filter((cl) => cl.blocked);
    assert.equal(blocked.length, 1);
    // other clients are served meanwhile
    assert.equal(await other.call("PING"), "+PONG\r\n");
    assert.equal(await c.reply(), "$4\r\ndone\r\n");
    assert.equal(await c.reply(), "$5\r\nafter\r\n");
    assert.deepEqual(calls, ["slow done", "ping", "echo after"]);
    assert.ok([...server.clients()].every((cl) => !cl.blocked));
  });

  it("runs onClose callbacks when a blocked client goes away", async () => {
    const { port, server } = await start();
    const c = await client(port);
    const id = Number((await c.call("WHOAMI")).slice(1, -2));
    c.send("FOREVER");
    await waitFor(() => calls.includes("forever"), "forever to start");
    assert.ok([...server.clients()].some((cl) => cl.id === id && cl.blocked));
    c.close();
    await waitFor(() => closedClients.includes(id), "onClose callback");
    await waitFor(() => [...server.clients()].length === 0, "client to be forgotten");
  });

  it("drops a blocked client that half-closes, answers one that is not blocked", async () => {
    const { port } = await start();
    const s1 = await rawSocket(port);
    const all1 = collectUntilClosed(s1);
    s1.end(cmd("PING") + cmd("DELAY", "30", "x") + "ECHO bye\r\n");
    assert.equal(await all1, "+PONG\r\n$1\r\nx\r\n$3\r\nbye\r\n");

    const s2 = await rawSocket(port);
    const all2 = collectUntilClosed(s2);
    s2.write(cmd("FOREVER"));
    await waitFor(() => calls.includes("forever"), "forever to start");
    s2.end();
    assert.equal(await all2, "");
  });

  it("requires AUTH when a password is set", async () => {
    const { port } = await start();
    password = "s3cret";
    const c = await client(port);
    assert.equal(await c.call("PING"), "-NOAUTH Authentication required.\r\n");
    assert.equal(await c.call("ECHO", "x"), "-NOAUTH Authentication required.\r\n");
    assert.equal(await c.call("AUTH", "wrong"), "-ERR invalid password\r\n");
    assert.equal(await c.call("PING"), "-NOAUTH Authentication required.\r\n");
    assert.equal(await c.call("AUTH", "s3cret"), "+OK\r\n");
    assert.equal(await c.call("PING"), "+PONG\r\n");
    // an empty password means none
    password = "";
    const d = await client(port);
    assert.equal(await d.call("PING"), "+PONG\r\n");
  });

  it("answers a protocol error, then closes the connection", async () => {
    const { port, server } = await start();
    for (const [bad, error] of [
      ["*1\r\n$x\r\n", "-ERR Protocol error: invalid bulk length\r\n"],
      ["*abc\r\n", "-ERR Protocol error: invalid multibulk length\r\n"],
      ["*1\r\n:1\r\n", "-ERR Protocol error: expected '$', got ':'\r\n"],
      ['ECHO "x\r\n', "-ERR Protocol error: unbalanced quotes in request\r\n"],
      ["x".repeat(70 * 1024), "-ERR Protocol error: too big inline request\r\n"],
    ]) {
      const socket = await rawSocket(port);
      const all = collectUntilClosed(socket);
      socket.write(cmd("PING") + bad + cmd("ECHO", "never"));
      assert.equal(await all, "+PONG\r\n" + error);
    }
    assert.ok(!calls.includes("echo never"));
    // the server is fine
    const c = await client(port);
    assert.equal(await c.call("PING"), "+PONG\r\n");
    await waitFor(() => [...server.clients()].length === 1, "closed clients to be forgotten");
  });

  it("closes after QUIT's reply and ignores what follows", async () => {
    const { port } = await start();
    const socket = await rawSocket(port);
    const all = collectUntilClosed(socket);
    socket.write(cmd("DELAY", "20", "x") + cmd("QUIT") + cmd("ECHO", "never"));
    assert.equal(await all, "$1\r\nx\r\n+OK\r\n");
    assert.ok(!calls.includes("echo never"));
  });

  it("answers every connection served in one turn, and ends those that sent QUIT (replies leave at the turn's end)", async () => {
    const { port } = await start();
    const sockets = await Promise.all(Array.from({ length: 40 }, () => rawSocket(port)));
    const replies = sockets.map((socket) => collectUntilClosed(socket));
    // all written at once: the server reads many of them in the same turn
    sockets.forEach((socket, i) => socket.write(cmd("ECHO", `n${i}`) + cmd("PING") + cmd("QUIT")));
    const got = await Promise.all(replies);
    got.forEach((bytes, i) => assert.equal(bytes, `$${`n${i}`.length}\r\nn${i}\r\n+PONG\r\n+OK\r\n`));
  });

  it("answers -ERR when a handler throws or rejects, and keeps the connection", async () => {
    const { port, errors } = await start();
    const c = await client(port);
    assert.equal(await c.call("BOOM"), "-ERR kaboom\r\n");
    assert.equal(await c.call("REJECT"), "-ERR nope\r\n");
    assert.equal(await c.call("PING"), "+PONG\r\n");
    assert.equal(errors.length, 2, "both failures are logged");
  });

  it("refuses clients beyond maxClients", async () => {
    const { port, server } = await start({ maxClients: 2 });
    const a = await client(port);
    const b = await client(port);
    assert.equal(await a.call("PING"), "+PONG\r\n");
    assert.equal(await b.call("PING"), "+PONG\r\n");
    const third = await rawSocket(port);
    assert.equal(await collectUntilClosed(third), "-ERR max number of clients reached\r\n");
    assert.equal(server.stats.rejectedConnections, 1);
    a.close();
    await waitFor(() => [...server.clients()].length === 1, "a to go");
    const d = await client(port);
    assert.equal(await d.call("PING"), "+PONG\r\n");
  });

  it("disconnects a client that does not read its output beyond maxOutputBytes", async () => {
    const { port, server, warnings } = await start({ maxOutputBytes: 1024 * 1024 });
    const reader = await client(port);
    const socket = await rawSocket(port);
    socket.on("error", () => {});
    socket.pause(); // never reads
    const request = cmd("BIG", String(256 * 1024));
    for (let i = 0; i < 200; i++) socket.write(request); // 50 MiB of replies asked for
    await waitFor(() => warnings.some((w) => w.includes("output limit")), "the output limit warning");
    await waitFor(() => [...server.clients()].length === 1, "the slow reader to be disconnected");
    // a client that reads is not affected
    const reply = await reader.call("BIG", String(512 * 1024));
    assert.equal(reply.length, 512 * 1024 + 11);
    socket.destroy();
  });

  it("pauses a blocked client's input beyond a bound and resumes it afterwards", async () => {
    const { port } = await start();
    const c = await client(port);
    c.send("SLOW", "100", "s");
    let input = "";
    for (let i = 0; i < 3000; i++) input += cmd("ECHO", "x".repeat(1000)); // ~3 MiB
    c.write(input);
    assert.equal(await c.reply(), "$1\r\ns\r\n");
    for (let i = 0; i < 3000; i++) assert.equal(await c.reply(), `$1000\r\n${"x".repeat(1000)}\r\n`);
  });

  it("tracks per-client state for CLIENT LIST", async () => {
    const { port, server } = await start();
    const c = await client(port);
    await c.call("ECHO", "x");
    const [info] = [...server.clients()];
    assert.ok(info);
    assert.match(info.addr, /^127\.0\.0\.1:\d+$/);
    assert.equal(info.laddr, `127.0.0.1:${port}`);
    assert.equal(info.lastCommand, "echo");
    assert.ok(info.lastCommandAt >= info.createdAt);
    assert.equal(info.outputBytes(), 0);
    assert.equal(info.closed, false);
    info.kill();
    await c.closed();
    assert.equal(info.closed, true);
  });

  it("works with ioredis call()", async () => {
    const { port } = await start();
    const redis = new Redis({
      port,
      host: "127.0.0.1",
      lazyConnect: true,
      enableReadyCheck: false,
      maxRetriesPerRequest: 0,
    });
    try {
      await redis.connect();
      assert.equal(await redis.call("PING"), "PONG");
      assert.equal(await redis.call("ECHO", "héllo"), "héllo");
      assert.equal(await redis.call("SLOW", "10", "later"), "later");
      const mixed = (await redis.call("MIXED")) as unknown[];
      assert.deepEqual(mixed.slice(0, 4), [1, "two", null, [3, "four"]]);
      assert.ok(mixed[4] instanceof Error && mixed[4].message === "FIVE five");
      await assert.rejects(redis.call("NOPE"), /ERR unknown command 'NOPE'/);
      await assert.rejects(redis.call("BOOM"), /ERR kaboom/);
      const results = await Promise.all(
        Array.from({ length: 100 }, (_, i) => redis.call("DELAY", String(100 - i), String(i))),
      );
      assert.deepEqual(
        results,
        Array.from({ length: 100 }, (_, i) => String(i)),
      );
    } finally {
      redis.disconnect();
    }
  });

  it("close() ends clients and stops accepting", async () => {
    const { port, server } = await start();
    const c = await client(port);
    assert.equal(await c.call("PING"), "+PONG\r\n");
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await c.closed();
    await assert.rejects(RawClient.connect(port));
  });
});
