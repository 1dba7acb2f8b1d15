import { JOB_ORIGINS } from "../../../core/contract.js";
import type { StoredJob } from "../engine/restore.js";
import { SMALL_BODY_BYTES, type BodyRange } from "../engine/body-arena.js";
import type { IdText } from "../engine/id-column.js";
import { crc32Range } from "./checksum.js";
import { JOB_FIELD_BY_TAG, SAME_AS_FIELDS, blankJob } from "./fields.js";
import { decodeAttempt, decodeAttempts, decodeBackoff, decodePolicy } from "./failure-values.js";
import { RecurringNames } from "./recurring-names.js";
import {
  F_BODY,
  F_CREATED,
  F_ID,
  F_QUEUE,
  F_RETRY,
  F_SEQ,
  F_TTL,
  FRAME_HEADER,
  MAX_BODY,
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
  T_IDEMKEY,
  T_FAILED,
  T_DEADPURGE,
  T_RESULT,
  T_POLICY,
  T_SCHEDULE,
  T_UNSCHEDULE,
  PURGE_REASONS,
  MAX_TYPE,
  REASONS,
  PAUSES,
  KINDS,
  RecordFormatError,
  type JournalRecord,
} from "./format.js";
import { bytesEnd, decodeFields, f64, latin1, skipField, text, u32 } from "./decode-fields.js";
import { decodeSchedule } from "../../../core/schedule-json.js";

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
  const crc = crc32Range(buf, at + FRAME_HEADER, at + FRAME_HEADER + length, fileOffset >>> 0);
  return crc === buf.readUInt32LE(at + 4) ? length : -1;
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
      const letter = { type, id: f.id, reason: f.reasonText, at: f.at } as const;
      const budget = f.retries >= 0 ? { retryBudget: f.retries } : {};
      return f.attempt === ""
        ? { ...letter, ...budget }
        : { ...letter, attempt: decodeAttempt(f.attempt), ...budget };
    }
    case T_FAILED: {
      const f = decodeFields(buf, p, end);
      if (f.attempt === "") throw new RecordFormatError("failure record without its attempt");
      return {
        type,
        id: f.id,
        rank: f.rank,
        nacks: f.nacks,
        additionalDeliveries: f.additional,
        retryBudget: f.retries,
        retryBudgetLeft: f.retriesLeft,
        awakeAt: f.awake,
        attempt: decodeAttempt(f.attempt),
      };
    }
    case T_DEADPURGE: {
      const f = decodeFields(buf, p, end);
      if (f.ids.length % 40 !== 0) throw new RecordFormatError("bad id list");
      const ids: string[] = [];
      for (let i = 0; i < f.ids.length; i += 40) ids.push(f.ids.slice(i, i + 40));
      return { type, queue: f.queue, ids, reason: pick(PURGE_REASONS, f.reason, "purge reason") };
    }
    case T_RESULT: {
      const f = decodeFields(buf, p, end);
      return {
        type,
        id: f.id,
        queue: f.queue,
        body: f.result,
        completedAt: f.at,
        expiresAt: f.expires,
      };
    }
    case T_POLICY: {
      const f = decodeFields(buf, p, end);
      return { type, queue: f.queue, policy: decodePolicy(f.policy) };
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
    case T_SCHEDULE:
      return { type, schedule: scheduleOf(decodeFields(buf, p, end).schedule) };
    case T_UNSCHEDULE:
      return { type, name: decodeFields(buf, p, end).id };
    case T_IDEMKEY: {
      const f = decodeFields(buf, p, end);
      return { type, queue: f.queue, key: f.key, id: f.id, seq: f.seq, expiresAt: f.keyExpires };
    }
    default:
      throw new RecordFormatError(`unknown record type ${type}`);
  }
}

function scheduleOf(text: string): ReturnType<typeof decodeSchedule> {
  try {
    return decodeSchedule(text);
  } catch (error) {
    throw new RecordFormatError((error as Error).message);
  }
}

function pick<T>(values: T[], index: number, what: string): T {
  const value = values[index];
  if (value === undefined) throw new RecordFormatError(`unknown ${what} ${index}`);
  return value;
}

/** Queue names recur in every job record: one string per name, not one per record. */
const queueNames = new RecurringNames();

