import type { JournalFs } from "./fs.js";
import type { Batch, Deferred, FsyncPolicy, Segment, SegmentEnd } from "./write-queue.js";

/**
 * The writer's shared state and its failed state.
 *
 * On a write or fsync error the writer enters the failed state: every
 * waiting reply is rejected (the RESP door answers -MISCONF), and every
 * byte not known to be durable is written again at the same file position
 * every `retryMs` (after a failed fsync the kernel may have dropped the
 * pages), then fsynced; once that works, the failure clears by itself.
 */

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

export abstract class WriterState {
  protected segment: Segment;
  /** the deferred of the records encoded but not yet in a batch */
  protected pendingDeferred: Deferred | undefined;
  /** sealed batches and segment ends not yet written, in file order */
  protected queue: Array<Batch | SegmentEnd> = [];
  /** batches written but not yet known durable (kept to be written again if an fsync fails) */
  protected written: Batch[] = [];
  protected running = false;
  protected syncing = 0;
  /** bumped by a failed fsync: fsyncs started before it prove nothing */
  protected epoch = 0;
  /** after a failed fsync, sync after the next write whatever the policy */
  protected forceSync = false;
  protected stopping = false;
  protected nextAttemptAt = 0;
  private idleWaiters: Array<() => void> = [];
  private syncWaiters: Array<() => void> = [];
  protected wakeRetry: (() => void) | undefined;
  private readonly retryMs: number;

  /** the error writes fail with, while they do */
  failure: Error | undefined;
  /** bytes given up on at shutdown because writes kept failing */
  abandonedBytes = 0;

  constructor(
    protected readonly options: WriterOptions,
    segment: Segment,
  ) {
    this.segment = segment;
    this.retryMs = options.retryMs ?? 1000;
  }

  /** Runs the write loop unless it is running already. */
  protected abstract kick(): void;

  protected idle(): Promise<void> {
    if (this.isIdle()) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private isIdle(): boolean {
    return !this.running && this.syncing === 0 && this.queue.length === 0;
  }

  protected wakeIdle(): void {
    if (!this.isIdle()) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const wake of waiters) wake();
  }

  protected release(batch: Batch): void {
    if (batch.resolved) return;
    batch.resolved = true;
    batch.deferred?.resolve();
  }

  protected syncsDone(): Promise<void> {
    if (this.syncing === 0) return Promise.resolve();
    return new Promise((resolve) => this.syncWaiters.push(resolve));
  }

  protected wakeSyncWaiters(): void {
    const waiters = this.syncWaiters;
    this.syncWaiters = [];
    for (const wake of waiters) wake();
  }

  protected fail(error: Error): void {
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

  protected recovered(): void {
    if (this.failure === undefined || this.forceSync) return;
    this.failure = undefined;
    this.wakeRetry?.();
    this.options.onRecovery?.();
  }

  /** Waits before the next attempt; close() cuts it short. */
  protected sleep(ms: number): Promise<void> {
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
  protected async abandon(): Promise<void> {
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
