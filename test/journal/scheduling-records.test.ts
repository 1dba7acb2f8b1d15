import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { MAX_GROUP_BYTES, MAX_KEY_BYTES, MAX_PRIORITY } from "../../src/core/scheduling.js";
import { JobTable } from "../../src/stores/embedded/engine/job-table.js";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import {
  T_HEADER,
  T_IDEMKEY,
  T_JOB,
  T_SNAPSHOT_END,
  T_POLICY,
  writeChange,
  writeJob,
  type JournalRecord,
} from "../../src/stores/embedded/journal/record.js";
import { nodeFs } from "../../src/stores/embedded/journal/fs.js";
import { scanFile } from "../../src/stores/embedded/journal/reader.js";
import { writeSnapshot, type SnapshotSource } from "../../src/stores/embedded/journal/snapshot.js";
import { T0 } from "../helpers/broker.js";
import { decodeOne, encodeRecords as encode, storedJob } from "../helpers/journal.js";
import { JournaledEngine } from "../conformance/replayed.js";

/**
 * The journal records of the scheduling state (docs/persistence.md): a job's
 * priority, round, group, idempotency key and schedule; T_IDEMKEY for a key
 * that outlives its job; the policy's rate and group limits. A plain job is
 * written byte for byte as before.
 */

const ID = "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA-05a1";

describe("journal records of the scheduling state", () => {
  it("a plain job (default priority, round 0, no group, key or schedule) is written exactly as a job without those fields", () => {
    const live = new JobTable().create(ID, 7, "emails", Buffer.from("hi"), T0, 86400, 300, 0, 1);
    const plain = storedJob({ id: ID, seq: 7, queue: "emails", body: Buffer.from("hi"), createdAt: T0 });
    assert.deepEqual(
      encode((enc) => writeJob(enc, 0, live)),
      encode((enc) => writeJob(enc, 0, plain)),
    );
    const back = decodeOne(encode((enc) => writeJob(enc, 0, live)));
    assert.equal(back.type, T_JOB);
    const job = (back as Extract<JournalRecord, { type: typeof T_JOB }>).job;
    for (const field of ["priority", "round", "group", "key", "keyExpiresAt", "schedule"] as const) {
      assert.equal(job[field], undefined, field);
    }
  });

  it("boundary values round-trip: max priority, a 256-byte key, a 128-character group, a u32 round", () => {
    const key = "é".repeat(MAX_KEY_BYTES / 2);
    const group = "g".repeat(MAX_GROUP_BYTES);
    const job = storedJob({
      body: "small bodies read back as latin1 strings",
      priority: MAX_PRIORITY,
      round: 4_294_967_295,
      group,
      key,
      keyExpiresAt: T0 + 30 * 86_400_000,
      schedule: "nightly-report",
    });
    const back = decodeOne(encode((enc) => writeJob(enc, 0, job)));
    assert.deepEqual((back as Extract<JournalRecord, { type: typeof T_JOB }>).job, job);
    const zero = storedJob({ body: "b", priority: 0, round: 1, key: "k", keyExpiresAt: T0 + 1 });
    const zeroBack = decodeOne(encode((enc) => writeJob(enc, 0, zero)));
    assert.deepEqual((zeroBack as Extract<JournalRecord, { type: typeof T_JOB }>).job, zero);
  });

  it("T_IDEMKEY round-trips", () => {
    const change = {
      type: "idemkey",
      queue: "q",
      key: "k".repeat(MAX_KEY_BYTES),
      id: ID,
      seq: 42,
      expiresAt: T0 + 86_400_000,
    } as const;
    const back = decodeOne(encode((enc) => writeChange(enc, 0, change)));
    assert.deepEqual(back, { ...change, type: T_IDEMKEY });
  });

  it("a policy's rate limit (as text) and group limit round-trip; a policy without them is written as before", () => {
    const policy = { retryBudget: 3, rateLimit: { count: 100, periodMs: 1000 }, groupLimit: 2 };
    const record = encode((enc) => writeChange(enc, 0, { type: "policy", queue: "q", policy }));
    assert.ok(record.includes(Buffer.from('"rateLimit":"100/1s"')));
    assert.deepEqual(decodeOne(record), { type: T_POLICY, queue: "q", policy });
    const old = encode((enc) =>
      writeChange(enc, 0, { type: "policy", queue: "q", policy: { retryBudget: 3 } }),
    );
    assert.ok(old.includes(Buffer.from('{"retryBudget":3}')));
  });
});

