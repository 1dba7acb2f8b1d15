import { join } from "node:path";
import { MANIFEST_FILE, TMP_SUFFIX, dataFiles, type DataFile } from "./files.js";
import type { JournalFs } from "./fs.js";
import { ManifestError, readManifest, type Manifest, type ManifestEntry } from "./manifest.js";
import { scanFile, type DamagedRange, type ScanResult } from "./reader.js";
import {
  FORMAT_VERSION,
  T_HEADER,
  T_JOB,
  T_SNAPSHOT_END,
  type FileKind,
  type JournalRecord,
} from "./record.js";

/**
 * Start-up: the newest snapshot, then every journal from its generation
 * on, replayed in order straight into the engine (no copy of the state is
 * built on the side). Every checksum is verified. The MANIFEST says which
 * files must be there and how many bytes of each were durable: a missing
 * file, a shorter one, or damage inside the durable part stops start-up.
 * Only the last journal may end with a damaged record, and only after its
 * durable part (a write cut short by a crash): it is cut off. With `repair`
 * start-up goes on with what is there and reports what it dropped.
 */

export interface RecoveryOptions {
  repair: boolean;
}

import { Replay, type RecoveryTarget } from "./replay.js";
import { ReusedJobRecord } from "./reused-job-record.js";

export type { RecoveryTarget };

export interface DamageReport extends DamagedRange {
  path: string;
}

export interface RecoveryResult {
  /** records read from every file */
  records: number;
  /** job records skipped because the job had expired */
  expired: number;
  /** bytes and count of the job records read: the average size estimates the live data */
  jobRecordBytes: number;
  jobRecords: number;
  snapshot: { generation: number; path: string; bytes: number; createdAt: number } | undefined;
  /** the journals replayed, oldest first: the last is appended to next */
  journals: Array<{ generation: number; path: string; bytes: number; hasHeader: boolean }>;
  /** the damaged tail cut from the last journal */
  tail: DamageReport | undefined;
  /** damaged ranges skipped with repair */
  skipped: DamageReport[];
  /** leftovers from an interrupted compaction, deleted */
  removed: string[];
  /** with --repair: what the files lack compared with the manifest, and what was cut */
  dropped: DroppedData[];
  /** the directory had files and no manifest: written by an older docket */
  legacy: boolean;
}

/** Data --repair started without: the file, why, and where. */
export interface DroppedData {
  file: string;
  detail: string;
  offset?: number;
  bytes?: number;
  /** records read from the file before the cut */
  recordsKept?: number;
}

export class RecoveryError extends Error {
  override name = "RecoveryError";
}

