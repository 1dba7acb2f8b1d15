import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { nodeFs } from "../../src/stores/embedded/journal/fs.js";
import { CorruptFileError, scanFile } from "../../src/stores/embedded/journal/reader.js";
import {
  RecordEncoder,
  T_JOB,
  writeCounters,
  writeDelete,
  writeHeader,
  writeJob,
  writePause,
  type JournalRecord,
} from "../../src/stores/embedded/journal/record.js";
import { storedJob } from "../helpers/journal.js";

/** A journal of a few records of every kind; returns the bytes and where each record starts. */
function sampleJournal(): { file: Buffer; starts: number[] } {
  const enc = new RecordEncoder();
  const starts: number[] = [];
  let offset = 0;
  const add = (size: number) => {
    offset += size;
  };
  const at = () => {
    starts.push(offset);
    return offset;
  };
  add(writeHeader(enc, at(), "journal", 1, 1_700_000_000_000));
  for (let i = 1; i <= 6; i++) {
    const id = `D-0123abcd-AAAAAAAAAAAAAAAAAAAAAA${String(i).padStart(2, "0")}-05a1`;
    add(writeJob(enc, at(), storedJob({ id, seq: i, rank: i, body: Buffer.alloc(i * 7, i) })));
    if (i % 2 === 0) add(writeCounters(enc, at(), id, i, 0));
    if (i % 3 === 0) add(writeDelete(enc, at(), id, "ack"));
  }
  add(writePause(enc, at(), "q", "all"));
  return { file: Buffer.concat(enc.take()), starts };
}

const dir = mkdtempSync(join(tmpdir(), "docket-reader-"));
after(() => rmSync(dir, { recursive: true, force: true }));

async function scan(bytes: Buffer, options: { repair?: boolean; tailAllowed?: boolean } = {}) {
  const path = join(dir, "journal-1.log");
  writeFileSync(path, bytes);
  const records: JournalRecord[] = [];
  const offsets: number[] = [];
  const result = await scanFile(
    nodeFs,
    path,
    { repair: options.repair ?? false, tailAllowed: options.tailAllowed ?? true },
    (record, offset) => {
      records.push(record);
      offsets.push(offset);
    },
  );
  return { result, records, offsets, path };
}

describe("journal reader: torn tails and corrupt records", () => {
  const { file, starts } = sampleJournal();
  const ends = [...starts.slice(1), file.length];

  it("reads a whole file", async () => {
    const { result, records, offsets } = await scan(file);
    assert.equal(result.records, starts.length);
    assert.deepEqual(offsets, starts);
    assert.equal(result.tail, undefined);
    assert.equal(result.end, file.length);
    assert.equal(records.filter((r) => r.type === T_JOB).length, 6);
  });

  it("a tail torn at every byte offset is cut after the last whole record", async () => {
    for (let cut = 0; cut <= file.length; cut++) {
      const { result, offsets } = await scan(file.subarray(0, cut));
      const whole = ends.filter((end) => end <= cut).length;
      const validEnd = whole === 0 ? 0 : ends[whole - 1]!;
      assert.equal(offsets.length, whole, `cut at ${cut}`);
      assert.equal(result.end, validEnd, `cut at ${cut}`);
      if (cut === validEnd) assert.equal(result.tail, undefined);
      else assert.deepEqual(result.tail, { offset: validEnd, bytes: cut - validEnd }, `cut at ${cut}`);
    }
  });

  it("a tail of garbage or zeros after whole records is cut", async () => {
    for (const junk of [Buffer.alloc(4096), Buffer.from("not a record at all"), Buffer.alloc(3, 0xff)]) {
      const { result, offsets } = await scan(Buffer.concat([file, junk]));
      assert.equal(offsets.length, starts.length);
      assert.deepEqual(result.tail, { offset: file.length, bytes: junk.length });
    }
  });

  it("a damaged last record is a tail; a damaged record before others stops the scan", async () => {
    for (let i = 0; i < starts.length; i++) {
      // damage the length, the checksum, the type byte and the payload in turn
      for (const at of [starts[i]!, starts[i]! + 5, starts[i]! + 8, ends[i]! - 1]) {
        const bad = Buffer.from(file);
        bad[at]! ^= 0x40;
        const last = i === starts.length - 1;
        if (last) {
          const { result, offsets } = await scan(bad);
          assert.equal(offsets.length, starts.length - 1);
          assert.deepEqual(result.tail, { offset: starts[i], bytes: file.length - starts[i]! });
          continue;
        }
        await assert.rejects(scan(bad), (error: Error) => {
          assert.ok(error instanceof CorruptFileError, String(error));
          assert.equal(error.offset, starts[i]);
          assert.match(error.message, /journal-1\.log: corrupt record at offset \d+/);
          assert.match(error.message, new RegExp(`offset ${starts[i]}:`));
          assert.match(error.message, new RegExp(`valid records at offset ${starts[i + 1]}`));
          assert.match(error.message, /--repair/);
          return true;
        });
        // with repair, only the damaged record is lost
        const { result, offsets } = await scan(bad, { repair: true });
        assert.deepEqual(
          offsets,
          starts.filter((_, j) => j !== i),
          `record ${i}, byte ${at}`,
        );
        assert.deepEqual(result.skipped, [{ offset: starts[i], bytes: ends[i]! - starts[i]! }]);
      }
    }
  });

  it("a lost page in the middle (zeros over several records) stops the scan", async () => {
    const zeroed = Buffer.from(file);
    zeroed.fill(0, starts[2]! + 3, starts[5]! + 1);
    await assert.rejects(
      scan(zeroed),
      (error: Error) => error instanceof CorruptFileError && error.offset === starts[2],
    );
    const { offsets } = await scan(zeroed, { repair: true });
    assert.deepEqual(offsets, [...starts.slice(0, 2), ...starts.slice(6)]);
  });

  it("a snapshot must not have a damaged tail", async () => {
    const cut = file.subarray(0, file.length - 2);
    await assert.rejects(scan(cut, { tailAllowed: false }), /ends with a damaged record/);
    const { result } = await scan(cut, { tailAllowed: false, repair: true });
    assert.equal(result.tail?.offset, starts[starts.length - 1]);
  });

  it("an empty file has no records and nothing to cut", async () => {
    const { result } = await scan(Buffer.alloc(0));
    assert.equal(result.records, 0);
    assert.equal(result.tail, undefined);
  });
});
