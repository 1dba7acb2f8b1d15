import assert from "node:assert/strict";
import type { Socket } from "node:net";
import { Redis } from "ioredis";
import { after, before, describe, it } from "node:test";
import { TaskqClient } from "../dialects/taskq-client.js";
import { openSocket } from "../helpers/byte-socket.js";
import { http } from "../helpers/http.js";
import { RawClient } from "../helpers/raw-client.js";
import { testServer, type TestServer } from "../helpers/server.js";
import { waitFor } from "../helpers/wait.js";

/** The server-wide memory bound (--maxmemory): issue 11, finding 4. */

const OOM = "-OOM command not allowed when used memory > 'maxmemory'.\r\n";
const MIB = 1024 * 1024;

/** INFO's `field:value` as a number. */
async function infoField(c: RawClient, field: string): Promise<number> {
  const info = await c.call("INFO");
  const match = new RegExp(`\\r\\n${field}:([0-9]+)\\r\\n`).exec(info);
  assert.ok(match, `INFO lacks ${field}`);
  return Number(match[1]);
}

/** Adds `body` to `queue` until the server answers -OOM; returns how many were added. */
async function fillToBound(c: RawClient, queue: string, body: Buffer, most = 100): Promise<number> {
  for (let added = 0; added < most; added++) {
    const reply = await c.call("ADDJOB", queue, body, 0);
    if (reply.startsWith("-")) {
      assert.equal(reply, OOM);
      return added;
    }
  }
  assert.fail(`no OOM after ${most} jobs`);
}

/**
 * Fills the store until the 2 MiB bound refuses an add, then lowers the bound under the job
 * data alone: the request being read counts too (the server holds it), so a smaller add might
 * still have fit. `restore` puts the bound back and empties the store.
 */
async function overTheBound(c: RawClient, queue: string): Promise<number> {
  const added = await fillToBound(c, queue, Buffer.alloc(200 * 1024, 7));
  assert.equal(await c.call("CONFIG", "SET", "maxmemory", "1mb"), "+OK\r\n");
  return added;
}

async function restore(c: RawClient): Promise<void> {
  assert.equal(await c.call("CONFIG", "SET", "maxmemory", "2mb"), "+OK\r\n");
  await c.call("DEBUG", "FLUSHALL");
}

