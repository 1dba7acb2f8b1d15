import type { Delivery } from "../broker.js";

/** A blocked GETJOB: served once, by the first job to arrive on any of its queues. */
export class Waiter {
  done = false;
  constructor(
    readonly queues: string[],
    /** absolute ms, or 0 for no time-out */
    readonly deadline: number,
    readonly resolve: (jobs: Delivery[] | null) => void,
  ) {}
}
