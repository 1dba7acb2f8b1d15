import { writeFully, writeFullySync } from "./fs.js";
import { RecordEncoder } from "./record.js";
import { SyncingWriter } from "./fsync.js";
import { Deferred, type Batch, type Segment, type SegmentEnd } from "./write-queue.js";

export { Segment, FSYNC_POLICIES, type FsyncPolicy } from "./write-queue.js";
export type { WriterOptions } from "./write-retry.js";

/**
 * The journal's write path: group commit, pipelined.
 *
 * Records are encoded into `encoder` as the engine makes changes. The first
 * record of an event-loop turn schedules a flush (setImmediate, so every
 * command read in that turn joins). A flush takes everything encoded so
 * far as one batch and writes it with one positional writev. Writes are
 * strictly sequential. When a batch's replies may leave is the fsync
 * policy's part (fsync.ts); what happens while writes fail is
 * write-retry.ts's.
 */

export class JournalWriter extends SyncingWriter {
  readonly encoder = new RecordEncoder();
  private nextBatch = 1;
  private scheduled = false;

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
      if (!this.writeNow()) this.kick();
    });
  }

  /** The fast path: false when the write loop must do it (busy, failing, or no synchronous writev). */
  private writeNow(): boolean {
    const writevSync = this.options.fs.writevSync;
    if (writevSync === undefined || this.running || this.queue.length > 0 || this.failure !== undefined) {
      return false;
    }
    this.seal();
    const batch = this.queue[0];
    if (batch === undefined || batch.kind !== "batch") return true;
    try {
      writeFullySync(writevSync, batch.segment.fd, batch.chunks, batch.position);
    } catch (error) {
      this.fail(error as Error); // the batch stays queued: the write loop retries it
      return true;
    }
    this.queue.shift();
    this.wrote(batch.segment, batch.position, batch.bytes);
    this.afterWriteNow(batch);
    return true;
  }

  protected kick(): void {
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
    this.wrote(segment, group[0]!.position, bytes);
  }

  private wrote(segment: Segment, position: number, bytes: number): void {
    segment.writtenPos = Math.max(segment.writtenPos, position + bytes);
    this.options.onWritten?.(segment, bytes);
  }
}
