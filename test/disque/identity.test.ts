import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import { assertCliRefuses, spawnServer, type ServerProcess } from "../helpers/process.js";
import { RawClient, bulk, int } from "../helpers/raw-client.js";
import { dataDirs } from "../helpers/server.js";

/**
 * Disque keeps its node id in its data directory: a restarted node comes
 * back as itself, so the job ids it gave out (they carry the id's first 8
 * hex digits) and SHOW's nodes-delivered still name it (DISQUE.md §6).
 */

const newDir = dataDirs();

async function kill9(server: ServerProcess): Promise<void> {
  server.child.kill("SIGKILL");
  await server.exited;
}

async function myId(port: number): Promise<string> {
  const client = await RawClient.connect(port);
  try {
    const reply = await client.call("CLUSTER", "MYID");
    assert.match(reply, /^\$40\r\n[0-9a-f]{40}\r\n$/);
    return reply.slice(5, 45);
  } finally {
    client.close();
  }
}

describe("node id across restarts (embedded store)", () => {
  it("a node killed with SIGKILL comes back with the same id, and its job ids still resolve", async () => {
    const dir = newDir();
    let server = await spawnServer(dir);
    const id = await myId(server.port);
    let client = await RawClient.connect(server.port);
    const added = await client.call("ADDJOB", "q", "body", "0");
    const jobId = added.slice(1, -2);
    assert.equal(jobId.slice(2, 10), id.slice(0, 8));
    const second = (await client.call("ADDJOB", "q", "other", "0")).slice(1, -2);
    client.close();
    await kill9(server);

    server = await spawnServer(dir);
    try {
      assert.equal(await myId(server.port), id);
      client = await RawClient.connect(server.port);
      const show = await client.call("SHOW", jobId);
      assert.ok(show.includes(`$15\r\nnodes-delivered\r\n*1\r\n${bulk(id)}`), show);
      assert.equal(await client.call("ACKJOB", jobId), int(1));
      assert.equal(await client.call("ACKJOB", second), int(1));
      const fresh = (await client.call("ADDJOB", "q", "new", "0")).slice(1, -2);
      assert.equal(fresh.slice(2, 10), id.slice(0, 8));
      client.close();
    } finally {
      await kill9(server);
    }
  });

  it("the id is kept in the data directory's NODE_ID file", async () => {
    const dir = newDir();
    const server = await spawnServer(dir);
    try {
      assert.equal(readFileSync(join(dir, "NODE_ID"), "utf8"), `${await myId(server.port)}\n`);
    } finally {
      await kill9(server);
    }
  });

  it("a data directory written before NODE_ID existed gets one on its first start, then keeps it", async () => {
    const dir = newDir();
    let server = await spawnServer(dir);
    const client = await RawClient.connect(server.port);
    await client.call("ADDJOB", "q", "body", "0");
    client.close();
    await kill9(server);
    rmSync(join(dir, "NODE_ID"));

    server = await spawnServer(dir);
    const id = await myId(server.port);
    await kill9(server);
    server = await spawnServer(dir);
    try {
      assert.equal(await myId(server.port), id);
      const again = await RawClient.connect(server.port);
      assert.equal(await again.call("QLEN", "q"), int(1));
      again.close();
    } finally {
      await kill9(server);
    }
  });

  it("a damaged NODE_ID stops the start instead of giving the node a new id", async () => {
    const dir = newDir();
    const server = await spawnServer(dir);
    await kill9(server);
    writeFileSync(join(dir, "NODE_ID"), "not an id\n");
    await assertCliRefuses(
      ["serve", "--port", "0", "--bind", "127.0.0.1", "--no-http", "--data-dir", dir],
      /NODE_ID is damaged \(expected 40 hex digits\)/,
    );
  });
});