/**
 * The hot one at start-up: a job, decoded straight into its final shape.
 * The fields every job has are stored by name here (a store by a computed
 * key is a lookup each time, a million times over); the others go through
 * the table in fields.ts, which is also what the encoder writes from (the
 * record tests round-trip every field).
 */
function decodeJob(buf: Buffer, p: number, end: number): StoredJob {
  const job = blankJob();
  decodeJobInto(job, undefined, buf, p, end);
  return job;
}

/**
 * Decodes a job record's fields into `job` (which holds the fallbacks).
 * With `idText`, the id is not made a string: `idText` is pointed at its
 * bytes in `buf`; with `bodyRange`, neither is a small body: the range is
 * pointed at it (recovery: reused-job-record.ts). True when a field other
 * than those every plain job has (id, seq, queue, createdAt, ttl, retry,
 * body) was set.
 */
export function decodeJobInto(
  job: StoredJob,
  idText: IdText | undefined,
  buf: Buffer,
  p: number,
  end: number,
  bodyRange?: BodyRange,
): boolean {
  let rare = false;
  let idLength = -1;
  while (p < end) {
    const tag = buf[p++]!;
    switch (tag) {
      case F_ID: {
        const from = p + 4;
        p = bytesEnd(buf, p, end);
        idLength = p - from;
        if (idText === undefined) job.id = latin1(buf, from, p);
        else idText.point(buf, from, idLength);
        break;
      }
      case F_SEQ:
        job.seq = f64(buf, p, end);
        p += 8;
        break;
      case F_QUEUE: {
        const from = p + 4;
        p = bytesEnd(buf, p, end);
        job.queue = queueNames.text(buf, from, p);
        break;
      }
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
      case F_BODY: {
        const from = p + 4;
        p = bytesEnd(buf, p, end);
        // A copy, so the read buffer can be reused; or, with a range, none:
        // the job table copies a small body into its arena.
        if (p - from <= SMALL_BODY_BYTES) {
          if (bodyRange) bodyRange.point(buf, from, p);
          else job.body = latin1(buf, from, p);
        } else {
          const body = Buffer.allocUnsafe(p - from);
          buf.copy(body, 0, from, p);
          job.body = body;
        }
        break;
      }
      default:
        p = decodeJobField(job, tag, buf, p, end);
        rare = true;
    }
  }
  if (idLength !== 40) throw new RecordFormatError("job record without a valid id");
  for (const row of SAME_AS_FIELDS) {
    const fields = job as unknown as Record<string, unknown>;
    if (Number.isNaN(fields[row.key])) fields[row.key] = fields[row.sameAs!];
  }
  return rare;
}

/** One of the rarer job fields, by its row in the table; returns where the next field starts. */
function decodeJobField(job: StoredJob, tag: number, buf: Buffer, p: number, end: number): number {
  const fields = job as unknown as Record<string, unknown>;
  const row = JOB_FIELD_BY_TAG[tag];
  if (row === undefined) return skipField(buf, tag, p, end);
  switch (row.wire) {
    case "f64":
      fields[row.key] = f64(buf, p, end);
      return p + 8;
    case "u32":
      fields[row.key] = u32(buf, p, end);
      return p + 4;
    case "latin1":
    case "utf8":
      fields[row.key] = text(buf, row.wire, p, (p = bytesEnd(buf, p, end)));
      return p;
    case "backoff":
      fields[row.key] = decodeBackoff(text(buf, "utf8", p, (p = bytesEnd(buf, p, end))));
      return p;
    case "attempts":
      fields[row.key] = decodeAttempts(text(buf, "utf8", p, (p = bytesEnd(buf, p, end))));
      return p;
    case "flag":
      fields[row.key] = u32(buf, p, end) === 1;
      return p + 4;
    case "origin": {
      // a code this version does not know (a newer door) reads as unknown
      const origin = JOB_ORIGINS[u32(buf, p, end) - 1];
      if (origin !== undefined) fields[row.key] = origin;
      return p + 4;
    }
    case "body":
      // only F_BODY is a body, decoded in decodeJob: a new one belongs there (a bug, not damage)
      throw new Error(`job field ${tag}: a body field must be decoded in decodeJob`);
  }
}
