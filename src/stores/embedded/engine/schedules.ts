import { type AddJobRequest, type AddJobResult } from "../../../core/contract.js";
import type { Change } from "../../../core/changes.js";
import {
  MAX_SCHEDULES,
  advanceSchedule,
  checkListCount,
  checkScheduleDefinition,
  isRunRefusal,
  listAfter,
  listCursor,
  ranSchedule,
  scheduledAdd,
  tooManySchedules,
  upsertedSchedule,
  type ScheduleDefinition,
  type ScheduleInfo,
  type SchedulePage,
} from "../../../core/schedules.js";
import { ExplainingEngine } from "./explaining.js";
import { ScheduleTable } from "./schedule-table.js";

/** A due time whose add failed for a reason that may pass (the journal, memory) is tried again this much later. */
const RETRY_FAILED_RUN_MS = 1000;

/**
 * Recurring jobs on the embedded store (docs/schedules.md): the schedule
 * table, its journal changes, and the due runs. A due time is run by the
 * engine's own timer path (`runDue`, on the injected clock): one job through
 * the normal add, keyed scheduleRunKey(name, dueAt), then the schedule's
 * progress is recorded. A crash between the two leaves the add journaled
 * and the schedule still due: after the restart the same due time is tried
 * again and its key makes it a duplicate, so the job exists once.
 */
export abstract class SchedulingEngine extends ExplainingEngine {
  protected readonly schedules = new ScheduleTable();
  /** a due run is adding its job (the add's own runDue must not start another) */
  private firing = false;

  abstract addJob(req: AddJobRequest): AddJobResult;

  upsertSchedule(def: ScheduleDefinition): ScheduleInfo {
    const now = this.runDue();
    checkScheduleDefinition(def);
    const old = this.schedules.get(def.name) ?? null;
    if (old === null && this.schedules.size >= MAX_SCHEDULES) throw tooManySchedules();
    const info = upsertedSchedule(old, def, now);
    this.record(info);
    return info;
  }

  getSchedule(name: string): ScheduleInfo | null {
    this.runDue();
    return this.schedules.get(name) ?? null;
  }

  listSchedules(cursor: string, count: number): SchedulePage {
    this.runDue();
    checkListCount(count);
    const items = this.schedules.page(listAfter(cursor), count + 1);
    if (items.length <= count) return { cursor: "0", items };
    items.pop();
    return { cursor: listCursor(items[items.length - 1]!.name), items };
  }

  removeSchedule(name: string): number {
    this.runDue();
    if (this.schedules.get(name) === undefined) return 0;
    this.emit({ type: "unschedule", name });
    this.schedules.delete(name);
    return 1;
  }

  override nextWakeAt(): number {
    return Math.min(super.nextWakeAt(), this.schedules.nextDueAt());
  }

  override runDue(): number {
    const now = super.runDue();
    if (this.firing || this.schedules.nextDueAt() > now) return now;
    this.firing = true;
    try {
      let info: ScheduleInfo | undefined;
      while ((info = this.schedules.popDue(now)) !== undefined) this.run(info, now);
    } finally {
      this.firing = false;
    }
    return now;
  }

  /** One due schedule: its job (made up once for every due time that passed), then its progress. */
  private run(info: ScheduleInfo, now: number): void {
    const { dueAt, nextRunAt } = advanceSchedule(info, now);
    let jobId: string | null = null;
    try {
      // a duplicate (the job was added before a crash that lost the progress) counts as this run's job
      jobId = this.addJob(scheduledAdd(info, dueAt)).id;
    } catch (error) {
      if (!isRunRefusal(error)) {
        // not the queue's answer: the schedule stays due and is tried again soon
        this.schedules.postpone(info, now + RETRY_FAILED_RUN_MS);
        return;
      }
    }
    try {
      this.record(ranSchedule(info, dueAt, nextRunAt, jobId));
    } catch {
      // the progress was not recorded (the journal): still due, and the retry's add is a duplicate
      // (a timer run must not throw: it runs inside other commands and the ticker)
      this.schedules.postpone(info, now + RETRY_FAILED_RUN_MS);
    }
  }

  /** Journals a schedule's new state, then keeps it (the journal refuses first: nothing changes). */
  private record(info: ScheduleInfo): void {
    this.emit({ type: "schedule", schedule: info });
    const before = this.schedules.nextDueAt();
    this.schedules.set(info);
    if (info.nextRunAt < before) this.onWake?.(info.nextRunAt);
  }

  override apply(change: Change): boolean {
    switch (change.type) {
      case "schedule":
        this.schedules.set(change.schedule);
        return true;
      case "unschedule":
        this.schedules.delete(change.name);
        return true;
      default:
        return super.apply(change);
    }
  }

  /** Every schedule: for snapshots. */
  scheduleEntries(): IterableIterator<ScheduleInfo> {
    return this.schedules.values();
  }
}
