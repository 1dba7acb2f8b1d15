import { basename, join } from "node:path";
import { performance } from "node:perf_hooks";
import type { EngineChange } from "../engine/changes.js";
import type { Logger } from "../../../log.js";
import { dataFiles, journalName, snapshotName } from "./files.js";
import { nodeFs, type JournalFs } from "./fs.js";
import { DataDirLock } from "./lock.js";
import { ManifestKeeper, type Manifest } from "./manifest.js";
import { keepNodeId } from "./node-id.js";
import { writeChange, writeHeader, writePause } from "./record.js";
import { recover, type RecoveryResult, type RecoveryTarget } from "./recovery.js";
import { writeSnapshot, type SnapshotSource } from "./snapshot.js";
import { logRecovery, openSegment, recordFiles, type StartupReport } from "./startup.js";
import { JournalWriter, Segment, type FsyncPolicy } from "./writer.js";

export type { StartupReport } from "./startup.js";

/**
 * The embedded store's persistence: recovery at start, one record per
 * engine change, group commit, compaction. See docs/persistence.md.
 */

export interface JournalOptions {
  dir: string;
  fsync: FsyncPolicy;
  /** skip damaged records in the middle of a file instead of refusing to start */
  repair: boolean;
  /** compaction starts once the journal is this big and twice the live data */
  compactMinBytes: number;
  logger: Logger;
  fs?: JournalFs;
  /** delay between attempts while writes fail */
  retryMs?: number;
  /** each fdatasync's duration in seconds */
  onFsync?: (seconds: number) => void;
  /** how long a journal's new durable length may wait before the MANIFEST records it (1 s) */
  manifestIntervalMs?: number;
}

/** What the journal needs from the engine: its node id, restoring at start, reading for snapshots. */
export interface JournalTarget extends SnapshotSource, RecoveryTarget {
  /** a fresh id until the data directory's is adopted */
  readonly nodeId: string;
  /** takes the data directory's node id (node-id.ts), before any job is restored */
  adoptNodeId(id: string): void;
}

/** a failed compaction is tried again after this long */
const COMPACTION_RETRY_MS = 30_000;

export class Journal {
  private readonly fs: JournalFs;
  private readonly writer: JournalWriter;
  private readonly manifest: ManifestKeeper;
  private generation: number;
  /** bytes in every journal file since the snapshot */
  private journalBytes: number;
  private journalFiles: number;
  private snapshotBytes: number;
  private snapshotAt: number;
  private liveJobs: number;
  /** running average size of a job record, for the live-data estimate */
  private jobRecordBytes = 0;
  private jobRecords = 0;
  private compacting: Promise<void> | undefined;
  private nextCompactionAt = 0;
  private compactions = 0;
  private lastCompaction: { ms: number; longestSliceMs: number } | undefined;
  /** when the running compaction started (Date.now()), 0 when none runs */
  private compactionStartedAt = 0;
  private lastCompactionFailed = false;
  private closed = false;

  private constructor(
    private readonly options: JournalOptions,
    private readonly target: JournalTarget,
    private readonly lock: DataDirLock,
    recovered: RecoveryResult,
    segment: Segment,
    manifest: Manifest,
    readonly startup: StartupReport,
  ) {
    this.fs = options.fs ?? nodeFs;
    this.generation = segment.generation;
    this.journalBytes = recovered.journals.reduce((sum, j) => sum + j.bytes, 0);
    this.journalFiles = Math.max(1, recovered.journals.length);
    this.snapshotBytes = recovered.snapshot?.bytes ?? 0;
    this.snapshotAt = recovered.snapshot?.createdAt ?? 0;
    this.liveJobs = startup.jobs;
    this.jobRecordBytes = recovered.jobRecordBytes;
    this.jobRecords = recovered.jobRecords;
    const log = options.logger;
    this.manifest = new ManifestKeeper(
      this.fs,
      options.dir,
      manifest,
      options.manifestIntervalMs ?? 1000,
      (error) => log.error({ err: error, dir: options.dir }, "could not update the MANIFEST"),
    );
    this.writer = new JournalWriter(
      {
        fs: this.fs,
        policy: options.fsync,
        retryMs: options.retryMs,
        onFailure: (error) =>
          log.error({ err: error, dir: options.dir }, "journal writes fail: write commands get -MISCONF"),
        onRecovery: () => log.warn({ dir: options.dir }, "journal writes work again"),
        onFsync: options.onFsync,
        onSynced: (synced) => this.manifest.durable(basename(synced.path), synced.syncedPos),
        onWritten: (_segment, bytes) => {
          this.journalBytes += bytes;
          this.maybeCompact();
        },
      },
      segment,
    );
  }

