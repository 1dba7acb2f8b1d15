import type { PauseState } from "../../../core/contract.js";
import type { EngineChange } from "../engine/changes.js";
import type { StoredJob } from "../engine/restore.js";
import { SMALL_BODY_BYTES } from "../engine/job.js";
import { crc32 } from "./checksum.js";

/**
 * The record format shared by journal and snapshot files (docs/persistence.md).
 *
 *   frame  = length u32le | crc u32le | body
 *   body   = type u8 | field*
 *   field  = tag u8 | value
 *
 * `length` counts the body. `crc` is CRC-32 of the body, started from the
 * frame's file offset (mod 2^32) instead of 0: a frame is valid only at the
 * place it was written, so a record that happens to sit inside a job body is
 * never mistaken for one. A tag's top three bits give the value's wire kind
 * (f64, u32, or u32-length-prefixed bytes), so a reader can skip fields it
 * does not know. Absent fields take their defaults.
 *
 * Adding a record type: a T_ constant, an encoder below, a case in
 * decodeRecord. Adding a job field: an F_ tag of the right kind, one line in
 * writeJob and one case in decodeJob (and the field in StoredJob).
 */

export const FRAME_HEADER = 8;
/** the largest body a frame may declare: a 512 MiB job plus its fields */
export const MAX_BODY = 600 * 1024 * 1024;
export const FORMAT_VERSION = 1;

// record types
export const T_HEADER = 1;
export const T_JOB = 2;
export const T_DELETE = 3;
export const T_COUNTERS = 4;
export const T_PAUSE = 5;
export const T_FLUSHALL = 6;
export const T_SNAPSHOT_END = 7;
/** takeanumber RETRY and emq's nak: the job's place, budget and nacks */
export const T_RETRY = 8;
/** a live job moved to its queue's dead-letter list */
export const T_DEADLETTER = 9;
/** a dead letter queued again as a fresh job: the new job plus the letter's id */
export const T_REDRIVE = 10;
/** okq QFLUSH */
export const T_FLUSHQUEUE = 11;
/** a dead letter in a snapshot: the whole job, why and when */
export const T_DEAD_JOB = 12;
/** a snapshot's TaskQ counter: the highest task number a queue has had */
export const T_TASK_NUMBER = 13;
const MAX_TYPE = 13;

// wire kinds, in a tag's top three bits
const KIND_F64 = 1;
const KIND_U32 = 2;
const KIND_BYTES = 3;

// f64 fields
const F_SEQ = 0x21;
const F_CREATED = 0x22;
const F_RANK = 0x23;
const F_AWAKE = 0x24;
const F_GENERATION = 0x25;
const F_WALL_TIME = 0x26;
const F_NEXT_SEQ = 0x27;
const F_COUNT = 0x28;
const F_AT = 0x29;
// u32 fields
const F_TTL = 0x41;
const F_RETRY = 0x42;
const F_DELAY = 0x43;
const F_REPL = 0x44;
const F_NACKS = 0x45;
const F_ADDITIONAL = 0x46;
const F_REASON = 0x47;
const F_PAUSE = 0x48;
const F_FORMAT = 0x49;
const F_KIND = 0x4a;
const F_RETRIES = 0x4b;
const F_RETRIES_LEFT = 0x4c;
/** header: 1 when the data directory keeps a MANIFEST (so a missing one is noticed) */
const F_MANIFEST = 0x4d;
// byte fields
const F_ID = 0x61;
const F_QUEUE = 0x62;
const F_BODY = 0x63;
const F_EVENT_ID = 0x64;
const F_DEAD_ID = 0x65;
const F_REASON_TEXT = 0x66;

/** u32 fields by name, for the error when a value does not fit */
const U32_NAMES: Record<number, string> = {
  [F_TTL]: "ttl",
  [F_RETRY]: "retry",
  [F_DELAY]: "delay",
  [F_REPL]: "repl",
  [F_NACKS]: "nacks",
  [F_ADDITIONAL]: "additional-deliveries",
  [F_REASON]: "delete reason",
  [F_PAUSE]: "pause state",
  [F_FORMAT]: "format",
  [F_KIND]: "file kind",
  [F_RETRIES]: "retries",
  [F_RETRIES_LEFT]: "retries left",
  [F_MANIFEST]: "manifest",
};

function fieldName(tag: number): string {
  return U32_NAMES[tag] ?? `field ${tag}`;
}

export type FileKind = "journal" | "snapshot";
export type DeleteReason = "ack" | "fastack" | "deljob" | "expire" | "noack";

