import assert from "node:assert/strict";
import { readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { Redis } from "ioredis";
import { capturingLogger } from "../helpers/logs.js";
import { tempDataDir, testServer, type TestServer } from "../helpers/server.js";

/** Compaction under load: every live job kept, the files shrink to the live data. */

const dirs: string[] = [];
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function dirBytes(dir: string): number {
  let total = 0;
  for (const name of readdirSync(dir)) total += statSync(join(dir, name)).size;
  return total;
}

async function client(t: TestServer): Promise<Redis> {
  const redis = new Redis({ port: t.port, host: "127.0.0.1", lazyConnect: true, maxRetriesPerRequest: 0 });
  await redis.connect();
  return redis;
}

async function infoField(redis: Redis, field: string): Promise<number> {
  const text = (await redis.call("INFO", "persistence")) as string;
  const match = new RegExp(`${field}:(-?\\d+)`).exec(text);
  assert.ok(match, field);
  return Number(match[1]);
}

/** What the clients know: live job ids with their nack counts. */
type Model = Map<string, { nacks: number }>;

/**
 * One client's loop: add, then ack most of what it added, NACK some jobs
 * it takes. Every reply is awaited, so the model holds only answered work.
 */
async function worker(redis: Redis, queue: string, model: Model, stop: () => boolean): Promise<number> {
  let ops = 0;
  const body = "x".repeat(200);
  while (!stop()) {
    const id = (await redis.call("ADDJOB", queue, `${queue} ${ops} ${body}`, "0")) as string;
    model.set(id, { nacks: 0 });
    const r = Math.random();
    if (r < 0.6) {
      assert.equal(await redis.call("ACKJOB", id), 1);
      model.delete(id);
    } else if (r < 0.7) {
      const got = (await redis.call("GETJOB", "NOHANG", "FROM", queue)) as unknown[][] | null;
      if (got) {
        const taken = String(got[0]![1]);
        assert.equal(await redis.call("NACK", taken), 1);
        model.get(taken)!.nacks++;
      }
    }
    ops++;
  }
  return ops;
}

async function checkRecovered(dir: string, model: Model): Promise<void> {
  const t = await testServer({ dataDir: dir });
  const redis = await client(t);
  try {
    const [, ids] = (await redis.call("JSCAN", "0", "BUSYLOOP")) as [string, string[]];
    assert.equal(ids.length, model.size, "recovered job count");
    assert.deepEqual(new Set(ids), new Set(model.keys()));
    let checked = 0;
    for (const [id, expected] of model) {
      if (expected.nacks === 0 && checked++ > 50) continue;
      const flat = (await redis.call("SHOW", id)) as unknown[];
      assert.equal(flat[flat.indexOf("nacks") + 1], expected.nacks, `nacks of ${id}`);
    }
  } finally {
    redis.disconnect();
    await t.close();
  }
}

describe("journal compaction", () => {
  it("under load: keeps every live job and shrinks the files", async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const { logger, lines } = capturingLogger();
    const t = await testServer({ dataDir: dir, compactMinBytes: 64 * 1024 }, { logger });
    const clients = await Promise.all([1, 2, 3, 4].map(() => client(t)));
    const watcher = await client(t);
    const model: Model = new Map();
    let stopping = false;
    const running = clients.map((redis, i) => worker(redis, `q${i}`, model, () => stopping));
    // Run until several compactions have happened while the clients kept writing.
    const deadline = Date.now() + 20_000;
    while ((await infoField(watcher, "aof_rewrites")) < 4 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stopping = true;
    const ops = (await Promise.all(running)).reduce((a, b) => a + b, 0);
    assert.ok((await infoField(watcher, "aof_rewrites")) >= 4, `only ${ops} operations`);
    // The files hold the live data, not the history.
    const written = lines
      .filter((line) => line.msg === "journal compacted")
      .reduce((sum, line) => sum + Number(line.bytesBefore), 0);
    const onDisk = dirBytes(dir);
    const live = model.size * 300;
    assert.ok(onDisk < written / 2, `on disk ${onDisk}, written before compactions ${written}`);
    assert.ok(onDisk < 3 * live + 64 * 1024 + 64 * 1024, `on disk ${onDisk}, live about ${live}`);
    assert.ok(readdirSync(dir).filter((name) => name.endsWith(".snap")).length === 1);
    for (const redis of [...clients, watcher]) redis.disconnect();
    await t.close();
    await checkRecovered(dir, model);
  });

  it("a large snapshot is written in slices while writes go on, and is exact", async () => {
    const dir = tempDataDir();
    dirs.push(dir);
    const { logger, lines } = capturingLogger();
    const t = await testServer({ dataDir: dir }, { logger });
    const loader = await client(t);
    const model: Model = new Map();
    const body = "y".repeat(200);
    for (let batch = 0; batch < 20; batch++) {
      const pipeline = loader.pipeline();
      for (let i = 0; i < 2000; i++) pipeline.call("ADDJOB", "bulk", `${batch}/${i} ${body}`, "0", "ASYNC");
      const results = (await pipeline.exec())!;
      for (const [error, id] of results) {
        assert.equal(error, null);
        model.set(id as string, { nacks: 0 });
      }
    }
    // Compact while four clients keep adding, acking and nacking.
    const clients = await Promise.all([1, 2, 3, 4].map(() => client(t)));
    let stopping = false;
    const running = clients.map((redis, i) => worker(redis, `w${i}`, model, () => stopping));
    const ackAlong = (async () => {
      // ... and jobs from the bulk queue go away while the snapshot is being written.
      for (const id of [...model.keys()].slice(0, 5000)) {
        if (stopping) break;
        assert.equal(await loader.call("ACKJOB", id), 1);
        model.delete(id);
      }
    })();
    await t.server.journal!.compact();
    stopping = true;
    await Promise.all([...running, ackAlong]);
    const compacted = lines.find((line) => line.msg === "journal compacted");
    assert.ok(compacted, JSON.stringify(lines));
    assert.ok(Number(compacted.slices) > 1, `slices: ${compacted.slices}`);
    assert.ok(Number(compacted.longestSliceMs) < 100, `longest slice ${compacted.longestSliceMs} ms`);
    for (const redis of [...clients, loader]) redis.disconnect();
    await t.close();
    await checkRecovered(dir, model);
  });
});
