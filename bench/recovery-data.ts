/**
 * Data directories for the recovery benchmarks (bench/recovery.ts,
 * bench/journal.ts): jobs written as the server writes them, either as one
 * journal of adds or as one snapshot (with an empty journal after it), and
 * a server started on them, timed.
 */
import { randomBytes } from "node:crypto";
import { closeSync, mkdirSync, openSync, writeFileSync, writevSync } from "node:fs";
import { join } from "node:path";
import { formatManifest } from "../src/stores/embedded/journal/manifest.js";
import {
  RecordEncoder,
  writeHeader,
  writeJob,
  writeSnapshotEnd,
} from "../src/stores/embedded/journal/record.js";

export type RecoverFrom = "journal" | "snapshot";

export interface RecoveryData {
  jobs: number;
  /** bytes of each job's body */
  bodyBytes: number;
  /** jobs spread round-robin over this many queues */
  queues: number;
  as: RecoverFrom;
}

/** Writes the jobs into `dir`; returns the bytes of the file that holds them. */
export function writeDataDir(dir: string, data: RecoveryData): number {
  const { jobs, as } = data;
  mkdirSync(dir, { recursive: true });
  const file = join(dir, as === "journal" ? "journal-1.log" : "snapshot-1.snap");
  const fd = openSync(file, "w");
  const enc = new RecordEncoder();
  let offset = 0;
  offset += writeHeader(enc, offset, as, 1, Date.now());
  const random = randomBytes(18 * 4096);
  const now = Date.now();
  const body = Buffer.from("x".repeat(data.bodyBytes));
  const queues = Array.from({ length: data.queues }, (_, i) => `queue-${i}`);
  for (let seq = 1; seq <= jobs; seq++) {
    const r = (seq % 4096) * 18;
    random.writeUInt32LE(seq, r); // unique
    const id = `D-0badcafe-${random.toString("base64", r, r + 18)}-05a1`;
    offset += writeJob(enc, offset, {
      id,
      seq,
      queue: queues[seq % queues.length]!,
      body,
      createdAt: now,
      ttl: 86400,
      retry: 300,
      delay: 0,
      repl: 1,
      rank: seq,
      nacks: 0,
      additionalDeliveries: 0,
      awakeAt: 0,
    });
    if (enc.pendingBytes > 4 * 1024 * 1024) writevSync(fd, enc.take());
  }
  if (as === "snapshot") offset += writeSnapshotEnd(enc, offset, jobs, jobs + 1);
  writevSync(fd, enc.take());
  closeSync(fd);
  let journalBytes = offset;
  if (as === "snapshot") {
    const journal = new RecordEncoder();
    journalBytes = writeHeader(journal, 0, "journal", 1, Date.now());
    writeFileSync(join(dir, "journal-1.log"), Buffer.concat(journal.take()));
  }
  // The headers say the files were written with a MANIFEST: one that lists them, as the server's would.
  const snapshot = as === "snapshot" ? { name: "snapshot-1.snap", bytes: offset } : undefined;
  const manifest = { snapshot, journals: [{ name: "journal-1.log", bytes: journalBytes }] };
  writeFileSync(join(dir, "MANIFEST"), formatManifest(manifest));
  return offset;
}

/** The "journal loaded" log line's figures: the replay's own time and what it found. */
export function loadedLine(lines: string[]): { ms: number; jobs: number } {
  const line = lines.find((l) => l.includes('"journal loaded"'));
  if (!line) throw new Error(`no "journal loaded" line in:\n${lines.join("\n")}`);
  return JSON.parse(line) as { ms: number; jobs: number };
}