// Append only: a reason is stored as its index.
const REASONS: DeleteReason[] = ["ack", "fastack", "deljob", "expire", "noack"];
const PAUSES: PauseState[] = ["none", "in", "out", "all"];
const KINDS: FileKind[] = ["journal", "snapshot"];

export type JournalRecord =
  | {
      type: typeof T_HEADER;
      format: number;
      kind: FileKind;
      generation: number;
      createdAt: number;
      /** written by a docket that keeps a MANIFEST */
      manifest: boolean;
    }
  | { type: typeof T_JOB; job: StoredJob }
  | { type: typeof T_DELETE; id: string; reason: DeleteReason }
  | { type: typeof T_COUNTERS; id: string; nacks: number; additionalDeliveries: number }
  | { type: typeof T_PAUSE; queue: string; state: PauseState }
  | { type: typeof T_FLUSHALL }
  | { type: typeof T_SNAPSHOT_END; jobs: number; nextSeq: number }
  | { type: typeof T_RETRY; id: string; rank: number; retriesLeft: number; nacks: number }
  | { type: typeof T_DEADLETTER; id: string; reason: string; at: number }
  | { type: typeof T_REDRIVE; job: StoredJob; deadId: string }
  | { type: typeof T_FLUSHQUEUE; queue: string }
  | { type: typeof T_DEAD_JOB; job: StoredJob; reason: string; at: number }
  | { type: typeof T_TASK_NUMBER; queue: string; last: number };

export class RecordFormatError extends Error {}

// ------------------------------------------------------------------ encoding

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

