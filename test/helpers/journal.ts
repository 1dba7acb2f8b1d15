import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { StoredJob } from "../../src/stores/embedded/engine/index.js";
import { formatManifest, parseManifest } from "../../src/stores/embedded/journal/manifest.js";
import {
  FRAME_HEADER,
  RecordEncoder,
  checkFrame,
  decodeRecord,
  type JournalRecord,
} from "../../src/stores/embedded/journal/record.js";

/** A job as the journal stores it, with test defaults. */
export function storedJob(overrides: Partial<StoredJob> = {}): StoredJob {
  return {
    id: "D-0123abcd-AAAAAAAAAAAAAAAAAAAAAAAA-05a1",
    seq: 7,
    queue: "emails",
    body: Buffer.from("send the welcome mail"),
    createdAt: 1_700_000_000_123,
    ttl: 86400,
    retry: 300,
    delay: 0,
    repl: 1,
    rank: 7,
    nacks: 0,
    additionalDeliveries: 0,
    awakeAt: 0,
    ...overrides,
  };
}

/**
 * Sets the durable length the MANIFEST records for the newest journal, as
 * if the server had been killed before it recorded its latest fsyncs: the
 * bytes after it are then a tail a crash may have torn.
 */
export function setRecordedDurable(dir: string, bytes: number): void {
  const path = join(dir, "MANIFEST");
  const manifest = parseManifest(path, readFileSync(path, "utf8"));
  manifest.journals[manifest.journals.length - 1]!.bytes = bytes;
  writeFileSync(path, formatManifest(manifest));
}

/** The bytes of the records `write` encodes. */
export function encodeRecords(write: (enc: RecordEncoder) => number): Buffer {
  const enc = new RecordEncoder();
  write(enc);
  return Buffer.concat(enc.take());
}

/** The first record of `file`, which must be a valid frame. */
export function decodeOne(file: Buffer): JournalRecord {
  const length = checkFrame(file, 0, file.length, 0);
  assert.ok(length > 0, "a valid frame");
  return decodeRecord(file, FRAME_HEADER, FRAME_HEADER + length);
}
