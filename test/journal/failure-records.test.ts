import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Change } from "../../src/core/changes.js";
import { parseBackoff } from "../../src/core/failures.js";
import { MAX_ATTEMPTS_KEPT, MAX_ERROR_BYTES } from "../../src/core/limits.js";
import {
  F_ATTEMPT,
  F_ID,
  F_POLICY,
  F_QUEUE,
  RecordFormatError,
  T_FAILED,
  T_JOB,
  T_POLICY,
  checkFrame,
  writeChange,
  writeJob,
} from "../../src/stores/embedded/journal/record.js";
import { decodeOne, encodeRecords as encode, storedJob } from "../helpers/journal.js";

/** The journal records of the failure state: each round-trips; a malformed value is a format error. */

const ID = "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA-05a1";
const ID2 = "D-0123abcd-BBBBBBBBBBBBBBBBBBBBBBBB-05a1";
const longError = "é".repeat(MAX_ERROR_BYTES / 2);

describe("journal records of the failure state", () => {
  it("a job's budget, policy, run time-out, attempts and backoff flag round-trip", () => {
    const attempts = Array.from({ length: MAX_ATTEMPTS_KEPT }, (_, i) => ({
      at: 1_700_000_000_000 + i,
      cause: (["nack", "lease", "timeout"] as const)[i % 3]!,
      error: i === 0 ? longError : `e${i}`,
    }));
    const job = storedJob({
      retryBudget: 5,
      retryBudgetLeft: 2,
      backoff: parseBackoff("exponential:1000:60000:jitter"),
      runTimeoutMs: 30_000,
      attempts,
      backingOff: true,
      awakeAt: 1_700_000_009_000,
    });
    const decoded = decodeOne(encode((enc) => writeJob(enc, 0, job)));
    assert.equal(decoded.type, T_JOB);
    assert.deepEqual({ ...decoded.job, body: Buffer.from(decoded.job.body as string, "latin1") }, job);
  });

  it("a plain job is written as before: none of the new fields", () => {
    const plain = storedJob();
    const decoded = decodeOne(encode((enc) => writeJob(enc, 0, plain)));
    assert.ok(decoded.type === T_JOB);
    for (const key of ["retryBudget", "backoff", "runTimeoutMs", "attempts", "backingOff"]) {
      assert.equal(key in decoded.job, false, key);
    }
  });

  it("every new change round-trips", () => {
    const attempt = { at: 1_700_000_000_001, cause: "timeout" as const, error: longError };
    const changes: Change[] = [
      {
        type: "failed",
        id: ID,
        rank: -3,
        nacks: 2,
        additionalDeliveries: 1,
        retryBudget: 4,
        retryBudgetLeft: 1,
        awakeAt: 1_700_000_005_000,
        attempt,
      },
      {
        type: "failed",
        id: ID,
        rank: 7,
        nacks: 1,
        additionalDeliveries: 0,
        retryBudget: -1,
        retryBudgetLeft: -1,
        awakeAt: 0,
        attempt: { at: 1, cause: "nack", error: "" },
      },
      { type: "deadletter", id: ID, queue: "", reason: "retries exhausted", at: 5, attempt },
      { type: "deadletter", id: ID, queue: "", reason: "retries exhausted", at: 6, retryBudget: 2 },
      { type: "deadpurge", queue: "naïve ☃", ids: [ID, ID2], reason: "evict" },
      { type: "deadpurge", queue: "q", ids: [ID], reason: "purge" },
      {
        type: "result",
        id: ID,
        queue: "q",
        body: Buffer.from([0, 1, 2, 255]),
        completedAt: 10,
        expiresAt: 3_600_010,
      },
      {
        type: "policy",
        queue: "q",
        policy: { retryBudget: 3, backoff: parseBackoff("fixed:250"), runTimeoutMs: 9, deadLetterCap: 0 },
      },
      { type: "policy", queue: "q", policy: {} },
    ];
    for (const change of changes) {
      const decoded = decodeOne(encode((enc) => writeChange(enc, 0, change))) as Record<string, unknown>;
      const { type: _type, ...fields } = decoded;
      const { type: _kind, ...expected } = change as Record<string, unknown>;
      if (change.type === "deadletter") delete expected.queue; // not recorded: replay finds the job by id
      assert.deepEqual(fields, expected, change.type);
    }
  });

  it("a malformed attempt or policy is a format error, not a crash", () => {
    const badAttempt = encode((enc) =>
      enc.record(T_FAILED, 0, () => {
        enc.string(F_ID, ID, "latin1");
        enc.string(F_ATTEMPT, '[1, "exploded", ""]', "utf8");
      }),
    );
    assert.throws(() => decodeOne(badAttempt), RecordFormatError);
    const noAttempt = encode((enc) => enc.record(T_FAILED, 0, () => enc.string(F_ID, ID, "latin1")));
    assert.throws(() => decodeOne(noAttempt), RecordFormatError);
    const badPolicy = encode((enc) =>
      enc.record(T_POLICY, 0, () => {
        enc.string(F_QUEUE, "q", "utf8");
        enc.string(F_POLICY, '{"backoff":"sometimes"}', "utf8");
      }),
    );
    assert.throws(() => decodeOne(badPolicy), RecordFormatError);
    const notJson = encode((enc) =>
      enc.record(T_POLICY, 0, () => {
        enc.string(F_QUEUE, "q", "utf8");
        enc.string(F_POLICY, "{", "utf8");
      }),
    );
    assert.throws(() => decodeOne(notJson), RecordFormatError);
  });

  it("a record cut short fails the frame check", () => {
    const file = encode((enc) =>
      writeChange(enc, 0, {
        type: "result",
        id: ID,
        queue: "q",
        body: Buffer.from("r"),
        completedAt: 1,
        expiresAt: 2,
      }),
    );
    for (let cut = 1; cut < file.length; cut++) assert.equal(checkFrame(file, 0, cut, 0), -1);
  });
});
