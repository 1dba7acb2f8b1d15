import type { JobScanOptions, JobState } from "./contract.js";

/**
 * JSCAN's filter: QUEUE keeps the jobs of that queue, STATE (repeatable) keeps
 * jobs in any of the listed states, and an empty STATE list means every state.
 * Split in two tests so that a store checks the cheap queue name before it
 * works out a job's state.
 */
export class JobScanFilter {
  private readonly queue: string | undefined;
  private readonly states: ReadonlySet<JobState> | undefined;

  constructor(opts: JobScanOptions) {
    this.queue = opts.queue;
    this.states = opts.states && opts.states.length > 0 ? new Set(opts.states) : undefined;
  }

  queueMatches(queue: string): boolean {
    return this.queue === undefined || queue === this.queue;
  }

  stateMatches(state: JobState): boolean {
    return this.states === undefined || this.states.has(state);
  }

  /** true when no STATE option narrows the scan */
  get everyState(): boolean {
    return this.states === undefined;
  }
}
