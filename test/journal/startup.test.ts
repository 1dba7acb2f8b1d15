import assert from "node:assert/strict";
import { cpSync, existsSync, readFileSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { RecordEncoder, writeHeader, writeJob } from "../../src/stores/embedded/journal/record.js";
import { storedJob } from "../helpers/journal.js";
import { capturingLogger } from "../helpers/logs.js";
import { launchServer, spawnServer } from "../helpers/process.js";
import { dataDirs, ioredisClient, testServer } from "../helpers/server.js";

/**
 * Start-up never guesses (issue 11, item 6): each file of a data directory
 * deleted, truncated, emptied, with bytes removed in the middle or its end
 * overwritten. Each refuses to start with a message naming the file;
 * --repair starts and logs what it dropped; the repaired directory then
 * starts normally.
 */

const newDir = dataDirs();

const client = ioredisClient;

const DAMAGE: Record<string, (path: string) => void> = {
  deleted: (path) => rmSync(path),
  truncated: (path) => truncateSync(path, Math.floor(readFileSync(path).length / 2)),
  "zero-length": (path) => truncateSync(path, 0),
  "100 bytes removed in the middle": (path) => {
    const bytes = readFileSync(path);
    const mid = Math.floor(bytes.length / 2);
    writeFileSync(path, Buffer.concat([bytes.subarray(0, mid), bytes.subarray(mid + 100)]));
  },
  "its last 100 bytes overwritten": (path) => {
    const bytes = readFileSync(path);
    bytes.fill(0x5a, Math.max(0, bytes.length - 100));
    writeFileSync(path, bytes);
  },
};

describe("start-up checks the data directory against its MANIFEST", () => {
  // A directory with all three kinds of file: MANIFEST, snapshot-2.snap, journal-2.log.
  const pristine = newDir();
  before(async () => {
    const t = await testServer({ dataDir: pristine });
    const redis = await client(t.port);
    try {
      for (let i = 0; i < 40; i++) await redis.call("ADDJOB", "q", `before the snapshot ${i}`, "0");
      await t.server.journal!.compact();
      const ids: string[] = [];
      for (let i = 0; i < 40; i++)
        ids.push((await redis.call("ADDJOB", "q", `after it ${i}`, "0")) as string);
      await redis.call("ACKJOB", ...ids.slice(0, 10));
    } finally {
      redis.disconnect();
      await t.close();
    }
    for (const name of ["MANIFEST", "snapshot-2.snap", "journal-2.log"]) {
      assert.ok(existsSync(join(pristine, name)), name);
    }
  });

  it("the undamaged directory starts with every job", async () => {
    const t = await testServer({ dataDir: pristine });
    const redis = await client(t.port);
    assert.equal(await redis.call("QLEN", "q"), 70);
    redis.disconnect();
    await t.close();
  });

  for (const name of ["snapshot-2.snap", "journal-2.log", "MANIFEST"]) {
    for (const [how, damage] of Object.entries(DAMAGE)) {
      it(`${name} ${how}: refuses to start naming it; --repair starts and says what it dropped`, async () => {
        const dir = newDir();
        cpSync(pristine, dir, { recursive: true });
        const path = join(dir, name);
        damage(path);
        await assert.rejects(testServer({ dataDir: dir }), (error: Error) => {
          assert.ok(error.message.includes(path), error.message);
          assert.match(error.message, /--repair/);
          return true;
        });

        const { logger, lines } = capturingLogger();
        const repaired = await testServer({ dataDir: dir, repair: true }, { logger });
        const redis = await client(repaired.port);
        const jobs = Number(await redis.call("QLEN", "q"));
        // at most every job ever added: a lost ACKJOB record brings its jobs back (and is reported)
        assert.ok(jobs <= 80, `${jobs} jobs`);
        redis.disconnect();
        await repaired.close();
        const said = lines.filter(
          (line) =>
            Number(line.level) >= 50 &&
            (line.file === path || String(line.msg).includes(path)) &&
            String(line.msg).startsWith("--repair"),
        );
        assert.ok(said.length > 0, JSON.stringify(lines.filter((line) => Number(line.level) >= 40)));

        // --repair rewrote what it kept: a normal start works and has the same jobs
        const again = await testServer({ dataDir: dir });
        const r2 = await client(again.port);
        assert.equal(Number(await r2.call("QLEN", "q")), jobs);
        r2.disconnect();
        await again.close();
      });
    }
  }

  it("a journal that holds records but is not in the MANIFEST is refused", async () => {
    const dir = newDir();
    cpSync(pristine, dir, { recursive: true });
    cpSync(join(dir, "journal-2.log"), join(dir, "journal-3.log"));
    await assert.rejects(
      testServer({ dataDir: dir }),
      /journal-3\.log holds records but is not in the manifest/,
    );
  });

  it("a directory an older docket wrote (no MANIFEST) opens, gets one, and is checked from then on", async () => {
    const dir = newDir();
    const enc = new RecordEncoder();
    let offset = writeHeader(enc, 0, "journal", 1, Date.now(), false);
    for (let i = 1; i <= 3; i++) {
      const id = `D-0123abcd-${"C".repeat(24)}-000${i}`;
      offset += writeJob(enc, offset, storedJob({ id, seq: i, rank: i, createdAt: Date.now() }));
    }
    const journal = join(dir, "journal-1.log");
    writeFileSync(journal, Buffer.concat(enc.take()));

    const { logger, lines } = capturingLogger();
    const t = await testServer({ dataDir: dir }, { logger });
    const redis = await client(t.port);
    assert.equal(await redis.call("QLEN", "emails"), 3);
    await redis.call("ADDJOB", "emails", "one more", "0");
    redis.disconnect();
    await t.close();
    assert.ok(lines.some((line) => String(line.msg).startsWith("no MANIFEST") && line.level === 40));
    assert.match(
      readFileSync(join(dir, "MANIFEST"), "utf8"),
      /^docket manifest 1\njournal journal-1\.log \d+\n/,
    );

    const copy = newDir();
    cpSync(dir, copy, { recursive: true });
    const restarted = await testServer({ dataDir: copy });
    const r2 = await client(restarted.port);
    assert.equal(await r2.call("QLEN", "emails"), 4);
    r2.disconnect();
    await restarted.close();

    truncateSync(journal, 0);
    await assert.rejects(testServer({ dataDir: dir }), new RegExp(`${journal} has 0 bytes`));
  });

  it("after kill -9, bytes removed from the middle of a journal are an error, not a torn tail", async () => {
    const dir = newDir();
    const server = await spawnServer(dir, ["--fsync", "always"]);
    const redis = await client(server.port);
    try {
      const pipeline = redis.pipeline();
      for (let i = 0; i < 2000; i++) pipeline.call("ADDJOB", "q", `job ${i} ${"x".repeat(100)}`, "0");
      await pipeline.exec();
      // the MANIFEST records new durable lengths lazily: within a second
      await new Promise((resolve) => setTimeout(resolve, 1500));
    } finally {
      redis.disconnect();
      server.child.kill("SIGKILL");
      await server.exited;
    }
    const journal = join(dir, "journal-1.log");
    DAMAGE["100 bytes removed in the middle"]!(journal);
    const refused = launchServer(dir);
    await assert.rejects(
      refused.ready,
      new RegExp(`${journal} has \\d+ bytes, but the first \\d+ were durable`),
    );
    assert.equal((await refused.exited).code, 1);
  });
});
