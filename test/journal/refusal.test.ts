import assert from "node:assert/strict";
import { cpSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Redis } from "ioredis";
import { nodeFs } from "../../src/stores/embedded/journal/index.js";
import { scanFile } from "../../src/stores/embedded/journal/reader.js";
import { storedJob } from "../helpers/journal.js";
import { capturingLogger } from "../helpers/logs.js";
import { spawnServer } from "../helpers/process.js";
import { dataDirs, ioredisClient, testServer, type TestServer } from "../helpers/server.js";

/**
 * A change whose values the record format cannot hold (issue 11, finding 1)
 * is refused whole: no byte of it reaches the journal, the engine keeps
 * nothing of it, and the acknowledged records before and after it survive
 * a crash. The doors bound numbers before they get here; this is the
 * journal's own line of defence.
 */

const ABSURD = [2 ** 32, 1e300, NaN, -1];

const newDir = dataDirs();

const client = ioredisClient;

async function bodies(redis: Redis, queue: string): Promise<string[]> {
  const peek = (await redis.call("QPEEK", queue, "100")) as unknown[][];
  return peek.map((job) => String(job[2]));
}

/** Starts on `dir`, checks the queue holds exactly `expected` and nothing was cut, then stops. */
async function expectRecovered(dir: string, queue: string, expected: string[]): Promise<void> {
  const { logger, lines } = capturingLogger();
  const t: TestServer = await testServer({ dataDir: dir }, { logger });
  const redis = await client(t.port);
  try {
    assert.deepEqual(await bodies(redis, queue), expected);
    const info = (await redis.call("INFO", "persistence")) as string;
    assert.match(info, /torn_tail_bytes_cut_at_start:0\r\n/);
    const warnings = lines.filter((line) => Number(line.level) >= 40);
    assert.deepEqual(warnings, []);
  } finally {
    redis.disconnect();
    await t.close();
  }
}

describe("a change the journal cannot record", () => {
  it("is refused whole: the files, the records before and after it, and a crash image are intact", async () => {
    const dir = newDir();
    const crashed = newDir();
    const t = await testServer({ dataDir: dir, fsync: "always" });
    const redis = await client(t.port);
    const expected: string[] = [];
    try {
      for (const body of ["before 1", "before 2"]) {
        await redis.call("ADDJOB", "q", body, "0");
        expected.push(body);
      }
      const journal = t.server.journal!;
      let seq = 1000;
      for (const ttl of ABSURD) {
        // a job as a store hands it over (the engine's own table could not even hold such a TTL)
        const job = storedJob({
          id: `D-0123abcd-${"B".repeat(24)}-${String(seq).padStart(4, "0")}`,
          seq: seq++,
          queue: "q",
          body: "absurd",
          createdAt: Date.now(),
          ttl,
          retry: 0,
        });
        assert.throws(
          () => journal.append({ type: "add", job }),
          (error: Error) => error instanceof RangeError && error.message.includes(`ttl ${ttl}`),
          `ttl ${ttl}`,
        );
        await redis.call("ADDJOB", "q", `after ${ttl}`, "0");
        expected.push(`after ${ttl}`);
      }
      await journal.whenDurable();
      // What a kill -9 would leave: the directory as it is now, server still running.
      cpSync(dir, crashed, { recursive: true, filter: (path) => !path.endsWith("LOCK") });
    } finally {
      redis.disconnect();
      await t.close();
    }

    for (const name of readdirSync(dir).filter((n) => n.startsWith("journal-"))) {
      // every record of the file is whole: nothing damaged, nothing torn
      const scan = await scanFile(nodeFs, join(dir, name), { repair: false, tailAllowed: false }, () => {});
      assert.equal(scan.tail, undefined);
      assert.equal(scan.end, scan.size);
    }
    await expectRecovered(crashed, "q", expected);
    await expectRecovered(dir, "q", expected);
  });

  it("the engine keeps nothing of an add the journal refused; the acknowledged add after it survives", async () => {
    const dir = newDir();
    const crashed = newDir();
    const t = await testServer({ dataDir: dir, fsync: "always" });
    const redis = await client(t.port);
    try {
      // Straight to the engine, past the doors' own bounds: what reaches the journal is refused.
      for (const retries of [2 ** 32, 2 ** 53 - 1]) {
        assert.throws(() =>
          t.server.engine.addJob({ queue: "h", body: Buffer.from("absurd"), retryBudget: retries, ttl: 100 }),
        );
      }
      assert.equal(await redis.call("QLEN", "h"), 0);
      const [cursor, ids] = (await redis.call("JSCAN", "0", "BUSYLOOP")) as [string, string[]];
      assert.deepEqual([cursor, ids], ["0", []]);
      await redis.call("ADDJOB", "h", "after", "0");
      await t.server.journal!.whenDurable();
      cpSync(dir, crashed, { recursive: true, filter: (path) => !path.endsWith("LOCK") });
    } finally {
      redis.disconnect();
      await t.close();
    }
    await expectRecovered(crashed, "h", ["after"]);
  });

  it("over RESP: ADDJOB with TTL 2^32 gets an error; the ADDJOB after it survives kill -9", async () => {
    const dir = newDir();
    let server = await spawnServer(dir, ["--fsync", "always"]);
    const redis = await client(server.port);
    let id: string;
    try {
      await assert.rejects(redis.call("ADDJOB", "h", "x", "0", "TTL", String(2 ** 32)));
      id = (await redis.call("ADDJOB", "h", "after", "0")) as string;
    } finally {
      redis.disconnect();
      server.child.kill("SIGKILL");
      await server.exited;
    }
    server = await spawnServer(dir, ["--fsync", "always"]);
    const again = await client(server.port);
    try {
      assert.equal(await again.call("QLEN", "h"), 1);
      assert.deepEqual(await bodies(again, "h"), ["after"]);
      assert.notEqual(await again.call("SHOW", id), null);
    } finally {
      again.disconnect();
      server.child.kill("SIGKILL");
      await server.exited;
    }
  });
});
