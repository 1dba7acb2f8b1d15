import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type { JobResult, PauseState, QueuePolicy } from "../../../core/contract.js";
import type { StoredJob } from "../engine/restore.js";
import { TMP_SUFFIX, snapshotName } from "./files.js";
import { writeFully, type JournalFs } from "./fs.js";
import {
  RecordEncoder,
  writeDeadJob,
  writeHeader,
  writeJob,
  writePause,
  writePolicy,
  writeIdempotencyKey,
  writeResult,
  writeTaskNumber,
  writeSnapshotEnd,
} from "./record.js";

/**
 * Writes a snapshot of the live jobs without stopping the server: the jobs
 * are encoded a slice at a time (a couple of milliseconds of work), and the
 * event loop runs while each slice is written. Jobs change between slices,
 * so the snapshot is "fuzzy": each job is as it was when its slice ran. That
 * is enough because the journal was switched to a new file *before* the
 * first slice: every change after that point is in the new journal, and
 * replaying it over the snapshot gives the current state (every record
 * sets absolute values, so replaying one a snapshot already reflects is
 * harmless).
 *
 * The file is written as `snapshot-G.snap.tmp`, fsynced, renamed, and the
 * directory fsynced: a crash leaves either the old state or the new.
 */

/** An idempotency key whose job is gone: a T_IDEMKEY record. */
export interface OrphanKey {
  queue: string;
  key: string;
  id: string;
  seq: number;
  expiresAt: number;
}

/** What a snapshot reads: the engine. */
export interface SnapshotSource {
  jobsFrom(fromSeq: number): Iterable<StoredJob>;
  /** how many live jobs there are (what jobsFrom(0) would yield) */
  jobCount(): number;
  pausedQueues(): Iterable<[string, PauseState]>;
  /** each queue's highest TaskQ task number */
  taskNumberEntries(): Iterable<[string, number]>;
  deadLetterEntries(): Iterable<{ job: StoredJob; reason: string; at: number }>;
  /** kept results (ACKJOB … RESULT) not expired yet */
  resultEntries(): Iterable<JobResult>;
  policyEntries(): Iterable<[string, QueuePolicy]>;
  /** idempotency keys whose job is gone (a live job's record carries its own) */
  orphanKeys(): Iterable<OrphanKey>;
  peekNextSeq(): number;
}

export interface SnapshotOptions {
  fs: JournalFs;
  dir: string;
  generation: number;
  /** CPU time per slice before yielding */
  sliceMs?: number;
  /** polled between slices: true abandons the snapshot */
  stopped?: () => boolean;
}

export interface SnapshotResult {
  path: string;
  bytes: number;
  jobs: number;
  slices: number;
  /** the longest time the event loop was held, in ms */
  longestSliceMs: number;
  ms: number;
}

const SLICE_BYTES = 4 * 1024 * 1024;

export async function writeSnapshot(
  source: SnapshotSource,
  options: SnapshotOptions,
): Promise<SnapshotResult | undefined> {
  const { fs, dir } = options;
  const sliceMs = options.sliceMs ?? 2;
  const path = join(dir, snapshotName(options.generation));
  const tmp = path + TMP_SUFFIX;
  const started = performance.now();
  const fd = await fs.open(tmp, "create");
  let open = true;
  try {
    const enc = new RecordEncoder();
    let pos = 0;
    let written = 0;
    const flush = async () => {
      const chunks = enc.take();
      if (chunks.length > 0) await writeFully(fs, fd, chunks, written);
      written = pos;
    };
    pos += writeHeader(enc, pos, "snapshot", options.generation, Date.now());
    let jobs = 0;
    let slices = 0;
    let longestSliceMs = 0;
    let cursor = 0;
    /** the keys whose job is gone, written after everything else: there can be millions, so they are sliced too */
    let keys: Iterator<OrphanKey> | undefined;
    let more = true;
    while (more) {
      if (options.stopped?.()) {
        await abandon();
        return undefined;
      }
      const sliceStart = performance.now();
      const sliceFull = (n: number) =>
        n % 64 === 0 && (performance.now() - sliceStart >= sliceMs || enc.pendingBytes >= SLICE_BYTES);
      more = false;
      let n = 0;
      if (keys === undefined) {
        for (const job of source.jobsFrom(cursor)) {
          pos += writeJob(enc, pos, job);
          jobs++;
          cursor = job.seq + 1;
          if (sliceFull(++n)) {
            more = true;
            break;
          }
        }
        if (!more) {
          for (const [queue, state] of source.pausedQueues()) pos += writePause(enc, pos, queue, state);
          for (const [queue, last] of source.taskNumberEntries())
            pos += writeTaskNumber(enc, pos, queue, last);
          for (const letter of source.deadLetterEntries()) {
            pos += writeDeadJob(enc, pos, letter.job, letter.reason, letter.at);
          }
          for (const result of source.resultEntries()) pos += writeResult(enc, pos, result);
          for (const [queue, policy] of source.policyEntries()) pos += writePolicy(enc, pos, queue, policy);
          keys = source.orphanKeys()[Symbol.iterator]();
        }
      }
      if (!more && keys !== undefined) {
        for (let next = keys.next(); !next.done; next = keys.next()) {
          pos += writeIdempotencyKey(enc, pos, next.value);
          if (sliceFull(++n)) {
            more = true;
            break;
          }
        }
        if (!more) pos += writeSnapshotEnd(enc, pos, jobs, source.peekNextSeq());
      }
      slices++;
      longestSliceMs = Math.max(longestSliceMs, performance.now() - sliceStart);
      await flush(); // the event loop runs while the slice is written
    }
    await fs.fdatasync(fd);
    open = false;
    await fs.close(fd);
    await fs.rename(tmp, path);
    await fs.syncDir(dir);
    return { path, bytes: pos, jobs, slices, longestSliceMs, ms: performance.now() - started };
  } catch (error) {
    await abandon();
    throw error;
  }

  async function abandon(): Promise<void> {
    if (open) {
      open = false;
      await fs.close(fd).catch(() => {});
    }
    await fs.unlink(tmp).catch(() => {});
  }
}
