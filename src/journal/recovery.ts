import type { PauseState } from "../broker.js";
import type { StoredJob } from "../engine/restore.js";
import { TMP_SUFFIX, dataFiles, type DataFile } from "./files.js";
import type { JournalFs } from "./fs.js";
import { scanFile, type DamagedRange, type ScanResult } from "./reader.js";
import {
  FORMAT_VERSION,
  T_COUNTERS,
  T_DEADLETTER,
  T_DEAD_JOB,
  T_DELETE,
  T_FLUSHALL,
  T_FLUSHQUEUE,
  T_HEADER,
  T_JOB,
  T_PAUSE,
  T_REDRIVE,
  T_RETRY,
  T_SNAPSHOT_END,
  type FileKind,
  type JournalRecord,
} from "./record.js";

/**
 * Start-up: the newest snapshot, then every journal from its generation
 * on, replayed in order straight into the engine (no copy of the state is
 * built on the side). Every checksum is verified. Only the last journal may
 * end with a damaged record (a write cut short by a crash): it is cut off.
 * Damage anywhere else stops start-up unless `repair` is set.
 */

export interface RecoveryOptions {
  repair: boolean;
}

/** Where replayed records go: the engine. Nothing here records a change. */
export interface RecoveryTarget {
  /** a job with a new id; false when it has expired (it is not restored) */
  restoreJob(job: StoredJob): boolean;
  forgetJob(id: string): void;
  restoreCounters(id: string, nacks: number, additionalDeliveries: number): void;
  restorePause(queue: string, state: PauseState): void;
  restoreNextSeq(next: number): void;
  restoreRetry(id: string, rank: number, retriesLeft: number, nacks: number): void;
  restoreDeadLetter(id: string, reason: string, at: number, stored?: StoredJob): void;
  restoreRedrive(queue: string, deadId: string, job: StoredJob): void;
  /** okq QFLUSH; like flushAll, replayed before the journal is attached */
  flushQueue(queue: string): unknown;
  /** DEBUG FLUSHALL; called before the journal is attached, so the change it reports goes nowhere */
  flushAll(): void;
}

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
}

export class RecoveryError extends Error {
  override name = "RecoveryError";
}

/** Applies one record to the engine being rebuilt. */
class Replay {
  /**
   * Jobs below this seq may already be restored: the snapshot is fuzzy, so
   * the journal after it can hold a job it also holds. Only those need a
   * lookup before they are restored.
   */
  overlapBelow = 0;
  nextSeq = 1;
  records = 0;
  expired = 0;
  jobRecordBytes = 0;
  jobRecords = 0;

  constructor(private readonly target: RecoveryTarget) {}

  apply(record: JournalRecord, size: number): void {
    this.records++;
    switch (record.type) {
      case T_JOB: {
        const job = record.job;
        this.jobRecordBytes += size;
        this.jobRecords++;
        if (job.seq >= this.nextSeq) this.nextSeq = job.seq + 1;
        if (job.seq < this.overlapBelow) this.target.forgetJob(job.id);
        if (!this.target.restoreJob(job)) this.expired++;
        break;
      }
      case T_DELETE:
        this.target.forgetJob(record.id);
        break;
      case T_COUNTERS:
        this.target.restoreCounters(record.id, record.nacks, record.additionalDeliveries);
        break;
      case T_PAUSE:
        this.target.restorePause(record.queue, record.state);
        break;
      case T_FLUSHALL:
        this.target.flushAll();
        break;
      case T_RETRY:
        this.target.restoreRetry(record.id, record.rank, record.retriesLeft, record.nacks);
        break;
      case T_DEADLETTER:
        this.target.restoreDeadLetter(record.id, record.reason, record.at);
        break;
      case T_DEAD_JOB:
        this.target.restoreDeadLetter(record.job.id, record.reason, record.at, record.job);
        break;
      case T_REDRIVE:
        if (record.job.seq >= this.nextSeq) this.nextSeq = record.job.seq + 1;
        this.target.restoreRedrive(record.job.queue, record.deadId, record.job);
        break;
      case T_FLUSHQUEUE:
        this.target.flushQueue(record.queue);
        break;
      case T_SNAPSHOT_END:
        if (record.nextSeq > this.nextSeq) this.nextSeq = record.nextSeq;
        break;
      case T_HEADER:
        break;
    }
  }
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
      await fs.unlink(`${dir}/${name}`);
      removed.push(name);
    }
  }
  const files = dataFiles(dir, names);
  const snapshots = files.filter((f) => f.kind === "snapshot");
  const base = snapshots[snapshots.length - 1];
  const journals = files.filter((f) => f.kind === "journal" && (!base || f.generation >= base.generation));
  checkGenerations(dir, base, journals);

  const replay = new Replay(target);
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
  };
  const noteSkipped = (scan: ScanResult) => {
    for (const range of scan.skipped) result.skipped.push({ path: scan.path, ...range });
  };

  if (base) {
    let createdAt = 0;
    let ended = false;
    let expectedJobs = -1;
    let jobs = 0;
    const scan = await scanFile(
      fs,
      base.path,
      { repair: options.repair, tailAllowed: false },
      (record, at, size) => {
        if (at === 0) createdAt = checkHeader(base, record, "snapshot");
        else if (record.type === T_JOB) jobs++;
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
    let hasHeader = false;
    const scan = await scanFile(
      fs,
      file.path,
      { repair: options.repair, tailAllowed: last },
      (record, at, size) => {
        if (at === 0) {
          checkHeader(file, record, "journal");
          hasHeader = true;
        }
        replay.apply(record, size);
      },
    );
    noteSkipped(scan);
    if (scan.tail) {
      if (last) result.tail = { path: scan.path, ...scan.tail };
      else result.skipped.push({ path: scan.path, ...scan.tail });
    }
    result.journals.push({ generation: file.generation, path: file.path, bytes: scan.end, hasHeader });
  }

  // Files older than the snapshot: left by a compaction interrupted before its clean-up.
  for (const file of files) {
    if (base && file.generation < base.generation) {
      await fs.unlink(file.path);
      removed.push(file.name);
    }
  }
  if (removed.length > 0) await fs.syncDir(dir);
  target.restoreNextSeq(replay.nextSeq);
  result.records = replay.records;
  result.expired = replay.expired;
  result.jobRecordBytes = replay.jobRecordBytes;
  result.jobRecords = replay.jobRecords;
  return result;
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