describe("maxmemory: writes that add data are refused above the bound", () => {
  let t: TestServer;
  let c: RawClient;
  let redis: Redis;
  before(async () => {
    t = await testServer({ maxMemory: 2 * MIB, taskqPort: 0 });
    c = await RawClient.connect(t.port);
    redis = new Redis({ port: t.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
    await redis.connect();
  });
  after(async () => {
    c.close();
    redis.disconnect();
    await t.close();
  });

  it("answers ADDJOB with Disque's -OOM and changes neither the engine nor the journal; GETJOB and ACKJOB drain", async () => {
    const added = await overTheBound(c, "full");
    assert.ok(added >= 5 && added <= 11, `${added} jobs of 200 KiB under 2 MiB`);
    const jobs = t.server.engine.jobCount();
    const journalBytes = t.server.journal!.info().journal_bytes;
    for (const command of [
      ["ADDJOB", "full", "x", "0"],
      ["ADDJOB", "other", "x", "0"],
      ["QLPUSH", "full", "e1", "x"],
      ["QRPUSH", "full", "e2", "x"],
      ["ADD", "full", "3", "x"],
    ]) {
      assert.equal(await c.call(...command), OOM, command.join(" "));
    }
    assert.equal(t.server.engine.jobCount(), jobs);
    assert.equal(t.server.journal!.info().journal_bytes, journalBytes);
    assert.equal(await c.call("QLEN", "full"), `:${added}\r\n`);
    assert.ok((await infoField(c, "used_memory")) > MIB);

    // reads, fetches and acks still work, so the queue can drain
    for (let i = 0; i < added; i++) {
      const jobs = (await redis.call("GETJOB", "NOHANG", "FROM", "full")) as string[][];
      assert.equal(await redis.call(i % 2 === 0 ? "ACKJOB" : "DELJOB", jobs[0]![1]!), 1);
    }
    assert.match(await c.call("ADDJOB", "full", "x", 0), /^\+D-/);
    assert.ok((await infoField(c, "used_memory")) < MIB);
    await restore(c);
  });

  it("COMMAND shows denyoom; CONFIG GET/SET maxmemory; INFO reports the bound; 0 means none", async () => {
    assert.match(await c.call("COMMAND", "INFO", "qlpush"), /\+write\r\n\+denyoom\r\n/);
    assert.equal(await c.call("CONFIG", "GET", "maxmemory"), `*2\r\n$9\r\nmaxmemory\r\n$7\r\n${2 * MIB}\r\n`);
    assert.equal(await infoField(c, "maxmemory"), 2 * MIB);
    assert.match(await c.call("INFO", "memory"), /\r\nmaxmemory_human:2\.00M\r\n/);
    assert.match(await c.call("CONFIG", "SET", "maxmemory", "lots"), /^-ERR Invalid argument/);

    assert.equal(await c.call("CONFIG", "SET", "maxmemory", "100kb"), "+OK\r\n");
    assert.equal(await infoField(c, "maxmemory"), 100 * 1024);
    await fillToBound(c, "cfg", Buffer.alloc(30 * 1024));
    assert.equal(await c.call("CONFIG", "SET", "maxmemory", "0"), "+OK\r\n");
    assert.match(await c.call("ADDJOB", "cfg", "x", 0), /^\+D-/);
    assert.equal(await c.call("CONFIG", "SET", "maxmemory", String(2 * MIB)), "+OK\r\n");
    await c.call("DEBUG", "FLUSHALL");
  });

  it("HTTP answers 507 with a JSON error for adds; reads still work", async () => {
    await overTheBound(c, "web");
    const add = await http(t.url, "POST", "/v1/queues/web/jobs", { json: { hello: "world" } });
    assert.equal(add.status, 507);
    assert.deepEqual(add.json, {
      error: { code: "OOM", message: "command not allowed when used memory > 'maxmemory'." },
    });
    assert.equal((await http(t.url, "POST", "/enqueue/web", { json: { content: "x" } })).status, 507);
    assert.equal((await http(t.url, "POST", "/apps/taskq/web/tasks", { raw: "x" })).status, 507);
    assert.equal((await http(t.url, "GET", "/v1/queues/web")).status, 200);
    await restore(c);
  });

  it("counts HTTP request bodies in flight until the request ends", async () => {
    const socket = await openSocket(t.httpPort);
    socket.on("error", () => {});
    socket.write(
      "POST /v1/queues/up/jobs HTTP/1.1\r\nHost: x\r\nContent-Type: application/octet-stream\r\n" +
        `Content-Length: ${MIB / 2}\r\n\r\nabc`,
    );
    await waitFor(async () => (await infoField(c, "used_memory_clients")) >= MIB / 2);
    socket.destroy();
    await waitFor(async () => (await infoField(c, "used_memory_clients")) < 1024);
  });

  it("TaskQ answers enq with RID error OOM; deq still works", async () => {
    await overTheBound(c, "tq");
    const q = await TaskqClient.connect(t.server.config.taskqPort!);
    q.socket.write("7 enq tq 0 hello\n");
    const refused = "7 error OOM command not allowed when used memory > 'maxmemory'.\n";
    assert.equal(await q.expect(refused), refused);
    q.socket.write("8 deq tq\n");
    assert.match(await q.read(11), /^8 deqed tq $/);
    q.close();
    await restore(c);
  });
});

describe("maxmemory: client buffers", () => {
  it("drops the slow readers holding the most instead of growing past the bound", async () => {
    const t = await testServer({ maxMemory: 48 * MIB, http: false });
    try {
      const c = await RawClient.connect(t.port);
      for (let i = 0; i < 4; i++) await c.call("ADDJOB", "big", Buffer.alloc(MIB, 65 + i), 0);
      // QPEEK big 4 answers 4 MiB. Three slow readers pipeline 2 each, then one pipelines 12
      // (48 MiB: under the per-client output limit); none reads. 72 MiB wanted in all.
      const peek = "*3\r\n$5\r\nQPEEK\r\n$3\r\nbig\r\n$1\r\n4\r\n";
      const readers: Socket[] = [];
      for (const peeks of [2, 2, 2, 12]) {
        const socket = await openSocket(t.port);
        socket.on("error", () => {});
        socket.pause();
        readers.push(socket);
        socket.write(peek.repeat(peeks));
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      // a paused socket does not notice its close: ask the server who is still there
      let list = "";
      const there = (socket: Socket) => list.includes(`addr=127.0.0.1:${socket.localPort} `);
      await waitFor(async () => {
        list = await c.call("CLIENT", "LIST");
        return !there(readers[3]!);
      }).catch(() => assert.fail("the reader holding the most was not dropped"));
      assert.ok(readers.slice(0, 3).every(there), "the others were kept");
      assert.equal(await infoField(c, "evicted_clients"), 1);
      const used = await infoField(c, "used_memory");
      assert.ok(used <= 48 * MIB, `used_memory ${used} over the bound`);
      assert.equal(await c.call("PING"), "+PONG\r\n");
      for (const socket of readers) socket.destroy();
      c.close();
    } finally {
      await t.close();
    }
  });

  it("counts a half-sent request's arguments compactly: 100 clients trickling *1048576 hold little", async () => {
    const t = await testServer({ http: false });
    const sockets: Socket[] = [];
    try {
      const c = await RawClient.connect(t.port);
      const heapBefore = process.memoryUsage().heapUsed;
      const args = 20_000;
      for (let i = 0; i < 100; i++) {
        const socket = await openSocket(t.port);
        socket.on("error", () => {});
        sockets.push(socket);
        socket.write(`*1048576\r\n${"$1\r\na\r\n".repeat(args)}`);
      }
      // once the kernel has every byte, give the server time to read them
      await waitFor(() => sockets.every((socket) => socket.writableLength === 0), 10_000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      // as Buffer objects the 2 million arguments would take ~200 MiB of heap
      const grown = process.memoryUsage().heapUsed - heapBefore;
      assert.ok(grown < 100 * MIB, `heap grew ${Math.round(grown / MIB)} MiB`);
      // every byte sent is held by the server, and counted
      assert.ok((await infoField(c, "used_memory_clients")) >= 100 * args * 7);
      c.close();
    } finally {
      for (const socket of sockets) socket.destroy();
      await t.close();
    }
  });
});