  /**
   * Takes the data directory's lock, recovers its state into `target`, and
   * returns a journal ready to record the target's changes.
   */
  static async open(target: JournalTarget, options: JournalOptions): Promise<Journal> {
    const fs = options.fs ?? nodeFs;
    const log = options.logger;
    const started = performance.now();
    await fs.mkdir(options.dir);
    const lock = DataDirLock.acquire(options.dir);
    if (lock.tookOverFrom !== undefined) {
      log.warn(
        { dir: options.dir, pid: lock.tookOverFrom },
        "took over the stale lock of a process that is gone",
      );
    }
    try {
      target.adoptNodeId(await keepNodeId(fs, options.dir, target.nodeId));
      const recovered = await recover(fs, options.dir, target, { repair: options.repair });
      const jobs = target.jobCount();
      const segment = await openSegment(fs, options.dir, recovered);
      const manifest = await recordFiles(fs, recovered, segment);
      const report: StartupReport = {
        records: recovered.records,
        jobs,
        expired: recovered.expired,
        ms: Math.round(performance.now() - started),
        tornBytes: recovered.tail?.bytes ?? 0,
        skippedBytes: recovered.skipped.reduce((sum, range) => sum + range.bytes, 0),
      };
      const journal = new Journal(options, target, lock, recovered, segment, manifest, report);
      await journal.manifest.save();
      if (segment.appendPos === 0) journal.appendHeader();
      logRecovery(log, options.dir, recovered, report);
      if (recovered.skipped.length > 0 || recovered.dropped.length > 0) {
        // Repaired: rewrite everything so that no damaged file is left behind.
        await journal.compact();
      }
      journal.maybeCompact();
      return journal;
    } catch (error) {
      lock.release();
      throw error;
    }
  }

  /** Records one engine change (called synchronously by the engine). */
  append(change: EngineChange): void {
    const writer = this.writer;
    const size = writeChange(writer.encoder, writer.offset, change);
    writer.committed(size);
    switch (change.type) {
      case "add":
        this.liveJobs++;
        this.jobRecordBytes += size;
        this.jobRecords++;
        break;
      case "redrive":
        this.liveJobs++;
        break;
      case "delete":
        this.liveJobs--;
        break;
      case "flushall":
        this.liveJobs = 0;
        // Queues that survive a flush (they have blocked clients) keep their pause state.
        for (const [queue, state] of change.pausedQueues ?? []) {
          writer.committed(writePause(writer.encoder, writer.offset, queue, state));
        }
        break;
    }
  }

  /** Resolves when every change so far is as durable as the fsync policy promises. */
  whenDurable(): Promise<void> | undefined {
    return this.writer.whenDurable();
  }

  /** Why writes are refused right now, or undefined when the journal can write. */
  writeRefusal(): string | undefined {
    return this.writer.failure?.message;
  }

  get dir(): string {
    return this.options.dir;
  }

  /** CONFIG SET appendonly / appendfsync: the fsync policy from now on (see the writer's setPolicy). */
  setFsync(policy: FsyncPolicy): void {
    this.writer.setPolicy(policy);
  }

  /**
   * INFO's persistence fields: Disque's AOF fields first, in Disque's order
   * (compaction is docket's AOF rewrite), then docket's own.
   */
  info(): Record<string, string | number> {
    const writer = this.writer;
    const now = Date.now();
    const policy = writer.policy;
    const compacting = this.compacting !== undefined;
    return {
      aof_rewrite_in_progress: compacting ? 1 : 0,
      aof_rewrite_scheduled: 0,
      aof_last_rewrite_time_sec: this.lastCompaction ? Math.round(this.lastCompaction.ms / 1000) : -1,
      aof_current_rewrite_time_sec: compacting ? Math.floor((now - this.compactionStartedAt) / 1000) : -1,
      aof_last_bgrewrite_status: this.lastCompactionFailed ? "err" : "ok",
      aof_last_write_status: writer.failure ? "err" : "ok",
      aof_current_size: this.journalBytes + this.snapshotBytes,
      aof_base_size: this.snapshotBytes,
      aof_pending_rewrite: 0,
      aof_buffer_length: writer.unwrittenBytes(),
      aof_rewrite_buffer_length: 0,
      aof_pending_bio_fsync: writer.syncsInFlight,
      aof_delayed_fsync: 0,
      fsync_policy: policy,
      // what an acknowledged write can lose on power loss or an OS crash (a killed process loses nothing)
      fsync_loss_window: policy === "always" ? "none" : policy === "everysec" ? "1s" : "os-writeback",
      data_dir: this.options.dir,
      journal_bytes: this.journalBytes,
      journal_files: this.journalFiles,
      journal_unwritten_bytes: writer.unwrittenBytes(),
      snapshot_bytes: this.snapshotBytes,
      snapshot_age_seconds: this.snapshotAt > 0 ? Math.floor((now - this.snapshotAt) / 1000) : -1,
      last_fsync_latency_us: writer.lastFsyncMicros,
      last_fsync_age_ms: writer.lastFsyncAt > 0 ? now - writer.lastFsyncAt : -1,
      total_fsyncs: writer.fsyncs,
      aof_last_write_error: writer.failure?.message ?? "",
      aof_rewrites: this.compactions,
      aof_last_rewrite_time_ms: this.lastCompaction ? Math.round(this.lastCompaction.ms) : -1,
      aof_last_rewrite_longest_slice_ms: this.lastCompaction
        ? Math.round(this.lastCompaction.longestSliceMs * 10) / 10
        : -1,
      records_replayed_at_start: this.startup.records,
      jobs_loaded_at_start: this.startup.jobs,
      jobs_expired_at_start: this.startup.expired,
      loading_time_ms: this.startup.ms,
      torn_tail_bytes_cut_at_start: this.startup.tornBytes,
      damaged_bytes_skipped_at_start: this.startup.skippedBytes,
    };
  }

