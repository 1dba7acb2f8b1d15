import { slotOrder, type Job } from "./job.js";
import type { JobTable } from "./job-table.js";
import { SortedList } from "./sorted-list.js";

/** One group's bookkeeping in a queue (core/scheduling.ts). */
interface GroupState {
  /** its jobs in the ready list */
  queued: number;
  /** its jobs delivered and not back yet (leased) */
  inFlight: number;
  /** the highest round of its queued jobs: the next one queued behind them gets a later one */
  lastRound: number;
  /** with a GROUPLIMIT: its queued jobs in order, and the one of them in `heads` (if any) */
  lane: SortedList<number, number> | undefined;
  /** a slot */
  head: number | undefined;
}

/** the largest round (a u32 in the journal) */
const MAX_ROUND = 4_294_967_295;

function itself(slot: number): number {
  return slot;
}

/**
 * A queue's ready jobs in delivery order (priority, round, rank), with the
 * groups' counts that rounds and GROUPLIMIT need.
 *
 * Without a GROUPLIMIT, the next job is the first of `all`: a plain queue
 * is one ordered list, as before groups existed, and ungrouped jobs cost no
 * bookkeeping. With one, each group (ungrouped jobs are group "") keeps its
 * own ordered lane, and `heads` holds the first job of every group below
 * its limit: the next job is the first head, so a group at its limit holds
 * its jobs back without being walked over (every move is O(log n)). The
 * jobs held back stay in `all`: QLEN counts them and QPEEK lists them.
 */
export class ReadyJobs {
  /** job slots (job-table.ts) in delivery order */
  private readonly all: SortedList<number, number>;
  /** named groups always; "" only while a GROUPLIMIT is set */
  private readonly groups = new Map<string, GroupState>();
  private limit = 0;
  private heads: SortedList<number, number> | undefined = undefined;
  /** the highest round delivered (core/scheduling.ts): a group with nothing queued starts here */
  currentRound = 0;
  private readonly order: (a: number, b: number) => number;

  constructor(private readonly table: JobTable) {
    this.order = slotOrder(table);
    this.all = this.orderedSlots();
  }

  private orderedSlots(): SortedList<number, number> {
    return new SortedList<number, number>(itself, this.order);
  }

  get size(): number {
    return this.all.size;
  }

  /** nothing queued and no group counted (in flight): the queue may be forgotten without losing a count */
  get idle(): boolean {
    return this.all.size === 0 && this.groups.size === 0;
  }

  first(): Job | undefined {
    const slot = this.all.first();
    return slot === undefined ? undefined : this.table.view(slot);
  }

  *[Symbol.iterator](): IterableIterator<Job> {
    for (const slot of this.all) yield this.table.view(slot);
  }

  *reversed(): IterableIterator<Job> {
    for (const slot of this.all.reversed()) yield this.table.view(slot);
  }

  /** 0-based place in delivery order, or -1 */
  indexOf(job: Job): number {
    return this.all.indexOf(job.slot);
  }

  /** The round a new job of `group` gets: one past its group's queued jobs, never behind the queue's. */
  roundFor(group: string | undefined): number {
    if (group === undefined) return 0;
    const state = this.groups.get(group);
    if (!state || state.queued === 0) return this.currentRound;
    // the journal keeps a round in 32 bits: a group that far behind stays in the last one
    return Math.min(Math.max(state.lastRound + 1, this.currentRound), MAX_ROUND);
  }

  insert(job: Job): void {
    this.all.insert(job.slot);
    const state = this.stateOf(job);
    if (!state) return;
    state.lastRound = state.queued === 0 ? job.round : Math.max(state.lastRound, job.round);
    state.queued++;
    if (state.lane) {
      state.lane.insert(job.slot);
      this.syncHead(state);
    }
  }

  remove(job: Job): boolean {
    if (this.all.remove(job.slot) === undefined) return false;
    this.unqueued(job);
    return true;
  }

  /** Takes the next job that may be delivered off the list (undefined: none may). */
  take(): Job | undefined {
    let slot: number | undefined;
    if (this.heads === undefined) slot = this.all.shift();
    else {
      slot = this.heads.first();
      if (slot !== undefined) this.all.remove(slot);
    }
    if (slot === undefined) return undefined;
    const job = this.table.view(slot);
    if (job.round > this.currentRound) this.currentRound = job.round;
    this.unqueued(job);
    return job;
  }

