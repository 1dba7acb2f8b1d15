import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { crc32, crc32Range, crc32Table } from "../../src/stores/embedded/journal/checksum.js";
import {
  FRAME_HEADER,
  RecordEncoder,
  T_COUNTERS,
  T_DELETE,
  T_FLUSHALL,
  T_HEADER,
  T_JOB,
  T_PAUSE,
  T_SNAPSHOT_END,
  checkFrame,
  decodeRecord,
  writeChange,
  writeCounters,
  writeDelete,
  writeFlushAll,
  writeHeader,
  writeJob,
  writePause,
  writeSnapshotEnd,
  type JournalRecord,
} from "../../src/stores/embedded/journal/record.js";
import { SMALL_BODY_BYTES } from "../../src/stores/embedded/engine/body-arena.js";
import type { StoredJob } from "../../src/stores/embedded/engine/restore.js";
import { storedJob } from "../helpers/journal.js";

/** Encodes records back to back from file offset 0 into one Buffer. */
function encodeFile(write: (enc: RecordEncoder, offset: number) => number, count = 1): Buffer {
  const enc = new RecordEncoder();
  let offset = 0;
  for (let i = 0; i < count; i++) offset += write(enc, offset);
  return Buffer.concat(enc.take());
}

/** Checks and decodes every frame of `file` (job bodies as Buffers: see bodyForms). */
function decodeAll(file: Buffer): JournalRecord[] {
  return decodeRaw(file).map((record) => {
    if ("job" in record && typeof record.job.body === "string") {
      return { ...record, job: { ...record.job, body: Buffer.from(record.job.body, "latin1") } };
    }
    return record;
  });
}

/** As decodeAll, bodies as decoded: small ones are latin1 strings, as Job keeps them. */
function decodeRaw(file: Buffer): JournalRecord[] {
  const out: JournalRecord[] = [];
  let at = 0;
  while (at < file.length) {
    const length = checkFrame(file, at, file.length, at);
    assert.ok(length > 0, `valid frame at ${at}`);
    out.push(decodeRecord(file, at + FRAME_HEADER, at + FRAME_HEADER + length));
    at += FRAME_HEADER + length;
  }
  return out;
}

