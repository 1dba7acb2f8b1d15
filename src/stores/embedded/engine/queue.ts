import type { PauseState } from "../../../core/contract.js";
import type { RateLimit } from "../../../core/scheduling.js";
import { ReadyJobs } from "./ready-jobs.js";
import type { FetchWaiter } from "./blocked.js";
import type { Consumer } from "../../../core/explain.js";
import type { FetchLog } from "./explain-state.js";
import type { JobTable } from "./job-table.js";

/** A named queue: its ready jobs in order, its blocked fetchers, its counters. */
export class Queue {
  readonly ready: ReadyJobs;
  /** QPOLICY … RATE, copied from the queue's policy */
  rateLimit: RateLimit | undefined = undefined;
  /** the rate limit's GCRA state (core/scheduling.ts); not journaled: a restart gives a fresh burst */
  tat = 0;
  /** when the timer heap wakes this queue's blocked fetchers for their next rate slot (0: not armed) */
  rateWakeAt = 0;
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
    jobs: JobTable,
  ) {
    this.ready = new ReadyJobs(jobs);
  }

  get pausedIn(): boolean {
    return this.pause === "in" || this.pause === "all";
  }

  get pausedOut(): boolean {
    return this.pause === "out" || this.pause === "all";
  }
}
