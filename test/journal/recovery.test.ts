import assert from "node:assert/strict";
import { appendFileSync, readFileSync, readdirSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { Redis } from "ioredis";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import { CorruptFileError } from "../../src/stores/embedded/journal/index.js";
import { setRecordedDurable } from "../helpers/journal.js";
import { capturingLogger } from "../helpers/logs.js";
import { dataDirs, ioredisClient, testServer, type TestServer } from "../helpers/server.js";

/** Restarts on the same data directory, over real sockets. */

const newDir = dataDirs();

const client = (t: TestServer): Promise<Redis> => ioredisClient(t.port);

/** SHOW as an object, or null. */
async function show(redis: Redis, id: string): Promise<Record<string, unknown> | null> {
  const flat = (await redis.call("SHOW", id)) as unknown[] | null;
  if (flat === null) return null;
  const out: Record<string, unknown> = {};
  for (let i = 0; i < flat.length; i += 2) out[String(flat[i])] = flat[i + 1];
  return out;
}

async function info(redis: Redis): Promise<Record<string, string>> {
  const text = (await redis.call("INFO", "persistence")) as string;
  const out: Record<string, string> = {};
  for (const line of text.split("\r\n")) {
    const at = line.indexOf(":");
    if (at > 0) out[line.slice(0, at)] = line.slice(at + 1);
  }
  return out;
}

async function allIds(redis: Redis): Promise<string[]> {
  const [, ids] = (await redis.call("JSCAN", "0", "BUSYLOOP")) as [string, string[]];
  return ids;
}

/** Runs `fn` against a server on `dir`, then closes it. */
async function withServer<T>(
  dir: string,
  fn: (redis: Redis, t: TestServer) => Promise<T>,
  options: Parameters<typeof testServer>[1] = {},
  overrides: Parameters<typeof testServer>[0] = {},
): Promise<T> {
  const t = await testServer({ dataDir: dir, ...overrides }, options);
  const redis = await client(t);
  try {
    return await fn(redis, t);
  } finally {
    redis.disconnect();
    await t.close();
  }
}

function journalFile(dir: string): string {
  const name = readdirSync(dir).find((n) => n.startsWith("journal-"));
  assert.ok(name, `a journal in ${dir}`);
  return join(dir, name);
}

describe("journal recovery across restarts", () => {
  it("jobs, counters, delays, pauses and queue order come back; leases do not", async () => {
    const dir = newDir();
    const clock = new ManualClock(1_700_000_000_000);
    const ids = await withServer(
      dir,
      async (redis) => {
        const a = (await redis.call("ADDJOB", "q", "a", "0", "RETRY", "10")) as string;
        const b = (await redis.call("ADDJOB", "q", "b", "0")) as string;
        const c = (await redis.call("ADDJOB", "q", "c", "0")) as string;
        const delayed = (await redis.call("ADDJOB", "q", "later", "0", "DELAY", "600")) as string;
        const paused = (await redis.call("ADDJOB", "p", "x", "0")) as string;
        const gone = (await redis.call("ADDJOB", "q", "gone", "0")) as string;
        const fast = (await redis.call("ADDJOB", "q", "fast", "0")) as string;
        // a: delivered and NACKed twice, then delivered again (a lease, not recorded)
        for (let i = 0; i < 2; i++) {
          assert.equal(String(((await redis.call("GETJOB", "FROM", "q")) as unknown[][])[0]![1]), a);
          assert.equal(await redis.call("NACK", a), 1);
        }
        await redis.call("GETJOB", "FROM", "q");
        // b: delivered, then its retry runs out: one additional delivery
        await redis.call("GETJOB", "FROM", "q");
        clock.advance(300_001);
        assert.equal(await redis.call("QLEN", "q"), 5); // a and b re-queued by their RETRY
        assert.equal(await redis.call("ACKJOB", gone), 1);
        assert.equal(await redis.call("FASTACK", fast), 1);
        assert.equal(await redis.call("PAUSE", "p", "out"), "out");
        return { a, b, c, delayed, paused, gone, fast };
      },
      { clock },
    );

    clock.advance(1000);
    await withServer(
      dir,
      async (redis) => {
        const a = await show(redis, ids.a);
        assert.equal(a?.state, "queued");
        assert.equal(a?.nacks, 2);
        assert.equal(a?.["additional-deliveries"], 1);
        const b = await show(redis, ids.b);
        assert.equal(b?.state, "queued");
        assert.equal(b?.["additional-deliveries"], 1);
        assert.equal(await show(redis, ids.gone), null);
        assert.equal(await show(redis, ids.fast), null);
        const delayed = await show(redis, ids.delayed);
        assert.equal(delayed?.state, "active");
        assert.equal(delayed?.["next-awake-within"], 600_000 - 301_001);
        assert.equal(await redis.call("PAUSE", "p", "state"), "out");
        assert.equal(await redis.call("QLEN", "p"), 1);
        // original creation order in the queue
        const peek = (await redis.call("QPEEK", "q", "10")) as unknown[][];
        assert.deepEqual(
          peek.map((job) => String(job[1])),
          [ids.a, ids.b, ids.c],
        );
        // sequence numbers go on: a new job scans after the old ones
        const added = (await redis.call("ADDJOB", "q", "new", "0")) as string;
        const all = await allIds(redis);
        assert.equal(all[all.length - 1], added);
        const status = await info(redis);
        assert.equal(status.aof_enabled, "1");
        assert.equal(status.jobs_loaded_at_start, "5");
        assert.ok(Number(status.records_replayed_at_start) > 10);
      },
      { clock },
    );
  });

  it("expired jobs are dropped on load", async () => {
    const dir = newDir();
    const clock = new ManualClock(1_700_000_000_000);
    await withServer(
      dir,
      async (redis) => {
        await redis.call("ADDJOB", "q", "short", "0", "TTL", "5");
        await redis.call("ADDJOB", "q", "long", "0", "TTL", "50");
      },
      { clock },
    );
    clock.advance(6000);
    await withServer(
      dir,
      async (redis) => {
        assert.equal(await redis.call("QLEN", "q"), 1);
        const status = await info(redis);
        assert.equal(status.jobs_loaded_at_start, "1");
        assert.equal(status.jobs_expired_at_start, "1");
      },
      { clock },
    );
  });

  it("a torn tail is cut, reported in the log, and writing goes on after it", async () => {
    const dir = newDir();
    await withServer(dir, async (redis) => {
      for (const body of ["one", "two", "three"]) await redis.call("ADDJOB", "q", body, "0");
    });
    const file = journalFile(dir);
    const size = readFileSync(file).length;
    // killed while the last ADDJOB's record was being written, before the MANIFEST recorded it
    setRecordedDurable(dir, 0);
    truncateSync(file, size - 5);
    const { logger, lines } = capturingLogger();
    await withServer(
      dir,
      async (redis) => {
        assert.equal(await redis.call("QLEN", "q"), 2);
        const status = await info(redis);
        assert.ok(Number(status.torn_tail_bytes_cut_at_start) > 0);
        await redis.call("ADDJOB", "q", "four", "0");
      },
      { logger },
    );
    const warning = lines.find((line) => String(line.msg).includes("torn or damaged record"));
    assert.ok(warning, JSON.stringify(lines));
    assert.equal(warning.file, file);
    assert.equal(typeof warning.offset, "number");
    await withServer(dir, async (redis) => {
      const peek = (await redis.call("QPEEK", "q", "10")) as unknown[][];
      assert.deepEqual(
        peek.map((job) => String(job[2])),
        ["one", "two", "four"],
      );
      assert.equal((await info(redis)).torn_tail_bytes_cut_at_start, "0");
    });
  });

  it("garbage after the last record (a crash mid-write) is cut", async () => {
    const dir = newDir();
    await withServer(dir, async (redis) => {
      await redis.call("ADDJOB", "q", "kept", "0");
    });
    appendFileSync(journalFile(dir), Buffer.alloc(1000, 0));
    await withServer(dir, async (redis) => {
      assert.equal(await redis.call("QLEN", "q"), 1);
    });
  });

  it("a corrupt record in the middle stops start-up naming file and offset; --repair skips it", async () => {
    const dir = newDir();
    await withServer(dir, async (redis) => {
      for (let i = 1; i <= 5; i++) await redis.call("ADDJOB", "q", `body-number-${i}`, "0");
    });
    const file = journalFile(dir);
    const bytes = readFileSync(file);
    const at = bytes.indexOf("body-number-2");
    bytes[at + 3]! ^= 0x20;
    writeFileSync(file, bytes);

    await assert.rejects(testServer({ dataDir: dir }), (error: Error) => {
      assert.ok(error instanceof CorruptFileError);
      assert.equal(error.path, file);
      assert.ok(error.offset < at && error.offset > 0);
      assert.match(error.message, new RegExp(`${file}: corrupt record at offset ${error.offset}`));
      assert.match(error.message, /--repair/);
      return true;
    });
    // the failed start left the directory usable (lock released)
    const { logger, lines } = capturingLogger();
    await withServer(
      dir,
      async (redis) => {
        const peek = (await redis.call("QPEEK", "q", "10")) as unknown[][];
        assert.deepEqual(
          peek.map((job) => String(job[2])),
          ["body-number-1", "body-number-3", "body-number-4", "body-number-5"],
        );
        assert.ok(Number((await info(redis)).damaged_bytes_skipped_at_start) > 0);
      },
      { logger },
      { repair: true },
    );
    assert.ok(lines.some((line) => String(line.msg).includes("--repair: skipped") && line.file === file));
    // repaired files were rewritten: a normal start works and has the same jobs
    await withServer(dir, async (redis) => {
      assert.equal(await redis.call("QLEN", "q"), 4);
    });
  });

  it("DEBUG FLUSHALL is journaled", async () => {
    const dir = newDir();
    await withServer(dir, async (redis) => {
      await redis.call("ADDJOB", "q", "a", "0");
      await redis.call("PAUSE", "p", "in");
      assert.equal(await redis.call("DEBUG", "FLUSHALL"), "OK");
      await redis.call("ADDJOB", "q", "b", "0");
    });
    await withServer(dir, async (redis) => {
      const peek = (await redis.call("QPEEK", "q", "10")) as unknown[][];
      assert.deepEqual(
        peek.map((job) => String(job[2])),
        ["b"],
      );
      assert.equal(await redis.call("PAUSE", "p", "state"), "none");
    });
  });

  for (const policy of ["always", "everysec", "no"] as const) {
    it(`fsync ${policy}: INFO and CONFIG report it, and a clean restart keeps every job`, async () => {
      const dir = newDir();
      await withServer(
        dir,
        async (redis) => {
          const status = await info(redis);
          assert.equal(status.aof_enabled, "1");
          assert.equal(status.fsync_policy, policy);
          assert.equal(
            status.fsync_loss_window,
            { always: "none", everysec: "1s", no: "os-writeback" }[policy],
          );
          for (const field of [
            "journal_bytes",
            "snapshot_age_seconds",
            "last_fsync_latency_us",
            "records_replayed_at_start",
            "loading_time_ms",
          ]) {
            assert.ok(field in status, field);
          }
          assert.deepEqual(await redis.call("CONFIG", "GET", "appendfsync"), ["appendfsync", policy]);
          const pipeline = redis.pipeline();
          for (let i = 0; i < 200; i++) pipeline.call("ADDJOB", "q", `job ${i}`, "0");
          await pipeline.exec();
          if (policy === "always") assert.ok(Number((await info(redis)).total_fsyncs) >= 1);
        },
        {},
        { fsync: policy },
      );
      await withServer(dir, async (redis) => {
        assert.equal(await redis.call("QLEN", "q"), 200);
      });
    });
  }
});
