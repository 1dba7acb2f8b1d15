import { WriterState, type WriterOptions } from "./write-retry.js";
import type { Batch, FsyncPolicy, Segment, SegmentEnd } from "./write-queue.js";

/**
 * The writer's fsync policy. With `always`, each write is followed by an
 * fdatasync; up to MAX_SYNCS of them may be in flight at once (overlapping
 * fsyncs raise throughput when the disk is slow), and a batch is durable
 * once an fsync started after its write has completed. Replies are released
 * strictly in batch order, so a reply never leaves before the changes
 * before it are durable. With `everysec` and `no`, a batch's replies leave
 * once it is written; `everysec` fsyncs once a second.
 */

const MAX_SYNCS = 3;

export abstract class SyncingWriter extends WriterState {
  /** the number of the last batch written */
  private lastWritten = 0;
  /** an fsync is wanted as soon as one of the MAX_SYNCS slots is free */
  private syncWanted = false;
  protected syncDue = false;
  protected syncTimer: NodeJS.Timeout | undefined;
  private currentPolicy: FsyncPolicy;

  lastFsyncMicros = 0;
  lastFsyncAt = 0;
  fsyncs = 0;

  constructor(options: WriterOptions, segment: Segment) {
    super(options, segment);
    this.currentPolicy = options.policy;
    this.armSyncTimer();
  }

  get policy(): FsyncPolicy {
    return this.currentPolicy;
  }

  /** fdatasyncs running now (INFO aof_pending_bio_fsync) */
  get syncsInFlight(): number {
    return this.syncing;
  }

  /**
   * Changes the policy at run time (CONFIG SET appendonly / appendfsync).
   * Batches written under the old one and not yet synced get one fsync, so
   * that none is left waiting for a policy that no longer syncs.
   */
  setPolicy(policy: FsyncPolicy): void {
    if (policy === this.currentPolicy) return;
    this.currentPolicy = policy;
    this.armSyncTimer();
    if (this.written.length > 0 && this.failure === undefined) this.requestSync();
  }

  /** everysec's once-a-second fsync timer: running exactly while the policy is everysec */
  private armSyncTimer(): void {
    if (this.currentPolicy === "everysec" && this.syncTimer === undefined && !this.stopping) {
      this.syncTimer = setInterval(() => {
        this.syncDue = true;
        this.kick();
      }, this.options.syncIntervalMs ?? 1000);
      this.syncTimer.unref();
    } else if (this.currentPolicy !== "everysec" && this.syncTimer !== undefined) {
      clearInterval(this.syncTimer);
      this.syncTimer = undefined;
    }
  }

  /** After a group reached the file: release its replies now, or after an fsync. */
  protected afterWrite(group: Batch[]): void {
    this.lastWritten = group[group.length - 1]!.n;
    const policy = this.currentPolicy;
    if (policy === "no" && !this.forceSync) {
      for (const batch of group) this.release(batch);
      this.recovered();
      return;
    }
    for (const batch of group) this.written.push(batch);
    if (policy === "everysec" && !this.forceSync) {
      for (const batch of group) this.release(batch);
      this.recovered();
      return;
    }
    this.requestSync();
  }

  /**
   * After the fast path wrote `batch`: as afterWrite, except that the fsync
   * `always` asks for runs in this thread when none is in flight.
   */
  protected afterWriteNow(batch: Batch): void {
    const fdatasyncSync = this.options.fs.fdatasyncSync;
    if (this.currentPolicy !== "always" || fdatasyncSync === undefined || this.syncing > 0) {
      this.afterWrite([batch]);
      return;
    }
    this.lastWritten = batch.n;
    this.written.push(batch);
    this.syncNow(fdatasyncSync);
  }

  protected requestSync(): void {
    if (this.syncing < MAX_SYNCS) this.startSync();
    else this.syncWanted = true;
  }

  /** An fdatasync covering every batch written so far; runs beside the write loop. */
  private startSync(): void {
    const last = this.written[this.written.length - 1];
    if (last === undefined) return;
    const segment = last.segment;
    const upTo = this.lastWritten;
    const target = segment.writtenPos;
    const epoch = this.epoch;
    const started = process.hrtime.bigint();
    this.syncing++;
    this.syncWanted = false;
    this.options.fs.fdatasync(segment.fd).then(
      () => {
        this.syncing--;
        this.synced(segment, target, upTo, epoch, started);
        if (this.syncWanted && this.written.length > 0) this.startSync();
        this.wakeIdle();
        if (this.syncing === 0) this.wakeSyncWaiters();
      },
      (error: Error) => {
        this.syncing--;
        this.syncFailed(error, epoch);
        this.wakeIdle();
        if (this.syncing === 0) this.wakeSyncWaiters();
      },
    );
  }

  /**
   * The fast path's fsync (the write loop is quiet: nothing queued, no
   * fsync in flight): an fdatasync in this thread, as Redis syncs its AOF
   * under `appendfsync always`, so the batch's replies leave this turn.
   */
  protected syncNow(fdatasyncSync: (fd: number) => void): void {
    const segment = this.written[this.written.length - 1]!.segment;
    const target = segment.writtenPos;
    const started = process.hrtime.bigint();
    try {
      fdatasyncSync(segment.fd);
    } catch (error) {
      this.syncFailed(error as Error, this.epoch);
      return;
    }
    this.synced(segment, target, this.lastWritten, this.epoch, started);
  }

  /** An fdatasync started at `started` (in `epoch`) made `segment` durable up to `target`. */
  private synced(segment: Segment, target: number, upTo: number, epoch: number, started: bigint): void {
    this.lastFsyncMicros = Number((process.hrtime.bigint() - started) / 1000n);
    this.lastFsyncAt = Date.now();
    this.fsyncs++;
    this.options.onFsync?.(this.lastFsyncMicros / 1e6);
    if (epoch !== this.epoch) return;
    segment.syncedPos = Math.max(segment.syncedPos, target);
    this.options.onSynced?.(segment);
    // Durable in order: everything written before this fsync started.
    while (this.written.length > 0 && this.written[0]!.n <= upTo) this.release(this.written.shift()!);
    if (this.written.length === 0) this.forceSync = false;
    this.recovered();
  }

  private syncFailed(error: Error, epoch: number): void {
    if (epoch !== this.epoch) return;
    this.epoch++;
    // The kernel may have dropped the unsynced pages: write them all again, then sync.
    this.queue.unshift(...this.written);
    this.written = [];
    this.forceSync = true;
    this.fail(error);
  }

  /** Closes a segment once every batch of it is durable. */
  protected async endSegment(end: SegmentEnd): Promise<void> {
    const segment = end.segment;
    if (!segment.closed) {
      const mine = this.written.filter((batch) => batch.segment === segment);
      if (segment.syncedPos < segment.writtenPos || mine.length > 0) {
        const target = segment.writtenPos;
        try {
          await this.options.fs.fdatasync(segment.fd);
        } catch (error) {
          this.written = this.written.filter((batch) => batch.segment !== segment);
          this.queue.unshift(...mine);
          this.epoch++;
          this.forceSync = true;
          throw error;
        }
        this.fsyncs++;
        segment.syncedPos = Math.max(segment.syncedPos, target);
        this.options.onSynced?.(segment);
        for (const batch of mine) this.release(batch);
        this.written = this.written.filter((batch) => batch.segment !== segment);
      }
      segment.closed = true;
      await this.options.fs.close(segment.fd);
    }
    end.done.resolve();
  }
}