function writeJobFields(enc: RecordEncoder, job: StoredJob): void {
  enc.string(F_ID, job.id, "latin1");
  enc.f64(F_SEQ, job.seq);
  enc.string(F_QUEUE, job.queue, "utf8");
  enc.f64(F_CREATED, job.createdAt);
  enc.u32(F_TTL, job.ttl);
  enc.u32(F_RETRY, job.retry);
  if (job.delay !== 0) enc.u32(F_DELAY, job.delay);
  if (job.repl !== 1) enc.u32(F_REPL, job.repl);
  if (job.rank !== job.seq) enc.f64(F_RANK, job.rank);
  if (job.awakeAt !== 0) enc.f64(F_AWAKE, job.awakeAt);
  if (job.nacks !== 0) enc.u32(F_NACKS, job.nacks);
  if (job.additionalDeliveries !== 0) enc.u32(F_ADDITIONAL, job.additionalDeliveries);
  if (job.eventId !== undefined) enc.string(F_EVENT_ID, job.eventId, "utf8");
  if (job.retries !== undefined && job.retries >= 0) enc.u32(F_RETRIES, job.retries);
  if (job.retriesLeft !== undefined && job.retriesLeft >= 0) enc.u32(F_RETRIES_LEFT, job.retriesLeft);
  if (typeof job.body === "string") enc.string(F_BODY, job.body, "latin1");
  else enc.bytes(F_BODY, job.body);
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

/** One engine change as one record. */
export function writeChange(enc: RecordEncoder, offset: number, change: EngineChange): number {
  switch (change.type) {
    case "add": {
      const job = change.job;
      // The engine reports the add before it sets the delay timer: derive it.
      const awakeAt = job.delay > 0 ? job.createdAt + job.delay * 1000 : 0;
      return writeJob(enc, offset, awakeAt === job.awakeAt ? job : { ...fieldsOf(job), awakeAt });
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
      });
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

function fieldsOf(job: StoredJob): StoredJob {
  return {
    id: job.id,
    seq: job.seq,
    queue: job.queue,
    body: job.body,
    createdAt: job.createdAt,
    ttl: job.ttl,
    retry: job.retry,
    delay: job.delay,
    repl: job.repl,
    rank: job.rank,
    nacks: job.nacks,
    additionalDeliveries: job.additionalDeliveries,
    awakeAt: job.awakeAt,
    eventId: job.eventId,
    retries: job.retries,
    retriesLeft: job.retriesLeft,
  };
}

// ------------------------------------------------------------------ decoding

/**
 * Checks the frame at `at` in `buf` (which holds file bytes from
 * `bufOffset`): the body's length when it is complete and its checksum
 * matches, else -1. `limit` is where the readable bytes end.
 */
export function checkFrame(buf: Buffer, at: number, limit: number, fileOffset: number): number {
  if (at + FRAME_HEADER > limit) return -1;
  const length = buf.readUInt32LE(at);
  if (length < 1 || length > MAX_BODY || at + FRAME_HEADER + length > limit) return -1;
  const type = buf[at + FRAME_HEADER]!;
  if (type < 1 || type > MAX_TYPE) return -1;
  const body = buf.subarray(at + FRAME_HEADER, at + FRAME_HEADER + length);
  return crc32(body, fileOffset >>> 0) === buf.readUInt32LE(at + 4) ? length : -1;
}

/** Decodes a checked body (`buf[start, end)`, type byte first). Copies what it keeps. */
export function decodeRecord(buf: Buffer, start: number, end: number): JournalRecord {
  const type = buf[start]!;
  const p = start + 1;
  switch (type) {
    case T_JOB:
      return { type, job: decodeJob(buf, p, end) };
    case T_DELETE: {
      const f = decodeFields(buf, p, end);
      return { type, id: f.id, reason: pick(REASONS, f.reason, "delete reason") };
    }
    case T_COUNTERS: {
      const f = decodeFields(buf, p, end);
      return { type, id: f.id, nacks: f.nacks, additionalDeliveries: f.additional };
    }
    case T_PAUSE: {
      const f = decodeFields(buf, p, end);
      return { type, queue: f.queue, state: pick(PAUSES, f.pause, "pause state") };
    }
    case T_FLUSHALL:
      decodeFields(buf, p, end);
      return { type };
    case T_HEADER: {
      const f = decodeFields(buf, p, end);
      return {
        type,
        format: f.format,
        kind: pick(KINDS, f.kind, "file kind"),
        generation: f.generation,
        createdAt: f.wallTime,
        manifest: f.manifest === 1,
      };
    }
    case T_SNAPSHOT_END: {
      const f = decodeFields(buf, p, end);
      return { type, jobs: f.count, nextSeq: f.nextSeq };
    }
    case T_RETRY: {
      const f = decodeFields(buf, p, end);
      return { type, id: f.id, rank: f.rank, retriesLeft: f.retriesLeft, nacks: f.nacks };
    }
    case T_DEADLETTER: {
      const f = decodeFields(buf, p, end);
      return { type, id: f.id, reason: f.reasonText, at: f.at };
    }
    case T_REDRIVE:
      return { type, job: decodeJob(buf, p, end), deadId: decodeFields(buf, p, end).deadId };
    case T_FLUSHQUEUE:
      return { type, queue: decodeFields(buf, p, end).queue };
    case T_DEAD_JOB: {
      const f = decodeFields(buf, p, end);
      return { type, job: decodeJob(buf, p, end), reason: f.reasonText, at: f.at };
    }
    case T_TASK_NUMBER: {
      const f = decodeFields(buf, p, end);
      return { type, queue: f.queue, last: f.count };
    }
    default:
      throw new RecordFormatError(`unknown record type ${type}`);
  }
}

function pick<T>(values: T[], index: number, what: string): T {
  const value = values[index];
  if (value === undefined) throw new RecordFormatError(`unknown ${what} ${index}`);
  return value;
}

const EMPTY = Buffer.alloc(0);

/** The hot one at start-up: a job, decoded straight into its final shape. */
function decodeJob(buf: Buffer, p: number, end: number): StoredJob {
  const job: StoredJob = {
    id: "",
    seq: 0,
    queue: "",
    body: EMPTY,
    createdAt: 0,
    ttl: 0,
    retry: 0,
    delay: 0,
    repl: 1,
    rank: NaN,
    nacks: 0,
    additionalDeliveries: 0,
    awakeAt: 0,
  };
  while (p < end) {
    const tag = buf[p++]!;
    switch (tag) {
      case F_ID:
        job.id = text(buf, "latin1", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_SEQ:
        job.seq = f64(buf, p, end);
        p += 8;
        break;
      case F_QUEUE:
        job.queue = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_CREATED:
        job.createdAt = f64(buf, p, end);
        p += 8;
        break;
      case F_TTL:
        job.ttl = u32(buf, p, end);
        p += 4;
        break;
      case F_RETRY:
        job.retry = u32(buf, p, end);
        p += 4;
        break;
      case F_DELAY:
        job.delay = u32(buf, p, end);
        p += 4;
        break;
      case F_REPL:
        job.repl = u32(buf, p, end);
        p += 4;
        break;
      case F_RANK:
        job.rank = f64(buf, p, end);
        p += 8;
        break;
      case F_AWAKE:
        job.awakeAt = f64(buf, p, end);
        p += 8;
        break;
      case F_NACKS:
        job.nacks = u32(buf, p, end);
        p += 4;
        break;
      case F_ADDITIONAL:
        job.additionalDeliveries = u32(buf, p, end);
        p += 4;
        break;
      case F_EVENT_ID:
        job.eventId = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_RETRIES:
        job.retries = u32(buf, p, end);
        p += 4;
        break;
      case F_RETRIES_LEFT:
        job.retriesLeft = u32(buf, p, end);
        p += 4;
        break;
      case F_BODY: {
        const from = p + 4;
        p = bytesEnd(buf, p, end);
        // A copy, so the read buffer can be reused. Small bodies become the
        // latin1 string Job keeps them as, with no Buffer on the way.
        if (p - from <= SMALL_BODY_BYTES) job.body = buf.toString("latin1", from, p);
        else {
          const body = Buffer.allocUnsafe(p - from);
          buf.copy(body, 0, from, p);
          job.body = body;
        }
        break;
      }
      default:
        p = skipField(buf, tag, p, end);
    }
  }
  if (job.id.length !== 40) throw new RecordFormatError("job record without a valid id");
  if (Number.isNaN(job.rank)) job.rank = job.seq;
  return job;
}

/** Every non-job field, by name; defaults for the absent ones. */
class Fields {
  id = "";
  queue = "";
  reason = -1;
  nacks = 0;
  additional = 0;
  pause = -1;
  format = 0;
  kind = -1;
  generation = 0;
  wallTime = 0;
  count = 0;
  nextSeq = 0;
  rank = 0;
  retriesLeft = -1;
  reasonText = "";
  at = 0;
  deadId = "";
  manifest = 0;
}

function decodeFields(buf: Buffer, p: number, end: number): Fields {
  const f = new Fields();
  while (p < end) {
    const tag = buf[p++]!;
    switch (tag) {
      case F_ID:
        f.id = text(buf, "latin1", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_QUEUE:
        f.queue = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_REASON:
        f.reason = u32(buf, p, end);
        p += 4;
        break;
      case F_NACKS:
        f.nacks = u32(buf, p, end);
        p += 4;
        break;
      case F_ADDITIONAL:
        f.additional = u32(buf, p, end);
        p += 4;
        break;
      case F_PAUSE:
        f.pause = u32(buf, p, end);
        p += 4;
        break;
      case F_FORMAT:
        f.format = u32(buf, p, end);
        p += 4;
        break;
      case F_KIND:
        f.kind = u32(buf, p, end);
        p += 4;
        break;
      case F_GENERATION:
        f.generation = f64(buf, p, end);
        p += 8;
        break;
      case F_WALL_TIME:
        f.wallTime = f64(buf, p, end);
        p += 8;
        break;
      case F_COUNT:
        f.count = f64(buf, p, end);
        p += 8;
        break;
      case F_NEXT_SEQ:
        f.nextSeq = f64(buf, p, end);
        p += 8;
        break;
      case F_RANK:
        f.rank = f64(buf, p, end);
        p += 8;
        break;
      case F_AT:
        f.at = f64(buf, p, end);
        p += 8;
        break;
      case F_RETRIES_LEFT:
        f.retriesLeft = u32(buf, p, end);
        p += 4;
        break;
      case F_REASON_TEXT:
        f.reasonText = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_DEAD_ID:
        f.deadId = text(buf, "latin1", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_MANIFEST:
        f.manifest = u32(buf, p, end);
        p += 4;
        break;
      default:
        p = skipField(buf, tag, p, end);
    }
  }
  return f;
}

function f64(buf: Buffer, p: number, end: number): number {
  if (p + 8 > end) throw new RecordFormatError("field runs past the record");
  return buf.readDoubleLE(p);
}

function u32(buf: Buffer, p: number, end: number): number {
  if (p + 4 > end) throw new RecordFormatError("field runs past the record");
  return buf.readUInt32LE(p);
}

/** The string in the length-prefixed value at `p` (ending at `next`). */
function text(buf: Buffer, encoding: "latin1" | "utf8", p: number, next: number): string {
  return buf.toString(encoding, p + 4, next);
}

/** End of a length-prefixed value starting at `p`. */
function bytesEnd(buf: Buffer, p: number, end: number): number {
  const next = p + 4 + u32(buf, p, end);
  if (next > end) throw new RecordFormatError("field runs past the record");
  return next;
}

/** A field this version does not know: skipped by its wire kind. */
function skipField(buf: Buffer, tag: number, p: number, end: number): number {
  switch (tag >> 5) {
    case KIND_F64:
      if (p + 8 > end) break;
      return p + 8;
    case KIND_U32:
      if (p + 4 > end) break;
      return p + 4;
    case KIND_BYTES:
      return bytesEnd(buf, p, end);
  }
  throw new RecordFormatError(`bad field tag ${tag}`);
}
