import { writeFully, type JournalFs } from "./fs.js";
import { RecordEncoder } from "./record.js";

/**
 * The journal's write path: group commit.
 *
 * Records are encoded into `encoder` as the engine makes changes. The first
 * record of an event-loop turn schedules a flush (setImmediate, so every
 * command read in that turn joins). A flush takes everything encoded so
 * far as one batch: one positional writev and, with `always`, one
 * fdatasync; then every reply waiting on that batch is released. Records
 * made while a flush is in flight form the next batch. Flushes are strictly
 * sequential, so batch N+1 is never durable before batch N.
 *
 * On a write or fsync error the writer enters the failed state: every
 * waiting reply is rejected (the RESP door answers -MISCONF), and the same
 * bytes are written again at the same file positions every `retryMs` until
 * it works; then the failure clears by itself.
 */

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
}

export class JournalWriter {
  readonly encoder = new RecordEncoder();
  private segment: Segment;
  /** the deferred of the records encoded but not yet in a batch */
  private pendingDeferred: Deferred | undefined;
  /** sealed batches and segment ends, in file order */
  private queue: Array<Batch | SegmentEnd> = [];
  /** everysec: batches written but not yet synced, kept to be rewritten if the fsync fails */
  private unsynced: Batch[] = [];
  private running = false;
  private scheduled = false;
  private syncDue = false;
  /** after a failed fsync, sync after the next write whatever the policy */
  private forceSync = false;
  private stopping = false;
  private idleWaiters: Array<() => void> = [];
  private syncTimer: NodeJS.Timeout | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private wakeRetry: (() => void) | undefined;
  private readonly retryMs: number;

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
    if (options.policy === "everysec") {
      this.syncTimer = setInterval(() => {
        this.syncDue = true;
        this.kick();
      }, options.syncIntervalMs ?? 1000);
      this.syncTimer.unref();
    }
  }

  get policy(): FsyncPolicy {
    return this.options.policy;
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
    if (!this.scheduled && !this.running) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.kick();
      });
    }
  }

  /**
   * Resolves once every record committed so far is as durable as the
   * policy promises; undefined when it already is.
   */
  whenDurable(): Promise<void> | undefined {
    if (this.encoder.pendingBytes > 0) return (this.pendingDeferred ??= new Deferred()).promise;
    for (let i = this.queue.length - 1; i >= 0; i--) {
      const item = this.queue[i]!;
      if (item.kind === "batch") return (item.deferred ??= new Deferred()).promise;
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
    if (!this.running && this.queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Moves the records encoded so far into a batch of their own. */
  private seal(): void {
    const bytes = this.encoder.pendingBytes;
    if (bytes === 0) return;
    this.queue.push({
      kind: "batch",
      segment: this.segment,
      position: this.segment.appendPos - bytes,
      bytes,
      chunks: this.encoder.take(),
      deferred: this.pendingDeferred,
    });
    this.pendingDeferred = undefined;
  }

  private kick(): void {
    if (this.running) return;
    this.running = true;
    void this.pump();
  }

  private async pump(): Promise<void> {
    try {
      while (true) {
        this.seal();
        if (this.syncDue && this.unsynced.length > 0 && this.failure === undefined) {
          await this.attempt(() => this.syncUnsynced());
          continue; // records made during the fsync are sealed at the top
        }
        const head = this.queue[0];
        if (head === undefined) break;
        if (head.kind === "end") {
          if (await this.attempt(() => this.endSegment(head))) this.queue.shift();
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
        if (await this.attempt(() => this.writeGroup(group))) {
          this.queue.splice(0, n);
          for (const batch of group) batch.deferred?.resolve();
        }
      }
    } finally {
      this.running = false;
      // Anything committed while the last step ran gets its own flush.
      if (this.encoder.pendingBytes > 0 && !this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.kick();
        });
      }
      const waiters = this.idleWaiters;
      this.idleWaiters = [];
      for (const wake of waiters) wake();
    }
  }

  /** Runs one step; on failure enters the failed state and waits before the retry. */
  private async attempt(step: () => Promise<void>): Promise<boolean> {
    try {
      await step();
      return true;
    } catch (error) {
      this.fail(error as Error);
      if (this.stopping) {
        // Shutting down while the disk fails: give up on what is left.
        for (const item of this.queue) {
          if (item.kind === "batch") {
            this.abandonedBytes += item.bytes;
            continue;
          }
          if (!item.segment.closed) {
            item.segment.closed = true;
            await this.options.fs.close(item.segment.fd).catch(() => {});
          }
          item.done.reject(this.failure!);
        }
        this.queue = [];
        return false;
      }
      await new Promise<void>((resolve) => {
        this.wakeRetry = resolve;
        this.retryTimer = setTimeout(resolve, this.retryMs);
      });
      this.wakeRetry = undefined;
      return false;
    }
  }

  private async writeGroup(group: Batch[]): Promise<void> {
    const segment = group[0]!.segment;
    const position = group[0]!.position;
    const chunks: Buffer[] = [];
    let bytes = 0;
    for (const batch of group) {
      for (const chunk of batch.chunks) chunks.push(chunk);
      bytes += batch.bytes;
    }
    await writeFully(this.options.fs, segment.fd, chunks, position);
    segment.writtenPos = Math.max(segment.writtenPos, position + bytes);
    if (this.options.policy === "always" || this.forceSync) {
      await this.sync(segment);
      this.unsynced = [];
      this.forceSync = false;
    } else if (this.options.policy === "everysec") {
      for (const batch of group) this.unsynced.push(batch);
    }
    this.recovered();
    this.options.onWritten?.(segment, bytes);
  }

  private async syncUnsynced(): Promise<void> {
    this.syncDue = false;
    const segments = new Set(this.unsynced.map((batch) => batch.segment));
    try {
      for (const segment of segments) if (!segment.closed) await this.sync(segment);
    } catch (error) {
      // The kernel may have dropped the unsynced pages: write them again, then sync.
      this.queue.unshift(...this.unsynced);
      this.unsynced = [];
      this.forceSync = true;
      throw error;
    }
    this.unsynced = [];
  }

  private async endSegment(end: SegmentEnd): Promise<void> {
    const segment = end.segment;
    if (!segment.closed) {
      if (segment.syncedPos < segment.writtenPos) {
        try {
          await this.sync(segment);
        } catch (error) {
          const mine = this.unsynced.filter((batch) => batch.segment === segment);
          this.unsynced = this.unsynced.filter((batch) => batch.segment !== segment);
          this.queue.unshift(...mine);
          this.forceSync = true;
          throw error;
        }
      }
      this.unsynced = this.unsynced.filter((batch) => batch.segment !== segment);
      segment.closed = true;
      await this.options.fs.close(segment.fd);
    }
    end.done.resolve();
  }

  private async sync(segment: Segment): Promise<void> {
    const target = segment.writtenPos;
    const started = process.hrtime.bigint();
    await this.options.fs.fdatasync(segment.fd);
    this.lastFsyncMicros = Number((process.hrtime.bigint() - started) / 1000n);
    this.lastFsyncAt = Date.now();
    this.fsyncs++;
    segment.syncedPos = Math.max(segment.syncedPos, target);
  }

  private fail(error: Error): void {
    const first = this.failure === undefined;
    this.failure = new Error(`Errors writing to the journal: ${error.message}`);
    // Nobody may be told "durable" for records behind the failed ones.
    this.pendingDeferred?.reject(this.failure);
    this.pendingDeferred = undefined;
    for (const item of this.queue) {
      if (item.kind === "batch" && item.deferred) {
        item.deferred.reject(this.failure);
        item.deferred = undefined;
      }
    }
    if (first) this.options.onFailure?.(error);
  }

  private recovered(): void {
    if (this.failure === undefined) return;
    this.failure = undefined;
    this.options.onRecovery?.();
  }

  /** Cancels a pending retry wait (tests and shutdown). */
  stopRetryTimer(): void {
    if (this.retryTimer) clearTimeout(this.retryTimer);
  }
}