describe("journal record format", () => {
  it("decodes bodies up to SMALL_BODY_BYTES as latin1 strings, bigger ones as Buffers, bytes intact", () => {
    const small = randomBytes(SMALL_BODY_BYTES);
    const big = randomBytes(SMALL_BODY_BYTES + 1);
    const file = encodeFile((enc, offset) => {
      let size = writeJob(enc, offset, storedJob({ body: small, seq: 1 }));
      size += writeJob(enc, offset + size, storedJob({ body: small.toString("latin1"), seq: 2 }));
      size += writeJob(enc, offset + size, storedJob({ body: big, seq: 3 }));
      return size;
    });
    const bodies = decodeRaw(file).map((record) => (record as { job: StoredJob }).job.body);
    assert.equal(typeof bodies[0], "string");
    assert.ok(Buffer.from(bodies[0] as string, "latin1").equals(small));
    assert.equal(bodies[1], bodies[0], "a string body is written as the same bytes");
    assert.ok(Buffer.isBuffer(bodies[2]) && bodies[2].equals(big));
  });

  it("crc32: native and table-driven agree, standard check value", () => {
    assert.equal(crc32Table(Buffer.from("123456789")), 0xcbf43926);
    assert.equal(crc32(Buffer.from("123456789")), 0xcbf43926);
    for (let i = 0; i < 50; i++) {
      const data = randomBytes(i * 37);
      assert.equal(crc32(data), crc32Table(data));
      const cut = Math.floor(data.length / 3);
      assert.equal(crc32(data.subarray(cut), crc32(data.subarray(0, cut))), crc32Table(data));
      assert.equal(crc32(data, 12345), crc32Table(data, 12345));
    }
  });

  it("crc32Range (JS for small ranges, zlib for large) matches the reference on every length and alignment", () => {
    const data = randomBytes(2048);
    for (const length of [0, 1, 2, 3, 4, 5, 7, 8, 9, 31, 100, 511, 512, 513, 1500]) {
      for (const from of [0, 1, 2, 3, 5]) {
        const part = data.subarray(from, from + length);
        assert.equal(crc32Range(data, from, from + length, 0xdeadbeef), crc32Table(part, 0xdeadbeef));
        assert.equal(crc32Range(data, from, from + length), crc32Table(part));
      }
    }
  });

  it("every record type round-trips", () => {
    const job = storedJob({
      delay: 30,
      awakeAt: 1_700_000_030_123,
      nacks: 2,
      additionalDeliveries: 3,
      repl: 1,
    });
    const file = encodeFile((enc, offset) => {
      let size = writeHeader(enc, offset, "journal", 4, 1_700_000_000_000);
      size += writeJob(enc, offset + size, job);
      size += writeDelete(enc, offset + size, job.id, "fastack");
      size += writeCounters(enc, offset + size, job.id, 5, 6);
      size += writePause(enc, offset + size, "naïve queue ☃", "out");
      size += writeFlushAll(enc, offset + size);
      size += writeSnapshotEnd(enc, offset + size, 42, 1_000_001);
      return size;
    });
    assert.deepEqual(decodeAll(file), [
      {
        type: T_HEADER,
        format: 1,
        kind: "journal",
        generation: 4,
        createdAt: 1_700_000_000_000,
        manifest: true,
      },
      { type: T_JOB, job },
      { type: T_DELETE, id: job.id, reason: "fastack" },
      { type: T_COUNTERS, id: job.id, nacks: 5, additionalDeliveries: 6 },
      { type: T_PAUSE, queue: "naïve queue ☃", state: "out" },
      { type: T_FLUSHALL },
      { type: T_SNAPSHOT_END, jobs: 42, nextSeq: 1_000_001 },
    ]);
  });

  it("jobs: defaults left out, front ranks, empty and binary bodies, big bodies by reference", () => {
    const jobs = [
      storedJob(),
      storedJob({ rank: -3, seq: 9 }),
      storedJob({ body: Buffer.alloc(0), queue: "" }),
      storedJob({ body: randomBytes(1000) }),
      storedJob({ body: randomBytes(200_000), retry: 0 }), // external chunk
      storedJob({ body: randomBytes(300_000) }), // bigger than a slab
    ];
    const enc = new RecordEncoder();
    let offset = 0;
    for (const job of jobs) offset += writeJob(enc, offset, job);
    const chunks = enc.take();
    assert.ok(
      chunks.some((chunk) => chunk === jobs[4]!.body),
      "a big body is written without a copy",
    );
    const decoded = decodeAll(Buffer.concat(chunks));
    assert.deepEqual(
      decoded.map((r) => (r.type === T_JOB ? r.job : r)),
      jobs,
    );
    // the default-valued fields cost nothing
    const plain = encodeFile((enc, at) => writeJob(enc, at, storedJob()));
    const busy = encodeFile((enc, at) =>
      writeJob(enc, at, storedJob({ nacks: 1, delay: 5, awakeAt: 9, rank: -1 })),
    );
    assert.equal(busy.length - plain.length, 5 + 5 + 9 + 9);
  });

  it("an add change records the delay end the engine sets right after", () => {
    const job = storedJob({ delay: 60, awakeAt: 0 });
    const file = encodeFile((enc, at) => writeChange(enc, at, { type: "add", job: job as never }));
    const [record] = decodeAll(file);
    assert.equal(record!.type, T_JOB);
    if (record!.type === T_JOB) assert.equal(record!.job.awakeAt, job.createdAt + 60_000);
  });

  it("a frame is valid only at the offset it was written for", () => {
    const enc = new RecordEncoder();
    writeJob(enc, 1000, storedJob());
    const frame = Buffer.concat(enc.take());
    assert.ok(checkFrame(frame, 0, frame.length, 1000) > 0);
    assert.equal(checkFrame(frame, 0, frame.length, 0), -1);
    assert.equal(checkFrame(frame, 0, frame.length, 1001), -1);
  });

  it("any flipped bit fails the check; a short buffer is incomplete", () => {
    const file = encodeFile((enc, at) => writeJob(enc, at, storedJob()));
    for (let i = 0; i < file.length; i++) {
      for (const bit of [0x01, 0x80]) {
        const copy = Buffer.from(file);
        copy[i]! ^= bit;
        assert.equal(checkFrame(copy, 0, copy.length, 0), -1, `flip at byte ${i}`);
      }
    }
    for (let cut = 0; cut < file.length; cut++) assert.equal(checkFrame(file, 0, cut, 0), -1);
  });

  it("fields a newer version added are skipped by their wire kind", () => {
    const enc = new RecordEncoder();
    const job = storedJob();
    enc.record(T_JOB, 0, () => {
      enc.string(0x61, job.id, "latin1");
      enc.f64(0x3f, 1.5); // unknown f64
      enc.u32(0x5f, 77); // unknown u32
      enc.bytes(0x7f, Buffer.from("future")); // unknown bytes
      enc.f64(0x21, job.seq);
      enc.string(0x62, job.queue, "utf8");
      enc.f64(0x22, job.createdAt);
      enc.u32(0x41, job.ttl);
      enc.u32(0x42, job.retry);
      enc.bytes(0x63, typeof job.body === "string" ? Buffer.from(job.body, "latin1") : job.body);
    });
    const [record] = decodeAll(Buffer.concat(enc.take()));
    assert.deepEqual(record, { type: T_JOB, job });
  });

  it("a record that cannot be encoded leaves the encoder exactly as it was, and says which field", () => {
    // Out of a u32's range, or not an integer: each must be refused before any byte is kept.
    const absurd = [2 ** 32, 1e300, NaN, -1, 1.5, Infinity];
    // A queue name bigger than a slab: the failing record has cut the slab before it throws.
    const queues = ["emails", "q".repeat(300 * 1024)];
    for (const queue of queues) {
      for (const ttl of absurd) {
        const enc = new RecordEncoder();
        let offset = 0;
        // fill most of the first slab so the failing record straddles a slab boundary
        for (let i = 0; i < 1800; i++)
          offset += writeJob(enc, offset, storedJob({ seq: i + 1, rank: i + 1 }));
        const pending = enc.pendingBytes;
        assert.throws(
          () => writeJob(enc, offset, storedJob({ queue, ttl })),
          (error: Error) => error instanceof RangeError && /ttl/.test(error.message),
          `ttl ${ttl}`,
        );
        assert.equal(enc.pendingBytes, pending);
        offset += writeJob(enc, offset, storedJob({ seq: 5000, rank: 5000, body: Buffer.from("after") }));
        const file = Buffer.concat(enc.take());
        assert.equal(file.length, offset, `ttl ${ttl}, queue of ${queue.length}: no stray bytes`);
        const records = decodeAll(file);
        assert.equal(records.length, 1801);
        assert.deepEqual(records[1800], {
          type: T_JOB,
          job: storedJob({ seq: 5000, rank: 5000, body: Buffer.from("after") }),
        });
      }
    }
  });

  it("a big body handed over by reference, then a field that does not fit: neither is kept", () => {
    const enc = new RecordEncoder();
    const first = writeJob(enc, 0, storedJob());
    assert.throws(
      () =>
        enc.record(T_JOB, first, () => {
          enc.bytes(0x63, randomBytes(100 * 1024));
          enc.u32(0x45, -1);
        }),
      /nacks -1/,
    );
    const size = writeJob(enc, first, storedJob({ seq: 8, rank: 8 }));
    const file = Buffer.concat(enc.take());
    assert.equal(file.length, first + size);
    assert.deepEqual(
      decodeAll(file).map((record) => (record.type === T_JOB ? record.job.seq : 0)),
      [7, 8],
    );
  });
});
