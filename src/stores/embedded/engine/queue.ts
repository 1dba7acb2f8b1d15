import type { PauseState } from "../../../core/contract.js";
import type { Job } from "./job.js";
import { SortedList } from "./sorted-list.js";
import type { FetchWaiter } from "./blocked.js";
import type { Consumer } from "../../../core/explain.js";
import type { FetchLog } from "./explain-state.js";

/** A named queue: its ready jobs in order, its blocked fetchers, its counters. */
export class Queue {
  readonly ready = new SortedList<Job>((job) => job.rank);
  /** blocked fetchers, in the order they blocked */
  readonly waiters = new Set<FetchWaiter>();
  pause: PauseState = "none";
  /** EXPLAIN (not journaled): when the pause state last changed and who changed it */
  pausedSince: number | null = null;
  pausedBy: Consumer | null = null;
  /** EXPLAIN: the fetches seen on this queue, made on the first one */
  fetches: FetchLog | undefined = undefined;
  jobsIn = 0;
  jobsOut = 0;

  constructor(
    readonly name: string,
    /** creation order, used as the QSCAN cursor */
    readonly serial: number,
    readonly createdAt: number,
    /** last time a job entered or left */
    public touchedAt: number,
  ) {}

  get pausedIn(): boolean {
    return this.pause === "in" || this.pause === "all";
  }

  get pausedOut(): boolean {
    return this.pause === "out" || this.pause === "all";
  }
}