  /** One of this queue's jobs was leased: its group has one more in flight. */
  leased(job: Job): void {
    const state = this.stateOf(job);
    if (!state) return;
    state.inFlight++;
    if (state.lane) this.syncHead(state);
  }

  /** A lease ended: true when that let a held-back job of its group go. */
  landed(job: Job): boolean {
    const name = this.groupName(job);
    const state = name === undefined ? undefined : this.groups.get(name);
    if (!state || state.inFlight === 0) return false;
    state.inFlight--;
    let freed = false;
    if (state.lane) {
      const before = state.head;
      this.syncHead(state);
      freed = before === undefined && state.head !== undefined;
    }
    this.dropIfIdle(name!, state);
    return freed;
  }

  /** Whether this queued job is held back by its group's GROUPLIMIT. */
  heldBack(job: Job): boolean {
    if (this.limit === 0) return false;
    const state = this.groups.get(job.group ?? "");
    return state !== undefined && state.inFlight >= this.limit;
  }

  /** The queue's GROUPLIMIT (0: none): the groups are counted again, from the queued jobs and `leased`. */
  setGroupLimit(limit: number, leased: Iterable<Job>): void {
    if (limit === this.limit) return;
    this.limit = limit;
    this.groups.clear();
    this.heads = limit > 0 ? this.orderedSlots() : undefined;
    for (const job of this) {
      const state = this.stateOf(job);
      if (state === undefined) continue;
      state.lastRound = state.queued === 0 ? job.round : Math.max(state.lastRound, job.round);
      state.queued++;
      state.lane?.insert(job.slot);
    }
    for (const job of leased) {
      const state = this.stateOf(job);
      if (state) state.inFlight++;
    }
    for (const [name, state] of this.groups) {
      if (state.lane) this.syncHead(state);
      this.dropIfIdle(name, state);
    }
  }

  /** groups (named ones: ungrouped jobs are not counted) with jobs queued or in flight */
  groupCount(): number {
    return this.groups.size - (this.groups.has("") ? 1 : 0);
  }

  /** queued jobs held back because their group is at its limit */
  heldBackCount(): number {
    if (this.limit === 0) return 0;
    let held = 0;
    for (const state of this.groups.values()) if (state.inFlight >= this.limit) held += state.queued;
    return held;
  }

  /** After a restart: the current round resumes just before the earliest round a group has queued. */
  resumeRounds(): void {
    let earliest = Infinity;
    for (const job of this) if (job.group !== undefined && job.round < earliest) earliest = job.round;
    if (earliest !== Infinity && earliest - 1 > this.currentRound) this.currentRound = earliest - 1;
  }

  /** Every job leaves (DEBUG FLUSHALL); in-flight counts go too (the leases are dropped with it). */
  clear(): void {
    this.all.clear();
    this.groups.clear();
    if (this.heads) this.heads = this.orderedSlots();
  }

  private groupName(job: Job): string | undefined {
    const group = job.group;
    return group !== undefined ? group : this.limit > 0 ? "" : undefined;
  }

  private stateOf(job: Job): GroupState | undefined {
    const name = this.groupName(job);
    if (name === undefined) return undefined;
    let state = this.groups.get(name);
    if (!state) {
      state = { queued: 0, inFlight: 0, lastRound: 0, lane: undefined, head: undefined };
      if (this.limit > 0) state.lane = this.orderedSlots();
      this.groups.set(name, state);
    }
    return state;
  }

  private unqueued(job: Job): void {
    const name = this.groupName(job);
    if (name === undefined) return;
    const state = this.groups.get(name);
    if (!state) return;
    state.queued--;
    if (state.lane) {
      state.lane.remove(job.slot);
      this.syncHead(state);
    }
    this.dropIfIdle(name, state);
  }

  /** `heads` holds the group's first queued job exactly when the group is below its limit. */
  private syncHead(state: GroupState): void {
    const want = state.lane!.size > 0 && state.inFlight < this.limit ? state.lane!.first() : undefined;
    if (want === state.head) return;
    if (state.head !== undefined) this.heads!.remove(state.head);
    if (want !== undefined) this.heads!.insert(want);
    state.head = want;
  }

  private dropIfIdle(name: string, state: GroupState): void {
    if (state.queued === 0 && state.inFlight === 0) this.groups.delete(name);
  }
}