describe("a restart of the embedded store keeps the scheduling state", () => {
  it("keeps priorities, groups and the rounds' order; a delivered job comes back to its place", async () => {
    const j = await JournaledEngine.open(new ManualClock(T0));
    try {
      const add = (b: string, extra: object) =>
        j.engine.addJob({ queue: "q", body: Buffer.from(b), ...extra }).id;
      add("a1", { group: "a" });
      add("a2", { group: "a" });
      add("a3", { group: "a", priority: 5 });
      add("b1", { group: "b" });
      add("u1", {});
      const order = () => j.engine.qpeek("q", 10).map((info) => info.body.toString());
      const before = order();
      assert.deepEqual(before, ["a3", "a1", "b1", "u1", "a2"]);
      j.engine.getJobs({ queues: ["q"], count: 2, nohang: true, timeoutMs: 0 });
      await j.reopen();
      assert.deepEqual(order(), before);
      const info = j.engine.qpeek("q", 1)[0]!;
      assert.deepEqual([info.priority, info.group], [5, "a"]);
      // a new group after the restart comes within one round: ahead of a's second job
      add("c1", { group: "c" });
      assert.deepEqual(order(), ["a3", "a1", "b1", "u1", "c1", "a2"]);
    } finally {
      await j.close();
    }
  });

  it("keeps idempotency keys, also those whose job is gone, through the journal and through compaction", async () => {
    const j = await JournaledEngine.open(new ManualClock(T0));
    try {
      const kept = j.engine.addJob({ queue: "q", body: Buffer.from("a"), key: "live" });
      const gone = j.engine.addJob({ queue: "q", body: Buffer.from("b"), key: "gone", keyTtl: 60 });
      assert.equal(j.engine.ackJobs([gone.id]), 1);
      const check = () => {
        const live = j.engine.addJob({ queue: "q", body: Buffer.from("x"), key: "live" });
        assert.deepEqual(
          [live.id, live.seq, live.duplicate, live.state],
          [kept.id, kept.seq, true, "queued"],
        );
        const acked = j.engine.addJob({ queue: "q", body: Buffer.from("x"), key: "gone" });
        assert.deepEqual([acked.id, acked.seq, acked.state], [gone.id, gone.seq, "acked"]);
      };
      await j.reopen();
      check();
      await j.compact();
      await j.reopen();
      check();
      assert.equal(j.engine.qlen("q"), 1);
      j.clock.advance(60_000); // the acked job's key expires; the other lives 24 h
      await j.reopen();
      assert.equal(j.engine.addJob({ queue: "q", body: Buffer.from("c"), key: "gone" }).duplicate, undefined);
      assert.equal(j.engine.qlen("q"), 2);
    } finally {
      await j.close();
    }
  });

  it("keeps the policy's rate and group limits; the rate state restarts with a fresh burst", async () => {
    const j = await JournaledEngine.open(new ManualClock(T0));
    try {
      const policy = { rateLimit: { count: 1, periodMs: 60_000 }, groupLimit: 1 };
      j.engine.setQueuePolicy("q", policy);
      for (const b of ["a", "b", "c"]) j.engine.addJob({ queue: "q", body: Buffer.from(b), group: b });
      const take = () => j.engine.getJobs({ queues: ["q"], count: 5, nohang: true, timeoutMs: 0 });
      assert.equal((take() as unknown[]).length, 1);
      assert.equal(take(), null);
      await j.reopen();
      assert.deepEqual(j.engine.queuePolicy("q"), policy);
      assert.equal(j.engine.qstat("q")!.rateLimitedUntil, null);
      assert.equal((take() as unknown[]).length, 1, "a fresh burst");
      assert.equal(take(), null);
    } finally {
      await j.close();
    }
  });
});

describe("a snapshot's idempotency keys", () => {
  it("are written in slices after everything else, each once, before the end record", async () => {
    const dir = mkdtempSync(join(tmpdir(), "docket-keys-"));
    try {
      const keys = Array.from({ length: 5000 }, (_, i) => ({
        queue: "q",
        key: `k${i}`,
        id: ID,
        seq: i + 1,
        expiresAt: T0 + 60_000,
      }));
      const source: SnapshotSource = {
        jobsFrom: () => [],
        jobCount: () => 0,
        pausedQueues: () => [],
        taskNumberEntries: () => [],
        deadLetterEntries: () => [],
        resultEntries: () => [],
        policyEntries: () => [["q", { groupLimit: 2 }]],
        scheduleEntries: () => [],
        orphanKeys: () => keys,
        peekNextSeq: () => 5001,
      };
      const result = await writeSnapshot(source, { fs: nodeFs, dir, generation: 3, sliceMs: 0 });
      assert.ok(result && result.slices > 1, `slices: ${result?.slices}`);
      const types: number[] = [];
      const read: string[] = [];
      await scanFile(nodeFs, result.path, { tailAllowed: false, repair: false }, (record) => {
        types.push(record.type);
        if (record.type === T_IDEMKEY) read.push(record.key);
      });
      assert.deepEqual(
        read,
        keys.map((k) => k.key),
      );
      assert.deepEqual(types.slice(0, 2), [T_HEADER, T_POLICY]);
      assert.equal(types.at(-1), T_SNAPSHOT_END);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
