import assert from "node:assert/strict";
import { cpSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import type { Redis } from "ioredis";
import { FreezingFs } from "../helpers/freezing-fs.js";
import { capturingLogger } from "../helpers/logs.js";
import { ioredisClient, tempDataDir, testServer, type TestServer } from "../helpers/server.js";

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

const client = (t: TestServer): Promise<Redis> => ioredisClient(t.port);

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
async function worker(
  redis: Redis,
  queue: string,
  model: Model,
  stop: () => boolean,
  ackRatio = 0.6,
): Promise<number> {
  let ops = 0;
  const body = "x".repeat(ackRatio > 0.7 ? 1000 : 200);
  while (!stop()) {
    const id = (await redis.call("ADDJOB", queue, `${queue} ${ops} ${body}`, "0")) as string;
    model.set(id, { nacks: 0 });
    const r = Math.random();
    if (r < ackRatio) {
      assert.equal(await redis.call("ACKJOB", id), 1);
      model.delete(id);
    } else if (r < ackRatio + 0.1) {
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
  it("under load: keeps every live job and shrinks the files", async (ctx) => {
    const dir = tempDataDir();
    dirs.push(dir);
    const { logger, lines } = capturingLogger();
    const t = await testServer({ dataDir: dir, compactMinBytes: 64 * 1024 }, { logger });
    const clients = await Promise.all([1, 2, 3, 4].map(() => client(t)));
    const watcher = await client(t);
    let stopping = false;
    ctx.after(async () => {
      stopping = true;
      for (const redis of [...clients, watcher]) redis.disconnect();
      await t.close();
    });
    const model: Model = new Map();
    const running = clients.map((redis, i) => worker(redis, `q${i}`, model, () => stopping, 0.8));
    // Run until several compactions have happened while the clients kept writing.
    // Bounded by count, with a generous time cap for slow or busy machines.
    const deadline = Date.now() + 60_000;
    while ((await infoField(watcher, "aof_rewrites")) < 4 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    stopping = true;
    const ops = (await Promise.all(running)).reduce((a, b) => a + b, 0);
    assert.ok((await infoField(watcher, "aof_rewrites")) >= 3, `only ${ops} operations`);
    // The files hold the live data, not the history.
    const written = lines
      .filter((line) => line.msg === "journal compacted")
      .reduce((sum, line) => sum + Number(line.bytesBefore), 0);
    const onDisk = dirBytes(dir);
    const live = model.size * 1100;
    assert.ok(onDisk < written / 2, `on disk ${onDisk}, written before compactions ${written}`);
    assert.ok(onDisk < 3 * live + 64 * 1024 + 64 * 1024, `on disk ${onDisk}, live about ${live}`);
    assert.ok(readdirSync(dir).filter((name) => name.endsWith(".snap")).length === 1);
    for (const redis of [...clients, watcher]) redis.disconnect();
    await t.close();
    await checkRecovered(dir, model);
  });

  it("a large snapshot is written in slices while writes go on, and is exact", async (ctx) => {
    const dir = tempDataDir();
    dirs.push(dir);
    const { logger, lines } = capturingLogger();
    const t = await testServer({ dataDir: dir }, { logger });
    const loader = await client(t);
    const clients = await Promise.all([1, 2, 3, 4].map(() => client(t)));
    let stopping = false;
    ctx.after(async () => {
      stopping = true;
      for (const redis of [...clients, loader]) redis.disconnect();
      await t.close();
    });
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

describe("journal compaction: a crash at every file-system step", () => {
  it("recovers exactly the answered state whichever step the process dies at", async () => {
    let completedWithoutFreeze = false;
    let steps = 0;
    for (let freezeAt = 1; !completedWithoutFreeze; freezeAt++) {
      assert.ok(freezeAt < 200, "a compaction takes a bounded number of steps");
      const dir = tempDataDir();
      const copy = tempDataDir();
      dirs.push(dir, copy);
      const fs = new FreezingFs();
      const t = await testServer({ dataDir: dir }, { journalFs: fs });
      const redis = await client(t);
      const model: Model = new Map();
      const maybe = new Set<string>();
      const adds = redis.pipeline();
      for (let i = 0; i < 300; i++) adds.call("ADDJOB", `q${i % 3}`, `job ${i}`, "0");
      for (const [error, id] of (await adds.exec())!) {
        assert.equal(error, null);
        model.set(id as string, { nacks: 0 });
      }
      const ids = [...model.keys()];
      assert.equal(await redis.call("ACKJOB", ...ids.slice(0, 100)), 100);
      for (const id of ids.slice(0, 100)) model.delete(id);
      const got = (await redis.call("GETJOB", "COUNT", "20", "FROM", "q1")) as unknown[][];
      const taken = got.map((job) => String(job[1]));
      assert.equal(await redis.call("NACK", ...taken), 20);
      for (const id of taken) model.get(id)!.nacks++;
      assert.equal(await redis.call("PAUSE", "q2", "out"), "out");

      // The crash point: the freezeAt-th disk operation from the start of the compaction.
      fs.counting = true;
      fs.freezeAt = freezeAt;
      const compaction = t.server.journal!.compact();
      // Writes during the compaction: those answered before the crash must survive.
      const during = ids.slice(100, 120).map(async (id, i) => {
        if (i % 2 === 0) {
          const added = (await redis.call("ADDJOB", "q0", `during ${i}`, "0")) as string;
          if (!fs.frozen) model.set(added, { nacks: 0 });
          else maybe.add(added);
        } else {
          model.delete(id); // deleted or not, depending on when the crash comes
          maybe.add(id);
          await redis.call("ACKJOB", id);
        }
      });
      const settled = Promise.allSettled(during);
      let compacted = false;
      void compaction.then(() => (compacted = true));
      const deadline = Date.now() + 10_000;
      while (!fs.frozen && !compacted) {
        assert.ok(Date.now() < deadline, "the compaction neither finished nor froze");
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
      if (!fs.frozen) {
        await settled;
        completedWithoutFreeze = true;
      }
      steps = Math.max(steps, fs.ops);
      cpSync(dir, copy, { recursive: true });
      fs.release();
      redis.disconnect();
      await t.close();
      await settled;

      const t2 = await testServer({ dataDir: copy });
      const r2 = await client(t2);
      const [, recovered] = (await r2.call("JSCAN", "0", "BUSYLOOP")) as [string, string[]];
      const present = new Set(recovered);
      for (const [id, expected] of model) {
        assert.ok(present.has(id), `freeze at step ${freezeAt}: ${id} lost`);
        const flat = (await r2.call("SHOW", id)) as unknown[];
        assert.equal(flat[flat.indexOf("nacks") + 1], expected.nacks);
      }
      for (const id of present) {
        if (model.has(id) || maybe.has(id)) continue;
        // an ADDJOB whose record was written but whose reply never came
        const flat = (await r2.call("SHOW", id)) as unknown[];
        assert.match(String(flat[flat.length - 1]), /^during /, `freeze at ${freezeAt}: ${id} unknown`);
      }
      for (const id of ids.slice(0, 100))
        assert.ok(!present.has(id), `freeze at ${freezeAt}: acked ${id} back`);
      assert.equal(await r2.call("PAUSE", "q2", "state"), "out");
      r2.disconnect();
      await t2.close();
    }
    assert.ok(steps >= 8, `a compaction is several steps, saw ${steps}`);
  });
});
