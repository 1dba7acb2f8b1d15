import type { Redis } from "ioredis";
import { type AddJobRequest, type AddJobResult } from "../../core/contract.js";
import type { Clock } from "../../core/clock.js";
import { decodeSchedule, encodeSchedule } from "../../core/schedule-json.js";
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
} from "../../core/schedules.js";
import type { Client } from "./connection.js";
import type { Keys } from "./keys.js";
import { Script, list, num, str } from "./script.js";
import { scriptSource } from "./scripts.js";

/** due schedules looked at per run (the rest wait for the next tick) */
const DUE_BATCH = 1000;

/**
 * Recurring jobs on Redis (docs/schedules.md). Any server runs the due
 * schedules on its timer path (timers.ts), and several may run the same
 * one at once; each due time still makes exactly one job:
 *
 * 1. the job is added FIRST, through the normal add, with the key
 *    scheduleRunKey(name, dueAt): a second add of that due time (another
 *    server, or this one again after dying before step 2) is a duplicate;
 * 2. then the schedule's progress is written by a compare-and-set on the
 *    text that was read: only one server's write lands, the others find it
 *    changed and drop theirs.
 *
 * The two steps are two scripts, as the queue's slot and the schedules'
 * slot differ on Redis Cluster; the key is what makes the pair safe.
 */
export class RedisSchedules {
  private readonly setScript = new Script(scriptSource("scheduleSet"));
  private readonly delScript = new Script(scriptSource("scheduleDel"));
  private readonly listScript = new Script(scriptSource("scheduleList"));

  constructor(
    private readonly client: Client,
    private readonly keys: Keys,
    private readonly clock: Clock,
    private readonly addJob: (req: AddJobRequest) => Promise<AddJobResult>,
  ) {}

  load(node: Redis): Promise<void>[] {
    return [this.setScript.load(node), this.delScript.load(node), this.listScript.load(node)];
  }

  async upsert(def: ScheduleDefinition): Promise<ScheduleInfo> {
    checkScheduleDefinition(def);
    for (;;) {
      const read = await this.read(def.name);
      const info = upsertedSchedule(read?.info ?? null, def, this.clock.now());
      const written = await this.write(read?.text ?? "", info);
      if (written === -1) throw tooManySchedules();
      if (written === 1) return info;
      // changed meanwhile (a due run, another upsert): decide again on what it is now
    }
  }

  async get(name: string): Promise<ScheduleInfo | null> {
    return (await this.read(name))?.info ?? null;
  }

  async list(cursor: string, count: number): Promise<SchedulePage> {
    checkListCount(count);
    const reply = list(
      await this.listScript.run(this.client, this.keys.schedules.slice(0, 2), [listAfter(cursor), count + 1]),
    );
    const items: ScheduleInfo[] = [];
    for (let i = 1; i < reply.length; i += 2) items.push(decodeSchedule(str(reply[i])));
    if (items.length <= count) return { cursor: "0", items };
    items.pop();
    return { cursor: listCursor(items[items.length - 1]!.name), items };
  }

  async remove(name: string): Promise<number> {
    return num(await this.delScript.run(this.client, this.keys.schedules, [name]));
  }

  /** Runs every schedule due on the clock: its job, then its progress (see the class comment). */
  async runDue(): Promise<void> {
    const now = this.clock.now();
    const due = await this.client.zrangebyscore(this.keys.schedules[2], "-inf", now, "LIMIT", 0, DUE_BATCH);
    await Promise.all(due.map(async (name) => await this.run(name, now)));
  }

  private async run(name: string, now: number): Promise<void> {
    const read = await this.read(name);
    if (read === null || read.info.nextRunAt > now) return; // removed, or another server ran it
    const { info, text } = read;
    const { dueAt, nextRunAt } = advanceSchedule(info, now);
    let jobId: string | null = null;
    try {
      // a duplicate (another server's add, or ours before a crash) is this due time's job
      jobId = (await this.addJob(scheduledAdd(info, dueAt))).id;
    } catch (error) {
      // not the queue's answer (Redis unreachable…): it stays due, the next tick tries again
      if (!isRunRefusal(error)) return;
    }
    await this.write(text, ranSchedule(info, dueAt, nextRunAt, jobId));
  }

  private async read(name: string): Promise<{ info: ScheduleInfo; text: string } | null> {
    const text = await this.client.hget(this.keys.schedules[0], name);
    return text === null ? null : { info: decodeSchedule(text), text };
  }

  /** scheduleSet-3.lua: 1 written, 0 changed since `expected` was read, -1 full. */
  private async write(expected: string, info: ScheduleInfo): Promise<number> {
    return num(
      await this.setScript.run(this.client, this.keys.schedules, [
        info.name,
        expected,
        encodeSchedule(info),
        info.nextRunAt,
        MAX_SCHEDULES,
      ]),
    );
  }
}
