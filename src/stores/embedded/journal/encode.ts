import type { Attempt, BackoffPolicy, JobResult, PauseState, QueuePolicy } from "../../../core/contract.js";
import { formatBackoff } from "../../../core/failures.js";
import { encodeAttempt, encodeAttempts, encodePolicy } from "./failure-values.js";
import type { EngineChange } from "../engine/changes.js";
import type { StoredJob } from "../engine/restore.js";
import { crc32 } from "./checksum.js";
import { JOB_FIELDS, jobFieldsOf, leftOut } from "./fields.js";
import {
  FRAME_HEADER,
  FORMAT_VERSION,
  T_HEADER,
  T_JOB,
  T_DELETE,
  T_COUNTERS,
  T_PAUSE,
  T_FLUSHALL,
  T_SNAPSHOT_END,
  T_RETRY,
  T_DEADLETTER,
  T_REDRIVE,
  T_FLUSHQUEUE,
  T_DEAD_JOB,
  T_TASK_NUMBER,
  T_FAILED,
  T_DEADPURGE,
  T_RESULT,
  T_POLICY,
  F_AWAKE,
  F_RETRIES,
  F_EXPIRES,
  F_ATTEMPT,
  F_IDS,
  F_POLICY,
  F_RESULT,
  PURGE_REASONS,
  F_RANK,
  F_GENERATION,
  F_WALL_TIME,
  F_NEXT_SEQ,
  F_COUNT,
  F_AT,
  F_NACKS,
  F_ADDITIONAL,
  F_REASON,
  F_PAUSE,
  F_FORMAT,
  F_KIND,
  F_RETRIES_LEFT,
  F_MANIFEST,
  F_ID,
  F_QUEUE,
  F_DEAD_ID,
  F_REASON_TEXT,
  fieldName,
  REASONS,
  PAUSES,
  KINDS,
  type FileKind,
  type DeleteReason,
} from "./format.js";

const SLAB_BYTES = 256 * 1024;
/** bodies this large are handed to writev as they are, not copied */
const EXTERNAL_BYTES = 64 * 1024;

/**
 * Encodes frames back to back into shared slabs: no Buffer per record.
 * `take()` hands over everything encoded since the last take, as chunks
 * ready for writev; the slab memory behind them is never written again.
 */
export class RecordEncoder {
  private slab = Buffer.allocUnsafe(SLAB_BYTES);
  private pos = 0;
  /** slab bytes before this were already moved to `chunks` */
  private takenFrom = 0;
  private chunks: Buffer[] = [];
  /** bytes encoded and not taken yet */
  pendingBytes = 0;

  // the open frame
  private frameSlab: Buffer = this.slab;
  private frameAt = 0;
  private crcFrom = 0;
  private crc = 0;
  private bodyDone = 0;

  /**
   * Encodes one whole record at file `offset` (`fields` encodes its fields)
   * and returns its size. All or nothing: if `fields` throws (a value the
   * format cannot hold), the encoder is put back exactly as it was before
   * the record, so no byte of it is ever written, and the error goes on.
   */
  record(type: number, offset: number, fields: () => void): number {
    const slab = this.slab;
    const pos = this.pos;
    const takenFrom = this.takenFrom;
    const chunks = this.chunks.length;
    try {
      this.begin(type, offset);
      fields();
      return this.end();
    } catch (error) {
      // The slab's bytes before `pos` are untouched: only what this record added goes.
      this.slab = slab;
      this.pos = pos;
      this.takenFrom = takenFrom;
      this.chunks.length = chunks;
      throw error;
    }
  }

  /** Opens a frame that will sit at `offset` in its file. */
  private begin(type: number, offset: number): void {
    this.ensure(FRAME_HEADER + 1);
    this.frameSlab = this.slab;
    this.frameAt = this.pos;
    this.crc = offset >>> 0;
    this.bodyDone = 0;
    this.pos += FRAME_HEADER;
    this.crcFrom = this.pos;
    this.slab[this.pos++] = type;
  }

  /** Closes the frame: writes its length and checksum; returns its size in bytes. */
  private end(): number {
    this.crc = crc32(this.slab.subarray(this.crcFrom, this.pos), this.crc);
    const bodyLength = this.bodyDone + this.pos - this.crcFrom;
    this.frameSlab.writeUInt32LE(bodyLength, this.frameAt);
    this.frameSlab.writeUInt32LE(this.crc, this.frameAt + 4);
    const size = FRAME_HEADER + bodyLength;
    this.pendingBytes += size;
    return size;
  }

  f64(tag: number, value: number): void {
    this.ensure(9);
    this.slab[this.pos] = tag;
    this.slab.writeDoubleLE(value, this.pos + 1);
    this.pos += 9;
  }

