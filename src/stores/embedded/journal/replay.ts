import type { Change, StoredJob } from "../../../core/changes.js";
import {
  T_COUNTERS,
  T_DEADLETTER,
  T_DEAD_JOB,
  T_DELETE,
  T_FLUSHALL,
  T_FLUSHQUEUE,
  T_HEADER,
  T_JOB,
  T_PAUSE,
  T_REDRIVE,
  T_RETRY,
  T_SNAPSHOT_END,
  T_TASK_NUMBER,
  T_FAILED,
  T_DEADPURGE,
  T_RESULT,
  T_POLICY,
  T_SCHEDULE,
  T_UNSCHEDULE,
  T_IDEMKEY,
  type JournalRecord,
} from "./record.js";

/**
 * Where replayed records go: the engine. A journal record of a change is
 * replayed through the engine's apply(), the same Change the engine emitted;
 * the rest is what only snapshots hold. Nothing here records a change.
 */
export interface RecoveryTarget {
  /** one recorded change; false when an added job has expired (it is not restored) */
  apply(change: Change): boolean;
  /** a job a fuzzy snapshot may also hold, dropped before the journal's copy is applied */
  forgetJob(id: string): void;
  restoreNextSeq(next: number): void;
  /** the replay starts: its job records are judged against this moment (one clock read, not one per record) */
  beginRestore(): void;
  /** the replay is over: what only the replay needed goes */
  finishRestore(): void;
  /** a snapshot's dead letter, with its job */
  restoreDeadLetter(id: string, reason: string, at: number, stored?: StoredJob): void;
  /** a snapshot's TaskQ counter for one queue */
  restoreTaskNumber(queue: string, last: number): void;
}

/** Applies one record to the engine being rebuilt. */
export class Replay {
  /**
   * Jobs below this seq may already be restored: the snapshot is fuzzy, so
   * the journal after it can hold a job it also holds. Only those need a
   * lookup before they are restored.
   */
  overlapBelow = 0;
  nextSeq = 1;
  records = 0;
  expired = 0;
  jobRecordBytes = 0;
  jobRecords = 0;

  /** the change a job record is applied as, reused: the engine keeps no change it applies */
  private readonly add: { type: "add"; job: StoredJob } = { type: "add", job: undefined! };

  constructor(private readonly target: RecoveryTarget) {}

  apply(record: JournalRecord, size: number): void {
    this.records++;
    switch (record.type) {
      case T_JOB: {
        const job = record.job;
        this.jobRecordBytes += size;
        this.jobRecords++;
        if (job.seq >= this.nextSeq) this.nextSeq = job.seq + 1;
        if (job.seq < this.overlapBelow) this.target.forgetJob(job.id);
        this.add.job = job;
        if (!this.target.apply(this.add)) this.expired++;
        break;
      }
      case T_DELETE:
        this.target.apply({ type: "delete", id: record.id, reason: record.reason });
        break;
      case T_COUNTERS:
        this.target.apply({
          type: "counters",
          id: record.id,
          nacks: record.nacks,
          additionalDeliveries: record.additionalDeliveries,
        });
        break;
      case T_PAUSE:
        this.target.apply({ type: "pause", queue: record.queue, state: record.state });
        break;
      case T_FLUSHALL:
        this.target.apply({ type: "flushall" });
        break;
      case T_RETRY:
        this.target.apply({
          type: "retry",
          id: record.id,
          rank: record.rank,
          retriesLeft: record.retriesLeft,
          nacks: record.nacks,
        });
        break;
      case T_DEADLETTER:
        // the queue is not recorded: the engine finds the job by id
        this.target.apply({
          type: "deadletter",
          id: record.id,
          queue: "",
          reason: record.reason,
          at: record.at,
          ...(record.attempt ? { attempt: record.attempt } : {}),
          ...(record.retryBudget !== undefined ? { retryBudget: record.retryBudget } : {}),
        });
        break;
      case T_FAILED: {
        const { type: _type, ...failed } = record;
        this.target.apply({ type: "failed", ...failed });
        break;
      }
      case T_DEADPURGE:
        this.target.apply({ type: "deadpurge", queue: record.queue, ids: record.ids, reason: record.reason });
        break;
      case T_RESULT: {
        const { type: _type, ...result } = record;
        this.target.apply({ type: "result", ...result });
        break;
      }
      case T_POLICY:
        this.target.apply({ type: "policy", queue: record.queue, policy: record.policy });
        break;
      case T_SCHEDULE:
        this.target.apply({ type: "schedule", schedule: record.schedule });
        break;
      case T_UNSCHEDULE:
        this.target.apply({ type: "unschedule", name: record.name });
        break;
      case T_DEAD_JOB:
        this.target.restoreDeadLetter(record.job.id, record.reason, record.at, record.job);
        break;
      case T_REDRIVE:
        if (record.job.seq >= this.nextSeq) this.nextSeq = record.job.seq + 1;
        this.target.apply({
          type: "redrive",
          queue: record.job.queue,
          deadId: record.deadId,
          job: record.job,
        });
        break;
      case T_FLUSHQUEUE:
        this.target.apply({ type: "flushqueue", queue: record.queue });
        break;
      case T_TASK_NUMBER:
        this.target.restoreTaskNumber(record.queue, record.last);
        break;
      case T_IDEMKEY: {
        const { type: _type, ...key } = record;
        this.target.apply({ type: "idemkey", ...key });
        break;
      }
      case T_SNAPSHOT_END:
        if (record.nextSeq > this.nextSeq) this.nextSeq = record.nextSeq;
        break;
      case T_HEADER:
        break;
    }
  }
}
