import { writeFully, type JournalFs } from "./fs.js";
import { RecordEncoder } from "./record.js";

/**
 * The journal's write path: group commit, pipelined.
 *
 * Records are encoded into `encoder` as the engine makes changes. The first
 * record of an event-loop turn schedules a flush (setImmediate, so every
 * command read in that turn joins). A flush takes everything encoded so
 * far as one batch and writes it with one positional writev. Writes are
 * strictly sequential. With `always`, each write is followed by an
 * fdatasync; up to MAX_SYNCS of them may be in flight at once (overlapping
 * fsyncs raise throughput when the disk is slow), and a batch is durable
 * once an fsync started after its write has completed. Replies are released
 * strictly in batch order, so a reply never leaves before the changes
 * before it are durable. With `everysec` and `no`, a batch's replies leave
 * once it is written; `everysec` fsyncs once a second.
 *
 * On a write or fsync error the writer enters the failed state: every
 * waiting reply is rejected (the RESP door answers -MISCONF), and every
 * byte not known to be durable is written again at the same file position
 * every `retryMs` (after a failed fsync the kernel may have dropped the
 * pages), then fsynced; once that works, the failure clears by itself.
 */

const MAX_SYNCS = 3;

export type FsyncPolicy = "always" | "everysec" | "no";
export const FSYNC_POLICIES: readonly FsyncPolicy[] = ["always", "everysec", "no"];

/** An open journal file being appended to. */
export class Segment {
  /** end of the bytes encoded for this file, written or not */
  appendPos: number;
  /** bytes handed to the kernel */
  writtenPos: number;
  /** bytes made durable by fdatasync */
  syncedPos: number;
  closed = false;

  constructor(
    readonly path: string,
    readonly generation: number,
    readonly fd: number,
    size: number,
  ) {
    this.appendPos = size;
    this.writtenPos = size;
    this.syncedPos = size;
  }
}

class Deferred {
  resolve!: () => void;
  reject!: (error: Error) => void;
  readonly promise = new Promise<void>((resolve, reject) => {
    this.resolve = resolve;
    this.reject = reject;
  });

  constructor() {
    // Waiters attach their own handlers; this keeps an unobserved failure from crashing the process.
    this.promise.catch(() => {});
  }
}

interface Batch {
  kind: "batch";
  /** batches are numbered in file order */
  n: number;
  /** its replies were released (durable as the policy promises) */
  resolved: boolean;
  segment: Segment;
  position: number;
  bytes: number;
  chunks: Buffer[];
  deferred: Deferred | undefined;
}

/** Closes a segment once every batch before it is written (and synced). */
interface SegmentEnd {
  kind: "end";
  segment: Segment;
  done: Deferred;
}

export interface WriterOptions {
  fs: JournalFs;
  policy: FsyncPolicy;
  /** delay between attempts while writes fail */
  retryMs?: number;
  /** everysec: the fsync period */
  syncIntervalMs?: number;
  /** told the first time writes fail, and when they work again */
  onFailure?: (error: Error) => void;
  onRecovery?: () => void;
  /** told after each batch reaches the file */
  onWritten?: (segment: Segment, bytes: number) => void;
  /** told how long each successful fdatasync took, in seconds (the /metrics histogram) */
  onFsync?: (seconds: number) => void;
  /** told when more of a segment is durable (`syncedPos` grew) */
  onSynced?: (segment: Segment) => void;
}

export class JournalWriter {
  readonly encoder = new RecordEncoder();
  private segment: Segment;
  /** the deferred of the records encoded but not yet in a batch */
  private pendingDeferred: Deferred | undefined;
  /** sealed batches and segment ends not yet written, in file order */
  private queue: Array<Batch | SegmentEnd> = [];
  /** batches written but not yet known durable (kept to be written again if an fsync fails) */
  private written: Batch[] = [];
  private nextBatch = 1;
  private lastWritten = 0;
  private running = false;
  private scheduled = false;
  private syncing = 0;
  /** an fsync is wanted as soon as one of the MAX_SYNCS slots is free */
  private syncWanted = false;
  /** bumped by a failed fsync: fsyncs started before it prove nothing */
  private epoch = 0;
  private syncDue = false;
  /** after a failed fsync, sync after the next write whatever the policy */
  private forceSync = false;
  private stopping = false;
  private nextAttemptAt = 0;
  private idleWaiters: Array<() => void> = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private readonly retryMs: number;
  private currentPolicy: FsyncPolicy;

