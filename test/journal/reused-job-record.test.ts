import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Engine, ManualClock } from "../../src/stores/embedded/engine/index.js";
import type { StoredJob } from "../../src/stores/embedded/engine/restore.js";
import {
  FRAME_HEADER,
  RecordEncoder,
  RecordFormatError,
  T_DELETE,
  checkFrame,
  decodeRecord,
  writeDelete,
  writeJob,
  type JournalRecord,
} from "../../src/stores/embedded/journal/record.js";
import { ReusedJobRecord } from "../../src/stores/embedded/journal/reused-job-record.js";
import { storedJob } from "../helpers/journal.js";

/**
 * Recovery's decoder (journal/reused-job-record.ts) decodes every job
 * record into one reused object with its id left as bytes: each record
 * must still read exactly as decodeRecord reads it, whatever the record
 * before it set (a rare field, or a damaged record that threw half-way).
 */

/** Each job's frame body (type byte first), encoded from file offset 0. */
function bodyOf(job: StoredJob): Buffer {
  const enc = new RecordEncoder();
  writeJob(enc, 0, job);
  const frame = Buffer.concat(enc.take());
  const length = checkFrame(frame, 0, frame.length, 0);
  assert.ok(length > 0);
  return frame.subarray(FRAME_HEADER, FRAME_HEADER + length);
}

/**
 * The job's fields as plain data: the reused one's id and body are getters
 * (its body a Buffer, decodeRecord's small one a latin1 string: compared
 * as bytes), and its absent fields are undefined.
 */
function plain(record: JournalRecord): Record<string, unknown> {
  assert.ok("job" in record);
  const out: Record<string, unknown> = { id: record.job.id };
  for (const [key, value] of Object.entries(record.job)) {
    if (value !== undefined && key !== "idText" && key !== "bodyRange") out[key] = value;
  }
  const body = record.job.body;
  out.body = typeof body === "string" ? Buffer.from(body, "latin1") : body;
  return out;
}

const id = (n: number) => `D-0123abcd-AAAAAAAAAAAAAAAAAAAAAA${String(n).padStart(2, "0")}-05a1`;

/** A job with every rare field set: the next plain job must not inherit any of them. */
const rich = storedJob({
  id: id(2),
  seq: 20,
  rank: 3,
  delay: 30,
  repl: 3,
  awakeAt: 1_700_000_100_000,
  nacks: 4,
  additionalDeliveries: 2,
  clientKey: "event-9",
  retryBudget: 5,
  retryBudgetLeft: 1,
  backoff: { type: "exponential", delayMs: 100, maxMs: 10_000, jitter: true },
  runTimeoutMs: 30_000,
  attempts: [{ at: 1_700_000_050_000, cause: "nack", error: "boom" }],
  backingOff: true,
  retryOnlyBudget: true,
  origin: "taskq",
  priority: 7,
  round: 2,
  group: "tenant-1",
  key: "once",
  keyExpiresAt: 1_700_000_900_000,
  schedule: "nightly",
});

describe("recovery's reused job record", () => {
  it("reads every job record as decodeRecord does, whatever the record before it set", () => {
    const jobs = [
      storedJob({ id: id(1), seq: 1, rank: 1 }),
      rich,
      storedJob({ id: id(3), seq: 30, rank: 30, queue: "other", body: Buffer.alloc(5000, 7) }),
      rich,
      rich,
      storedJob({ id: id(4), seq: 40, rank: 40, body: Buffer.from("x") }),
    ];
    const reused = new ReusedJobRecord();
    for (const job of jobs) {
      const body = bodyOf(job);
      assert.deepEqual(plain(reused.decode(body, 0, body.length)), plain(decodeRecord(body, 0, body.length)));
    }
  });

  it("reads the job after a damaged one as decodeRecord does (the damaged one throws, setting fields first)", () => {
    const reused = new ReusedJobRecord();
    const first = bodyOf(storedJob({ id: id(1), seq: 1, rank: 1 }));
    reused.decode(first, 0, first.length);
    // the rich job cut inside its last field: the fields before it are decoded, then it throws
    const cut = bodyOf(rich);
    assert.throws(() => reused.decode(cut, 0, cut.length - 2), RecordFormatError);
    const next = bodyOf(storedJob({ id: id(5), seq: 50, rank: 50 }));
    assert.deepEqual(plain(reused.decode(next, 0, next.length)), plain(decodeRecord(next, 0, next.length)));
  });

  it("an expired job the engine holds for a later dead letter is its own copy, not the reused object", () => {
    const now = 1_700_000_000_000;
    const engine = new Engine({ clock: new ManualClock(now), onChange: () => undefined });
    const reused = new ReusedJobRecord();
    const replay = (job: StoredJob) => {
      const body = bodyOf(job);
      const record = reused.decode(body, 0, body.length);
      assert.ok("job" in record);
      return engine.apply({ type: "add", job: record.job });
    };
    const expired = storedJob({
      id: id(1),
      seq: 1,
      rank: 1,
      createdAt: now - 20_000,
      ttl: 10,
      body: Buffer.from("old"),
    });
    assert.equal(replay(expired), false);
    assert.equal(
      replay(storedJob({ id: id(2), seq: 2, rank: 2, createdAt: now, body: Buffer.from("new") })),
      true,
    );
    engine.apply({ type: "deadletter", id: id(1), queue: "", reason: "ttl", at: now });
    const letters = [...engine.deadLetterEntries()];
    assert.deepEqual(
      letters.map((letter) => [letter.job.id, letter.job.seq, Buffer.from(letter.job.body).toString()]),
      [[id(1), 1, "old"]],
    );
  });

  it("decodes the other records as decodeRecord does", () => {
    const enc = new RecordEncoder();
    writeDelete(enc, 0, id(1), "ack");
    const frame = Buffer.concat(enc.take());
    const body = frame.subarray(FRAME_HEADER);
    const record = new ReusedJobRecord().decode(body, 0, body.length);
    assert.equal(record.type, T_DELETE);
    assert.deepEqual(record, decodeRecord(body, 0, body.length));
  });
});