export async function recover(
  fs: JournalFs,
  dir: string,
  target: RecoveryTarget,
  options: RecoveryOptions,
): Promise<RecoveryResult> {
  await fs.mkdir(dir);
  const names = await fs.readdir(dir);
  const removed: string[] = [];
  for (const name of names) {
    if (name.endsWith(TMP_SUFFIX)) {
      await fs.unlink(join(dir, name));
      removed.push(name);
    }
  }
  const files = dataFiles(dir, names);
  const result: RecoveryResult = {
    records: 0,
    expired: 0,
    jobRecordBytes: 0,
    jobRecords: 0,
    snapshot: undefined,
    journals: [],
    tail: undefined,
    skipped: [],
    removed,
    dropped: [],
    legacy: false,
  };
  /** Something start-up must not guess about: an error, or with --repair, logged as dropped. */
  const problem = (drop: DroppedData, remedy: string): void => {
    if (!options.repair) throw new RecoveryError(`${drop.detail}; start with --repair to ${remedy}`);
    result.dropped.push(drop);
  };

  let manifest: Manifest | undefined;
  try {
    manifest = await readManifest(fs, dir);
  } catch (error) {
    if (!(error instanceof ManifestError)) throw error;
    problem({ file: join(dir, MANIFEST_FILE), detail: error.message }, "load the files that are there");
  }
  result.legacy = manifest === undefined && files.length > 0;
  const { base, journals, leftovers } =
    manifest && !options.repair
      ? await selectListed(fs, dir, manifest, files)
      : selectPresent(dir, files, manifest, options.repair, problem);
  const listed = new Map<string, number>();
  if (manifest?.snapshot) listed.set(manifest.snapshot.name, manifest.snapshot.bytes);
  for (const entry of manifest?.journals ?? []) listed.set(entry.name, entry.bytes);

  const replay = new Replay(target);
  target.beginRestore();
  const decode = new ReusedJobRecord().decode;
  const noteSkipped = (scan: ScanResult) => {
    for (const range of scan.skipped) result.skipped.push({ path: scan.path, ...range });
  };
  /** whether some file says it was written with a manifest */
  let managed = false;

  if (base) {
    const recorded = listed.get(base.name);
    const size = await sizeOf(fs, base.path);
    if (recorded !== undefined && size !== recorded) {
      problem(
        { file: base.path, detail: `${base.path} has ${size} bytes, the manifest recorded ${recorded}` },
        "load what it holds",
      );
    }
    let createdAt = 0;
    let ended = false;
    let expectedJobs = -1;
    let jobs = 0;
    const scan = await scanFile(
      fs,
      base.path,
      { repair: options.repair, tailAllowed: false, decode },
      (record, at, size) => {
        if (at === 0) {
          createdAt = checkHeader(base, record, "snapshot");
          managed ||= record.type === T_HEADER && record.manifest;
        } else if (record.type === T_JOB) jobs++;
        else if (record.type === T_SNAPSHOT_END) {
          ended = true;
          expectedJobs = record.jobs;
        }
        replay.apply(record, size);
      },
    );
    noteSkipped(scan);
    if (scan.tail) result.skipped.push({ path: scan.path, ...scan.tail });
    if (!options.repair && (!ended || expectedJobs !== jobs)) {
      throw new RecoveryError(
        `${base.path}: incomplete snapshot (${jobs} jobs read, ${expectedJobs} announced); ` +
          `start with --repair to load what it holds`,
      );
    }
    result.snapshot = { generation: base.generation, path: base.path, bytes: scan.size, createdAt };
    // (with --repair and no end record, assume any job may overlap)
    replay.overlapBelow = ended ? replay.nextSeq : Infinity;
  }

  for (let i = 0; i < journals.length; i++) {
    const file = journals[i]!;
    const last = i === journals.length - 1;
    const durable = listed.get(file.name) ?? 0;
    const size = await sizeOf(fs, file.path);
    if (size < durable) {
      problem(
        {
          file: file.path,
          detail: `${file.path} has ${size} bytes, but the first ${durable} were durable (manifest): it was truncated`,
          offset: size,
          bytes: durable - size,
        },
        "start with what is left",
      );
    }
    let hasHeader = false;
    const scan = await scanFile(
      fs,
      file.path,
      { repair: options.repair, tailAllowed: last, decode },
      (record, at, size) => {
        if (at === 0) {
          checkHeader(file, record, "journal");
          hasHeader = true;
          managed ||= record.type === T_HEADER && record.manifest;
        }
        replay.apply(record, size);
      },
    );
    noteSkipped(scan);
    if (scan.tail) {
      if (scan.tail.offset < durable) {
        // A torn write can only be in what was not yet durable: this is damage.
        problem(
          {
            file: file.path,
            detail:
              `${file.path}: damaged record at offset ${scan.tail.offset}, inside the ${durable} bytes ` +
              `that were durable (manifest): not a torn write`,
            offset: scan.tail.offset,
            bytes: scan.tail.bytes,
            recordsKept: scan.records,
          },
          `cut the file there (${scan.tail.bytes} bytes lost)`,
        );
      }
      if (last) result.tail = { path: scan.path, ...scan.tail };
      else result.skipped.push({ path: scan.path, ...scan.tail });
    }
    result.journals.push({ generation: file.generation, path: file.path, bytes: scan.end, hasHeader });
  }
  if (result.legacy && managed) {
    problem(
      {
        file: join(dir, MANIFEST_FILE),
        detail: `${join(dir, MANIFEST_FILE)} is missing, but the files were written with one`,
      },
      "load the files that are there",
    );
  }

  for (const file of leftovers) {
    await fs.unlink(file.path);
    removed.push(file.name);
  }
  if (removed.length > 0) await fs.syncDir(dir);
  target.restoreNextSeq(replay.nextSeq);
  target.finishRestore();
  result.records = replay.records;
  result.expired = replay.expired;
  result.jobRecordBytes = replay.jobRecordBytes;
  result.jobRecords = replay.jobRecords;
  return result;
}