  u32(tag: number, value: number): void {
    // writeUInt32LE would throw on 2^32 or -1 but silently store NaN as 0.
    if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
      throw new RangeError(
        `the journal cannot record ${fieldName(tag)} ${value}: it must be 0 to 4294967295`,
      );
    }
    this.ensure(5);
    this.slab[this.pos] = tag;
    this.slab.writeUInt32LE(value, this.pos + 1);
    this.pos += 5;
  }

  bytes(tag: number, value: Buffer): void {
    this.ensure(5 + (value.length >= EXTERNAL_BYTES ? 0 : value.length));
    this.slab[this.pos] = tag;
    this.slab.writeUInt32LE(value.length, this.pos + 1);
    this.pos += 5;
    if (value.length < EXTERNAL_BYTES) {
      this.pos += value.copy(this.slab, this.pos);
      return;
    }
    this.cutSlab();
    this.chunks.push(value);
    this.crc = crc32(value, this.crc);
    this.bodyDone += value.length;
  }

  string(tag: number, value: string, encoding: "utf8" | "latin1"): void {
    const max = encoding === "latin1" ? value.length : value.length * 3;
    this.ensure(5 + max);
    this.slab[this.pos] = tag;
    const written = this.slab.write(value, this.pos + 5, encoding);
    this.slab.writeUInt32LE(written, this.pos + 1);
    this.pos += 5 + written;
  }

  /** Everything encoded since the last take (call between frames). */
  take(): Buffer[] {
    if (this.pos > this.takenFrom) this.chunks.push(this.slab.subarray(this.takenFrom, this.pos));
    this.takenFrom = this.pos;
    const out = this.chunks;
    this.chunks = [];
    this.pendingBytes = 0;
    return out;
  }

  /** Moves the open frame's bytes so far out of the slab, keeping its checksum running. */
  private cutSlab(): void {
    this.crc = crc32(this.slab.subarray(this.crcFrom, this.pos), this.crc);
    this.bodyDone += this.pos - this.crcFrom;
    if (this.pos > this.takenFrom) this.chunks.push(this.slab.subarray(this.takenFrom, this.pos));
    this.takenFrom = this.pos;
    this.crcFrom = this.pos;
  }

  private ensure(bytes: number): void {
    if (this.pos + bytes <= this.slab.length) return;
    this.cutSlab();
    this.slab = Buffer.allocUnsafe(Math.max(SLAB_BYTES, bytes));
    this.pos = 0;
    this.takenFrom = 0;
    this.crcFrom = 0;
  }
}

// Each writer encodes one record at `offset` and returns its size in bytes.

export function writeHeader(
  enc: RecordEncoder,
  offset: number,
  kind: FileKind,
  generation: number,
  createdAt: number,
  manifest = true,
): number {
  return enc.record(T_HEADER, offset, () => {
    enc.u32(F_FORMAT, FORMAT_VERSION);
    enc.u32(F_KIND, KINDS.indexOf(kind));
    enc.f64(F_GENERATION, generation);
    enc.f64(F_WALL_TIME, createdAt);
    // An unknown field to older readers: they skip it.
    if (manifest) enc.u32(F_MANIFEST, 1);
  });
}

/** A whole job: on ADDJOB, and for each live job in a snapshot. Default values are left out. */
export function writeJob(enc: RecordEncoder, offset: number, job: StoredJob, type = T_JOB): number {
  return enc.record(type, offset, () => writeJobFields(enc, job));
}

/** The job's fields, driven by the table in fields.ts. */
function writeJobFields(enc: RecordEncoder, job: StoredJob): void {
  for (const row of JOB_FIELDS) {
    if (leftOut(row, job)) continue;
    const value = job[row.key];
    switch (row.wire) {
      case "f64":
        enc.f64(row.tag, value as number);
        break;
      case "u32":
        enc.u32(row.tag, value as number);
        break;
      case "latin1":
      case "utf8":
        enc.string(row.tag, value as string, row.wire);
        break;
      case "body":
        if (typeof value === "string") enc.string(row.tag, value, "latin1");
        else enc.bytes(row.tag, value as Buffer);
        break;
      case "backoff":
        enc.string(row.tag, formatBackoff(value as BackoffPolicy), "utf8");
        break;
      case "attempts":
        enc.string(row.tag, encodeAttempts(value as Attempt[]), "utf8");
        break;
      case "flag":
        enc.u32(row.tag, 1);
        break;
    }
  }
}

/** A snapshot's dead letter: the job, why and when. */
export function writeDeadJob(
  enc: RecordEncoder,
  offset: number,
  job: StoredJob,
  reason: string,
  at: number,
): number {
  return enc.record(T_DEAD_JOB, offset, () => {
    writeJobFields(enc, job);
    enc.string(F_REASON_TEXT, reason, "utf8");
    enc.f64(F_AT, at);
  });
}

export function writeDelete(enc: RecordEncoder, offset: number, id: string, reason: DeleteReason): number {
  return enc.record(T_DELETE, offset, () => {
    enc.string(F_ID, id, "latin1");
    enc.u32(F_REASON, REASONS.indexOf(reason));
  });
}

export function writeCounters(
  enc: RecordEncoder,
  offset: number,
  id: string,
  nacks: number,
  additionalDeliveries: number,
): number {
  return enc.record(T_COUNTERS, offset, () => {
    enc.string(F_ID, id, "latin1");
    enc.u32(F_NACKS, nacks);
    enc.u32(F_ADDITIONAL, additionalDeliveries);
  });
}