  /**
   * Starts a compaction when the journal has outgrown the live data: more
   * than `compactMinBytes` and more than twice the estimated live size.
   */
  private maybeCompact(): void {
    if (this.compacting || this.closed || this.writer.failure) return;
    if (this.journalBytes < this.options.compactMinBytes || Date.now() < this.nextCompactionAt) return;
    const average = this.jobRecords > 0 ? this.jobRecordBytes / this.jobRecords : 0;
    if (this.journalBytes < 2 * this.liveJobs * average) return;
    void this.compact();
  }

  /** whether a compaction is running (BGREWRITEAOF answers "already in progress") */
  get compactionRunning(): boolean {
    return this.compacting !== undefined;
  }

  /**
   * Switches to a new journal generation, writes a snapshot of the live
   * jobs in slices, then deletes the older files. Never rejects: a failure
   * is logged and the old files stay valid.
   */
  compact(): Promise<void> {
    this.compacting ??= this.runCompaction().finally(() => {
      this.compacting = undefined;
    });
    return this.compacting;
  }

  private async runCompaction(): Promise<void> {
    const log = this.options.logger;
    const dir = this.options.dir;
    const before = this.journalBytes + this.snapshotBytes;
    this.compactionStartedAt = Date.now();
    try {
      const generation = this.generation + 1;
      const path = join(dir, journalName(generation));
      const fd = await this.fs.open(path, "create");
      await this.fs.syncDir(dir);
      if (this.closed) {
        await this.fs.close(fd);
        await this.fs.unlink(path);
        return;
      }
      // Listed before any record goes to it, so that from now on it cannot go missing unnoticed.
      const listed = this.manifest.current;
      const name = journalName(generation);
      try {
        await this.manifest.set({
          snapshot: listed.snapshot,
          journals: [...listed.journals.filter((j) => j.name !== name), { name, bytes: 0 }],
        });
      } catch (error) {
        await this.fs.close(fd);
        throw error;
      }
      const segment = new Segment(path, generation, fd, 0);
      const previousClosed = this.writer.rotate(segment);
      this.generation = generation;
      this.appendHeader();
      this.journalFiles++;
      const result = await writeSnapshot(this.target, {
        fs: this.fs,
        dir,
        generation,
        stopped: () => this.closed,
      });
      if (!result) return;
      await previousClosed;
      await this.manifest.set({
        snapshot: { name: snapshotName(generation), bytes: result.bytes },
        journals: [{ name, bytes: segment.syncedPos }],
      });
      const names = await this.fs.readdir(dir);
      for (const file of dataFiles(dir, names)) {
        if (file.generation < generation) await this.fs.unlink(file.path);
      }
      await this.fs.syncDir(dir);
      this.journalBytes = segment.writtenPos;
      this.journalFiles = 1;
      this.snapshotBytes = result.bytes;
      this.snapshotAt = Date.now();
      this.compactions++;
      this.lastCompaction = { ms: result.ms, longestSliceMs: result.longestSliceMs };
      this.lastCompactionFailed = false;
      log.info(
        {
          generation,
          jobs: result.jobs,
          snapshotBytes: result.bytes,
          bytesBefore: before,
          bytesAfter: this.journalBytes + this.snapshotBytes,
          ms: Math.round(result.ms),
          slices: result.slices,
          longestSliceMs: Math.round(result.longestSliceMs * 10) / 10,
        },
        "journal compacted",
      );
    } catch (error) {
      this.lastCompactionFailed = true;
      this.nextCompactionAt = Date.now() + COMPACTION_RETRY_MS;
      log.error({ err: error, dir }, "journal compaction failed; the previous files remain in use");
    }
  }

  private appendHeader(): void {
    const writer = this.writer;
    writer.committed(writeHeader(writer.encoder, writer.offset, "journal", this.generation, Date.now()));
  }

  /** Writes what is pending, closes the files, releases the lock. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // The writer first: a compaction may be waiting for it (and stops at its next slice).
    await this.writer.close();
    await this.compacting;
    // The exact durable sizes, so that the next start notices any byte missing.
    const segment = this.writer.current;
    this.manifest.durable(basename(segment.path), segment.syncedPos);
    this.manifest.stop();
    await this.manifest.save().catch((error: Error) => {
      this.options.logger.error({ err: error, dir: this.options.dir }, "could not update the MANIFEST");
    });
    if (this.writer.abandonedBytes > 0) {
      this.options.logger.error(
        { dir: this.options.dir, bytes: this.writer.abandonedBytes },
        "journal closed with changes it could not write",
      );
    }
    this.lock.release();
  }
}