interface Selection {
  base: DataFile | undefined;
  journals: DataFile[];
  /** files to delete once recovery worked: left by an interrupted compaction */
  leftovers: DataFile[];
}

/**
 * The files the manifest lists, each of which must exist. A file it does
 * not list is a leftover of a compaction that stopped before it was listed
 * (an older generation, a snapshot, an empty journal) and is deleted; any
 * other is an error.
 */
async function selectListed(
  fs: JournalFs,
  dir: string,
  manifest: Manifest,
  files: DataFile[],
): Promise<Selection> {
  const present = new Map(files.map((file) => [file.name, file]));
  const find = (entry: ManifestEntry): DataFile => {
    const file = present.get(entry.name);
    if (file) return file;
    const path = join(dir, entry.name);
    throw new RecoveryError(
      `${path} is missing: the manifest lists it with ${entry.bytes} durable bytes; ` +
        `start with --repair to start without it (what it held is lost)`,
    );
  };
  const base = manifest.snapshot && find(manifest.snapshot);
  const journals = manifest.journals.map(find);
  const leftovers: DataFile[] = [];
  for (const file of files) {
    if (file === base || journals.includes(file)) continue;
    if (file.kind === "journal" && file.generation > (journals[journals.length - 1]?.generation ?? 0)) {
      if ((await sizeOf(fs, file.path)) > 0) {
        throw new RecoveryError(
          `${file.path} holds records but is not in the manifest; ` +
            `start with --repair to load the files that are there`,
        );
      }
    }
    leftovers.push(file);
  }
  return { base, journals, leftovers };
}

/**
 * Without a manifest (a directory an older docket wrote), or with --repair:
 * the newest snapshot and the journals from its generation on, as found.
 * With --repair, what the manifest lists and is not there is reported.
 */
function selectPresent(
  dir: string,
  files: DataFile[],
  manifest: Manifest | undefined,
  repair: boolean,
  problem: (drop: DroppedData, remedy: string) => void,
): Selection {
  const snapshots = files.filter((f) => f.kind === "snapshot");
  const base = snapshots[snapshots.length - 1];
  const journals = files.filter((f) => f.kind === "journal" && (!base || f.generation >= base.generation));
  const names = new Set(files.map((file) => file.name));
  for (const entry of [...(manifest?.snapshot ? [manifest.snapshot] : []), ...(manifest?.journals ?? [])]) {
    if (names.has(entry.name)) continue;
    const file = join(dir, entry.name);
    problem(
      { file, detail: `${file} is missing (the manifest listed it with ${entry.bytes} bytes)` },
      "start without it",
    );
  }
  if (!repair) checkGenerations(dir, base, journals);
  const leftovers = files.filter((file) => base && file.generation < base.generation);
  return { base, journals, leftovers };
}

async function sizeOf(fs: JournalFs, path: string): Promise<number> {
  const fd = await fs.open(path, "read");
  try {
    return await fs.size(fd);
  } finally {
    await fs.close(fd);
  }
}

/** The journals must follow each other without a gap, starting at the snapshot's generation. */
function checkGenerations(dir: string, base: DataFile | undefined, journals: DataFile[]): void {
  let expected = base ? base.generation : journals[0]?.generation;
  for (const file of journals) {
    if (file.generation !== expected) {
      throw new RecoveryError(
        `${dir}: journal generation ${expected} is missing (found ${file.name}); ` +
          `the data directory is incomplete`,
      );
    }
    expected++;
  }
}

/** The first record of every file says what the file is; returns its creation time. */
function checkHeader(file: DataFile, record: JournalRecord, kind: FileKind): number {
  if (record.type !== T_HEADER) {
    throw new RecoveryError(`${file.path}: does not start with a docket ${kind} header`);
  }
  if (record.format > FORMAT_VERSION) {
    throw new RecoveryError(
      `${file.path}: written in format ${record.format}, this docket reads up to ${FORMAT_VERSION}`,
    );
  }
  if (record.kind !== kind || record.generation !== file.generation) {
    throw new RecoveryError(
      `${file.path}: header says ${record.kind} generation ${record.generation}, ` +
        `the name says ${kind} ${file.generation}`,
    );
  }
  return record.createdAt;
}