  /** the error writes fail with, while they do */
  failure: Error | undefined;
  lastFsyncMicros = 0;
  lastFsyncAt = 0;
  fsyncs = 0;
  /** bytes given up on at shutdown because writes kept failing */
  abandonedBytes = 0;

  constructor(
    private readonly options: WriterOptions,
    segment: Segment,
  ) {
    this.segment = segment;
    this.retryMs = options.retryMs ?? 1000;
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

  /** The segment new records go to. */
  get current(): Segment {
    return this.segment;
  }

  /** File offset where the next record will sit (for its checksum). */
  get offset(): number {
    return this.segment.appendPos;
  }

  /** After a record was encoded at `offset`: account for it and schedule the flush. */
  committed(size: number): void {
    this.segment.appendPos += size;
    if (!this.scheduled && !this.running) this.scheduleKick();
  }

  /**
   * Resolves once every record committed so far is as durable as the
   * policy promises; undefined when it already is.
   */
  whenDurable(): Promise<void> | undefined {
    if (this.encoder.pendingBytes > 0) return (this.pendingDeferred ??= new Deferred()).promise;
    const last = this.lastUnresolved();
    return last ? (last.deferred ??= new Deferred()).promise : undefined;
  }

  private lastUnresolved(): Batch | undefined {
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const item = this.queue[i]!;
      if (item.kind === "batch" && !item.resolved) return item;
    }
    for (let i = this.written.length - 1; i >= 0; i--) {
      if (!this.written[i]!.resolved) return this.written[i];
    }
    return undefined;
  }

  /** From now on records go to `next`; the current segment is closed once it is complete. */
  rotate(next: Segment): Promise<void> {
    this.seal();
    const end: SegmentEnd = { kind: "end", segment: this.segment, done: new Deferred() };
    this.queue.push(end);
    this.segment = next;
    this.kick();
    return end.done.promise;
  }

  /** Writes and syncs everything, closes the current segment, stops the timers. */
  async close(): Promise<void> {
    if (this.syncTimer) clearInterval(this.syncTimer);
    this.seal();
    this.queue.push({ kind: "end", segment: this.segment, done: new Deferred() });
    // One more attempt if writes are failing, then give up rather than hang the shutdown.
    this.stopping = true;
    this.wakeRetry?.();
    this.kick();
    await this.idle();
  }

  /** Bytes committed but not yet written. */
  unwrittenBytes(): number {
    let bytes = this.encoder.pendingBytes;
    for (const item of this.queue) if (item.kind === "batch") bytes += item.bytes;
    return bytes;
  }

