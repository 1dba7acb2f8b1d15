import { JOB_ORIGINS, type JobResult, type PauseState, type QueuePolicy } from "../../../core/contract.js";
import { formatBackoff } from "../../../core/failures.js";
import { encodeAttempt, encodeAttempts, encodePolicy } from "./failure-values.js";
import { encodeSchedule } from "../../../core/schedule-json.js";
import type { ScheduleInfo } from "../../../core/schedules.js";
import type { EngineChange } from "../engine/changes.js";
import type { StoredJob } from "../engine/restore.js";
import { BodyRange } from "../engine/body-arena.js";
import { RecordEncoder } from "./encoder.js";
import { JOB_FIELDS, jobFieldsOf, leftOutTest, type JobField } from "./fields.js";
import {
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
  T_SCHEDULE,
  T_UNSCHEDULE,
  T_IDEMKEY,
  F_KEY,
  F_KEY_EXPIRES,
  F_SEQ,
  F_AWAKE,
  F_RETRIES,
  F_EXPIRES,
  F_ATTEMPT,
  F_IDS,
  F_POLICY,
  F_SCHEDULE_INFO,
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
  REASONS,
  PAUSES,
  KINDS,
  type FileKind,
  type DeleteReason,
} from "./format.js";

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
  return enc.record(type, offset, writeJobFields, job);
}

/** The job's fields, driven by the table in fields.ts (compiled once: see compileJobWriter). */
const writeJobFields = compileJobWriter(JOB_FIELDS);

/**
 * Turns the field table into one straight-line function, as fastify's
 * serializers compile a schema: every ADDJOB writes a job record, and
 * walking the table per job made each `job[row.key]` a megamorphic load.
 * The table stays the single source; `leftOutTest` is the rule, as code.
 */
function compileJobWriter(rows: readonly JobField[]): (enc: RecordEncoder, job: StoredJob) => void {
  // each field is read once (a Job's getters compute, and its body getter copies)
  const lines = rows.map((row, i) => {
    const read = row.readFirst ? `job.${row.readFirst} ?? job.${String(row.key)}` : `job.${String(row.key)}`;
    const skip = leftOutTest(row, i, "v");
    const write = writeSource(row, "v");
    return `v = ${read};\n${skip === "false" ? `${write};` : `if (!(${skip})) ${write};`}`;
  });
  const helpers = { rows, formatBackoff, encodeAttempts, JOB_ORIGINS, BodyRange };
  const factory = new Function(
    "h",
    `const rows = h.rows;\nreturn function writeJobFields(enc, job) {\nlet v;\n${lines.join("\n")}\n};`,
  );
  return factory(helpers) as (enc: RecordEncoder, job: StoredJob) => void;

  function writeSource(row: JobField, value: string): string {
    const tag = row.tag;
    switch (row.wire) {
      case "f64":
        return `enc.f64(${tag}, ${value})`;
      case "u32":
        return `enc.u32(${tag}, ${value})`;
      case "latin1":
      case "utf8":
        return `enc.string(${tag}, ${value}, "${row.wire}")`;
      case "body":
        return `(${value} instanceof h.BodyRange ? enc.range(${tag}, ${value}.bytes, ${value}.from, ${value}.to) : typeof ${value} === "string" ? enc.string(${tag}, ${value}, "latin1") : enc.bytes(${tag}, ${value}))`;
      case "backoff":
        return `enc.string(${tag}, h.formatBackoff(${value}), "utf8")`;
      case "attempts":
        return `enc.string(${tag}, h.encodeAttempts(${value}), "utf8")`;
      case "flag":
        return `enc.u32(${tag}, 1)`;
      case "origin":
        return `enc.u32(${tag}, h.JOB_ORIGINS.indexOf(${value}) + 1)`;
    }
    throw new Error(`field ${String(row.key)}: unknown wire ${String(row.wire)}`);
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
  return enc.record(T_DELETE, offset, DELETE_FIELDS[REASONS.indexOf(reason)]!, id);
}

/** a deletion's fields, one function per reason (made once: every ACKJOB writes one) */
const DELETE_FIELDS = REASONS.map((_, reason) => (enc: RecordEncoder, id: string) => {
  enc.string(F_ID, id, "latin1");
  enc.u32(F_REASON, reason);
});

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

/** SCHEDULE SET or a due run's progress, and each schedule in a snapshot. */
export function writeSchedule(enc: RecordEncoder, offset: number, schedule: ScheduleInfo): number {
  return enc.record(T_SCHEDULE, offset, () => enc.string(F_SCHEDULE_INFO, encodeSchedule(schedule), "utf8"));
}

/** An idempotency key that outlives its job: a change, and each such key in a snapshot. */
export function writeIdempotencyKey(
  enc: RecordEncoder,
  offset: number,
  entry: { queue: string; key: string; id: string; seq: number; expiresAt: number },
): number {
  return enc.record(T_IDEMKEY, offset, () => {
    enc.string(F_QUEUE, entry.queue, "utf8");
    enc.string(F_KEY, entry.key, "utf8");
    enc.string(F_ID, entry.id, "latin1");
    enc.f64(F_SEQ, entry.seq);
    enc.f64(F_KEY_EXPIRES, entry.expiresAt);
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
        if (change.retryBudget !== undefined && change.retryBudget >= 0)
          enc.u32(F_RETRIES, change.retryBudget);
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
    case "schedule":
      return writeSchedule(enc, offset, change.schedule);
    case "unschedule":
      // the name in the id field: printable ASCII, so latin1 is its bytes
      return enc.record(T_UNSCHEDULE, offset, () => enc.string(F_ID, change.name, "latin1"));
    case "idemkey":
      return writeIdempotencyKey(enc, offset, change);
    default:
      change satisfies never;
      throw new Error(`no journal record for change ${JSON.stringify(change)}`);
  }
}
