import { Waiter } from "./waiter.js";

/**
 * A blocked okq QNOTIFY: woken with a queue's name when one of its queues has
 * a waiting job; it takes nothing. Shares the Waiter's time-out machinery
 * (a time-out calls `resolve(null)`), but never sits in a queue's waiters.
 */
export class Notifier extends Waiter {
  constructor(
    readonly consumer: string,
    queues: string[],
    deadline: number,
    readonly wake: (queue: string | null) => void,
  ) {
    super(queues, deadline, () => wake(null));
  }
}