  private idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.running && this.syncing === 0 && this.queue.length === 0;
  }

  private wakeIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Moves the records encoded so far into a batch of their own. */
  private seal(): void {
    const bytes = this.encoder.pendingBytes;
    if (bytes === 0) return;
    this.queue.push({
      kind: "batch",
      n: this.nextBatch++,
      resolved: false,
      segment: this.segment,
      position: this.segment.appendPos - bytes,
      bytes,
      chunks: this.encoder.take(),
      deferred: this.pendingDeferred,
    });
    this.pendingDeferred = undefined;
  }

  private scheduleKick(): void {
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.kick();
    });
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.pump();
  }

  /** The write loop: one step at a time, never two writes at once. */
  private async pump(): Promise<void> {
    try {
      while (true) {
        this.seal();
        if (this.failure !== undefined) {
          if (this.stopping) {
            await this.abandon();
            break;
          }
          const wait = this.nextAttemptAt - Date.now();
          if (wait > 0) await this.sleep(wait);
          if (this.failure !== undefined && this.stopping) continue;
        }
        if (this.syncDue) {
          this.syncDue = false;
          if (this.written.length > 0 && this.failure === undefined) this.requestSync();
        }
        const head = this.queue[0];
        if (head === undefined) break;
        if (head.kind === "end") {
          await this.syncsDone();
          if (this.failure !== undefined || this.queue[0] !== head) continue;
          try {
            await this.endSegment(head);
            this.queue.shift();
          } catch (error) {
            this.fail(error as Error);
          }
          continue;
        }
        // Group commit: every batch queued for this file goes in one write.
        let n = 1;
        while (n < this.queue.length) {
          const item = this.queue[n]!;
          if (item.kind !== "batch" || item.segment !== head.segment) break;
          n++;
        }
        const group = this.queue.slice(0, n) as Batch[];
        try {
          await this.writeGroup(group);
        } catch (error) {
          this.fail(error as Error);
          continue;
        }
        this.queue.splice(0, n);
        this.afterWrite(group);
      }
    } finally {
      this.running = false;
      // Anything committed while the last step ran gets its own flush.
      if (this.encoder.pendingBytes > 0 && !this.scheduled && !this.stopping) this.scheduleKick();
      this.wakeIdle();
    }
  }

  private async writeGroup(group: Batch[]): Promise<void> {
    const segment = group[0]!.segment;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for (const batch of group) {
      for (const chunk of batch.chunks) chunks.push(chunk);
      bytes += batch.bytes;
    }
    await writeFully(this.options.fs, segment.fd, chunks, group[0]!.position);
    segment.writtenPos = Math.max(segment.writtenPos, group[0]!.position + bytes);
    this.options.onWritten?.(segment, bytes);
  }

  private afterWrite(group: Batch[]): void {
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

  private release(batch: Batch): void {
    if (batch.resolved) return;
    batch.resolved = true;
    batch.deferred?.resolve();
  }

  private requestSync(): void {
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
        this.lastFsyncMicros = Number((process.hrtime.bigint() - started) / 1000n);
        this.lastFsyncAt = Date.now();
        this.fsyncs++;
        this.options.onFsync?.(this.lastFsyncMicros / 1e6);
        if (epoch === this.epoch) {
          segment.syncedPos = Math.max(segment.syncedPos, target);
          this.options.onSynced?.(segment);
          // Durable in order: everything written before this fsync started.
          while (this.written.length > 0 && this.written[0]!.n <= upTo) this.release(this.written.shift()!);
          if (this.written.length === 0) this.forceSync = false;
          this.recovered();
        }
        if (this.syncWanted && this.written.length > 0) this.startSync();
        this.wakeIdle();
        if (this.syncing === 0) this.wakeSyncWaiters();
      },
      (error: Error) => {
        this.syncing--;
        if (epoch === this.epoch) {
          this.epoch++;
          // The kernel may have dropped the unsynced pages: write them all again, then sync.
          this.queue.unshift(...this.written);
          this.written = [];
          this.forceSync = true;
          this.fail(error);
        }
        this.wakeIdle();
        if (this.syncing === 0) this.wakeSyncWaiters();
      },
    );
  }

  private syncWaiters: Array<() => void> = [];

  private syncsDone(): Promise<void> {
    if (this.syncing === 0) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  private wakeSyncWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const wake of waiters) wake();
  }

  /** Closes a segment once every batch of it is durable. */
  private async endSegment(end: SegmentEnd): Promise<void> {
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

  private fail(error: Error): void {
    const first = this.failure === undefined;
    this.failure = new Error(`Errors writing to the journal: ${error.message}`);
    this.nextAttemptAt = Date.now() + this.retryMs;
    // Nobody may be told "durable" for records behind the failed ones.
    this.pendingDeferred?.reject(this.failure);
    this.pendingDeferred = undefined;
    for (const item of [...this.queue, ...this.written]) {
      if (item.kind === "batch" && !item.resolved && item.deferred) {
        item.deferred.reject(this.failure);
        item.deferred = undefined;
      }
    }
    if (first) this.options.onFailure?.(error);
    this.kick();
  }

  private recovered(): void {
    if (this.failure === undefined || this.forceSync) return;
    this.failure = undefined;
    this.wakeRetry?.();
    this.options.onRecovery?.();
  }

  /** Waits before the next attempt; close() cuts it short. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeRetry = () => {
        this.wakeRetry = undefined;
        done();
      };
    });
  }

  /** Shutting down while the disk fails: give up on what is left. */
  private async abandon(): Promise<void> {
    await this.syncsDone();
    for (const item of [...this.written, ...this.queue]) {
      if (item.kind === "batch") {
        if (!item.resolved) this.abandonedBytes += item.bytes;
        continue;
      }
      if (!item.segment.closed) {
        item.segment.closed = true;
        await this.options.fs.close(item.segment.fd).catch(() => {});
      }
      item.done.reject(this.failure!);
    }
    this.queue = [];
    this.written = [];
  }
}
