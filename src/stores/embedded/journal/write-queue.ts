/** What the journal writer queues: segments (open files), batches of records and segment ends. */

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

export class Deferred {
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

export interface Batch {
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
export interface SegmentEnd {
  kind: "end";
  segment: Segment;
  done: Deferred;
}
