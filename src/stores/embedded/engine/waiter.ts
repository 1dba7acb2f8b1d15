import type { Delivery } from "../../../core/contract.js";

/** A blocked GETJOB: served once, by the first job to arrive on any of its queues. */
export class Waiter {
  done = false;
  /** okq EX: lease in seconds for what this waiter is handed (undefined: the job's RETRY) */
  leaseSeconds: number | undefined = undefined;
  /** okq NOACK: what this waiter is handed is deleted at once */
  consume = false;
  constructor(
    readonly queues: string[],
    /** absolute ms, or 0 for no time-out */
    readonly deadline: number,
    readonly resolve: (jobs: Delivery[] | null) => void,
  ) {}
}
