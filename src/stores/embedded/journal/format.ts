import type { Attempt, JobResult, PauseState, QueuePolicy } from "../../../core/contract.js";
import type { StoredJob } from "../engine/restore.js";
import type { ScheduleInfo } from "../../../core/schedules.js";

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
 * Adding a record type: a T_ constant, an encoder in encode.ts, a case in
 * decodeRecord (decode.ts). Adding a job field: an F_ tag of the right kind,
 * one row in JOB_FIELDS (fields.ts), and the field in StoredJob.
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
/** a failure that kept the job (NACK, RETRY, a lease): its whole failure state after it */
export const T_FAILED = 14;
/** dead letters dropped: DEADPURGE, or evicted by their queue's cap */
export const T_DEADPURGE = 15;
/** ACKJOB … RESULT: the result and until when it is kept (also a snapshot's kept results) */
export const T_RESULT = 16;
/** QPOLICY: a queue's failure policy (also a snapshot's policies) */
export const T_POLICY = 17;
/** an idempotency key that outlives its job (a live job's own record carries its key) */
export const T_IDEMKEY = 18;
/** SCHEDULE SET or a due run's progress: the schedule's whole state (also a snapshot's schedules) */
export const T_SCHEDULE = 19;
/** SCHEDULE DEL */
export const T_UNSCHEDULE = 20;
export const MAX_TYPE = 20;

// wire kinds, in a tag's top three bits
export const KIND_F64 = 1;
export const KIND_U32 = 2;
export const KIND_BYTES = 3;

// f64 fields
export const F_SEQ = 0x21;
export const F_CREATED = 0x22;
export const F_RANK = 0x23;
export const F_AWAKE = 0x24;
export const F_GENERATION = 0x25;
export const F_WALL_TIME = 0x26;
export const F_NEXT_SEQ = 0x27;
export const F_COUNT = 0x28;
export const F_AT = 0x29;
export const F_EXPIRES = 0x2a;
export const F_RUN_TIMEOUT = 0x2b;
/** when a job's (or a T_IDEMKEY's) idempotency key is forgotten, absolute ms */
export const F_KEY_EXPIRES = 0x2c;
// u32 fields
export const F_TTL = 0x41;
export const F_RETRY = 0x42;
export const F_DELAY = 0x43;
export const F_REPL = 0x44;
export const F_NACKS = 0x45;
export const F_ADDITIONAL = 0x46;
export const F_REASON = 0x47;
export const F_PAUSE = 0x48;
export const F_FORMAT = 0x49;
export const F_KIND = 0x4a;
export const F_RETRIES = 0x4b;
export const F_RETRIES_LEFT = 0x4c;
/** header: 1 when the data directory keeps a MANIFEST (so a missing one is noticed) */
export const F_MANIFEST = 0x4d;
/** 1: the job waits out a backoff until its awake time (state `backoff`) */
export const F_BACKING_OFF = 0x4e;
/** 1: takeanumber's budget, spent by RETRY only (a lease that runs out spends nothing) */
export const F_RETRY_ONLY_BUDGET = 0x4f;
/** the door that added the job: JOB_ORIGINS' index + 1 (absent: unknown; an unknown code reads as absent) */
export const F_ORIGIN = 0x50;
/** a job's priority (core/scheduling.ts; absent: DEFAULT_PRIORITY) */
export const F_PRIORITY = 0x51;
/** a job's fair-sharing round (absent: 0) */
export const F_ROUND = 0x52;
// byte fields
export const F_ID = 0x61;
export const F_QUEUE = 0x62;
export const F_BODY = 0x63;
export const F_EVENT_ID = 0x64;
export const F_DEAD_ID = 0x65;
export const F_REASON_TEXT = 0x66;
/** a backoff policy in its text form (core/failures.ts formatBackoff) */
export const F_BACKOFF = 0x67;
/** a job's attempts: JSON `[[at, cause, error], …]` (at most MAX_ATTEMPTS_KEPT, errors at most MAX_ERROR_BYTES) */
export const F_ATTEMPTS = 0x68;
/** one attempt: JSON `[at, cause, error]` */
export const F_ATTEMPT = 0x69;
/** job ids back to back (each is 40 latin1 characters) */
export const F_IDS = 0x6a;
/** a queue policy: JSON, its backoff in text form */
export const F_POLICY = 0x6b;
/** a result's bytes */
export const F_RESULT = 0x6c;
/** a job's group (tenant) */
export const F_GROUP = 0x6d;
/** the name of the schedule that added the job */
export const F_SCHEDULE = 0x6e;
/** a schedule: core/schedule-json.ts's JSON text (bounded by the schedule limits) */
export const F_SCHEDULE_INFO = 0x6f;
/** an idempotency key (0x6c, first planned for it, is F_RESULT's) */
export const F_KEY = 0x70;

/** u32 fields by name, for the error when a value does not fit */
export const U32_NAMES: Record<number, string> = {
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
  [F_BACKING_OFF]: "backing off",
  [F_RETRY_ONLY_BUDGET]: "retry-only budget",
  [F_ORIGIN]: "origin",
  [F_PRIORITY]: "priority",
  [F_ROUND]: "round",
};

export function fieldName(tag: number): string {
  return U32_NAMES[tag] ?? `field ${tag}`;
}

export type FileKind = "journal" | "snapshot";
export type DeleteReason = "ack" | "fastack" | "deljob" | "expire" | "noack";

// Append only: a reason is stored as its index.
export const REASONS: DeleteReason[] = ["ack", "fastack", "deljob", "expire", "noack"];
export const PURGE_REASONS: Array<"purge" | "evict"> = ["purge", "evict"];
export const PAUSES: PauseState[] = ["none", "in", "out", "all"];
export const KINDS: FileKind[] = ["journal", "snapshot"];

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
  | {
      type: typeof T_DEADLETTER;
      id: string;
      reason: string;
      at: number;
      attempt?: Attempt;
      retryBudget?: number;
    }
  | {
      type: typeof T_FAILED;
      id: string;
      rank: number;
      nacks: number;
      additionalDeliveries: number;
      retryBudget: number;
      retryBudgetLeft: number;
      awakeAt: number;
      attempt: Attempt;
    }
  | { type: typeof T_DEADPURGE; queue: string; ids: string[]; reason: "purge" | "evict" }
  | ({ type: typeof T_RESULT } & JobResult)
  | { type: typeof T_POLICY; queue: string; policy: QueuePolicy }
  | { type: typeof T_REDRIVE; job: StoredJob; deadId: string }
  | { type: typeof T_FLUSHQUEUE; queue: string }
  | { type: typeof T_DEAD_JOB; job: StoredJob; reason: string; at: number }
  | { type: typeof T_TASK_NUMBER; queue: string; last: number }
  | { type: typeof T_SCHEDULE; schedule: ScheduleInfo }
  | { type: typeof T_UNSCHEDULE; name: string }
  | { type: typeof T_IDEMKEY; queue: string; key: string; id: string; seq: number; expiresAt: number };

export class RecordFormatError extends Error {}