export function writePause(enc: RecordEncoder, offset: number, queue: string, state: PauseState): number {
  return enc.record(T_PAUSE, offset, () => {
    enc.string(F_QUEUE, queue, "utf8");
    enc.u32(F_PAUSE, PAUSES.indexOf(state));
  });
}

export function writeFlushAll(enc: RecordEncoder, offset: number): number {
  return enc.record(T_FLUSHALL, offset, () => {});
}

export function writeTaskNumber(enc: RecordEncoder, offset: number, queue: string, last: number): number {
  return enc.record(T_TASK_NUMBER, offset, () => {
    enc.string(F_QUEUE, queue, "utf8");
    enc.f64(F_COUNT, last);
  });
}

export function writeSnapshotEnd(enc: RecordEncoder, offset: number, jobs: number, nextSeq: number): number {
  return enc.record(T_SNAPSHOT_END, offset, () => {
    enc.f64(F_COUNT, jobs);
    enc.f64(F_NEXT_SEQ, nextSeq);
  });
}

/** ACKJOB … RESULT, and each kept result in a snapshot. */
export function writeResult(enc: RecordEncoder, offset: number, result: JobResult): number {
  return enc.record(T_RESULT, offset, () => {
    enc.string(F_ID, result.id, "latin1");
    enc.string(F_QUEUE, result.queue, "utf8");
    enc.f64(F_AT, result.completedAt);
    enc.f64(F_EXPIRES, result.expiresAt);
    enc.bytes(F_RESULT, result.body);
  });
}

/** QPOLICY, and each queue policy in a snapshot. */
export function writePolicy(enc: RecordEncoder, offset: number, queue: string, policy: QueuePolicy): number {
  return enc.record(T_POLICY, offset, () => {
    enc.string(F_QUEUE, queue, "utf8");
    enc.string(F_POLICY, encodePolicy(policy), "utf8");
  });
}

/** One engine change as one record. */
export function writeChange(enc: RecordEncoder, offset: number, change: EngineChange): number {
  switch (change.type) {
    case "add": {
      const job = change.job;
      // The engine reports the add before it sets the delay timer: derive it.
      const awakeAt = job.delay > 0 ? job.createdAt + job.delay * 1000 : 0;
      return writeJob(enc, offset, awakeAt === job.awakeAt ? job : { ...jobFieldsOf(job), awakeAt });
    }
    case "delete":
      return writeDelete(enc, offset, change.id, change.reason);
    case "counters":
      return writeCounters(enc, offset, change.id, change.nacks, change.additionalDeliveries);
    case "pause":
      return writePause(enc, offset, change.queue, change.state);
    case "flushall":
      return writeFlushAll(enc, offset);
    case "retry":
      return enc.record(T_RETRY, offset, () => {
        enc.string(F_ID, change.id, "latin1");
        enc.f64(F_RANK, change.rank);
        // -1 (no budget) is stored as absent
        if (change.retriesLeft >= 0) enc.u32(F_RETRIES_LEFT, change.retriesLeft);
        enc.u32(F_NACKS, change.nacks);
      });
    case "deadletter":
      return enc.record(T_DEADLETTER, offset, () => {
        enc.string(F_ID, change.id, "latin1");
        enc.string(F_REASON_TEXT, change.reason, "utf8");
        enc.f64(F_AT, change.at);
        if (change.attempt) enc.string(F_ATTEMPT, encodeAttempt(change.attempt), "utf8");
      });
    case "failed":
      return enc.record(T_FAILED, offset, () => {
        enc.string(F_ID, change.id, "latin1");
        enc.f64(F_RANK, change.rank);
        enc.u32(F_NACKS, change.nacks);
        enc.u32(F_ADDITIONAL, change.additionalDeliveries);
        // -1 (no budget) is stored as absent
        if (change.retryBudget >= 0) enc.u32(F_RETRIES, change.retryBudget);
        if (change.retryBudgetLeft >= 0) enc.u32(F_RETRIES_LEFT, change.retryBudgetLeft);
        if (change.awakeAt !== 0) enc.f64(F_AWAKE, change.awakeAt);
        enc.string(F_ATTEMPT, encodeAttempt(change.attempt), "utf8");
      });
    case "deadpurge":
      return enc.record(T_DEADPURGE, offset, () => {
        enc.string(F_QUEUE, change.queue, "utf8");
        enc.string(F_IDS, change.ids.join(""), "latin1");
        enc.u32(F_REASON, PURGE_REASONS.indexOf(change.reason));
      });
    case "result":
      return writeResult(enc, offset, change);
    case "policy":
      return writePolicy(enc, offset, change.queue, change.policy);
    case "redrive":
      return enc.record(T_REDRIVE, offset, () => {
        writeJobFields(enc, change.job);
        enc.string(F_DEAD_ID, change.deadId, "latin1");
      });
    case "flushqueue":
      return enc.record(T_FLUSHQUEUE, offset, () => enc.string(F_QUEUE, change.queue, "utf8"));
    default:
      change satisfies never;
      throw new Error(`no journal record for change ${JSON.stringify(change)}`);
  }
}
