import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { after, describe, it } from "node:test";
import { http } from "../helpers/http.js";
import { spawnServer, type ServerProcess } from "../helpers/process.js";
import { RawClient, int } from "../helpers/raw-client.js";
import { tempDataDir } from "../helpers/server.js";

/**
 * Issue 11, finding 1: one out-of-range number (TTL or DELAY ≥ 2^32, a
 * takeanumber retries budget ≥ 2^32, an HTTP ttl of 2^32 or 1e300) made the
 * record encoder throw half-way through a record; the jobs acknowledged after
 * it were lost at the next start. Now each is refused with a clean error
 * naming the argument, and every acknowledged job survives kill -9.
 */

const dirs: string[] = [];
const servers: ServerProcess[] = [];
after(() => {
  for (const server of servers) server.child.kill("SIGKILL");
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

async function start(dir: string): Promise<{ server: ServerProcess; resp: RawClient; url: string }> {
  const server = await spawnServer(dir, ["--fsync", "always", "--http-port", "0"]);
  servers.push(server);
  return { server, resp: await RawClient.connect(server.port), url: `http://127.0.0.1:${server.httpPort}` };
}

async function kill(server: ServerProcess): Promise<void> {
  server.child.kill("SIGKILL");
  await server.exited;
}

describe("out-of-range numbers and the journal", () => {
  it("are refused naming the argument; the jobs acknowledged after them survive kill -9", async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const { server, resp, url } = await start(dir);
    const acked: string[] = [];
    const witness = async (name: string) => {
      assert.match(await resp.call("ADDJOB", "h", name, 0), /^\+D-/);
      acked.push(name);
    };

    assert.equal(
      await resp.call("ADDJOB", "h", "x", 0, "TTL", 4294967296),
      "-ERR TTL must be at most 2147483647\r\n",
    );
    await witness("after-ttl");
    assert.equal(
      await resp.call("ADDJOB", "h", "x", 0, "TTL", 4294967297, "DELAY", 4294967296),
      "-ERR TTL must be at most 2147483647\r\n",
    );
    await witness("after-delay");
    assert.equal(
      await resp.call("ADD", "h", 4294967296, "body"),
      "-ERR retries must be at most 2147483647\r\n",
    );
    await witness("after-retries");
    for (const ttl of [4294967296, 1e300]) {
      const reply = await http(url, "POST", "/v1/queues/h/jobs", { json: { body: "x", ttl } });
      assert.equal(reply.status, 400, reply.text);
      assert.equal(reply.json.error.code, "BADREQUEST");
      assert.match(reply.json.error.message, /ttl must be <= 2147483647/);
      await witness(`after-http-${ttl}`);
    }
    const emq = await http(url, "POST", "/enqueue/h", { json: { content: 1, expiry: 4294967296 } });
    assert.equal(emq.status, 400, emq.text);
    assert.match(emq.json.error.message, /expiry must be <= 2147483647/);
    await witness("after-emq");
    resp.close();
    await kill(server);

    const again = await start(dir);
    assert.equal(await again.resp.call("QLEN", "h"), int(acked.length));
    const peeked = await again.resp.call("QPEEK", "h", acked.length);
    for (const name of acked) assert.ok(peeked.includes(`\r\n${name}\r\n`), name);
    assert.ok(
      !again.server.lines.some((line) => /torn|damaged|corrupt/.test(line)),
      again.server.lines.join("\n"),
    );
    again.resp.close();
    await kill(again.server);
  });
});
