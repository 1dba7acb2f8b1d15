import type { Delivery, JobWaitOutcome, WaitSignal } from "../../../core/contract.js";
import type { Queue } from "./queue.js";
import type { Consumer } from "../../../core/explain.js";

/**
 * A client blocked in the engine (as Redis's blocked.c): a GETJOB fetcher, a
 * WAITJOB job waiter or an okq QNOTIFY notifier. Each ends exactly once: served,
 * timed out (the engine's timer heap) or aborted (its AbortSignal); whichever
 * comes first, `BlockedClients.end` undoes the others.
 */
export abstract class Blocked {
  done = false;
  /** removes the abort listener: set while the client waits with a signal */
  detachAbort: (() => void) | undefined = undefined;
  constructor(
    /** absolute ms, or 0 for no time-out */
    readonly deadline: number,
  ) {}
  /** time-out and abort both answer null */
  abstract resolveNull(): void;
}

/** A blocked GETJOB: served once, by the first job to arrive on any of its queues. */
export class FetchWaiter extends Blocked {
  /** okq EX: lease in seconds for what this waiter is handed (undefined: the job's RETRY) */
  leaseSeconds: number | undefined = undefined;
  /** okq NOACK: what this waiter is handed is deleted at once */
  consume = false;
  /** who waits (EXPLAIN's "leased to") */
  consumer: Consumer | undefined = undefined;
  constructor(
    readonly queues: string[],
    deadline: number,
    readonly resolve: (jobs: Delivery[] | null) => void,
  ) {
    super(deadline);
  }
  resolveNull(): void {
    this.resolve(null);
  }
}

/** A blocked WAITJOB: told why its job went (acked, deleted, expired). */
export class JobWaiter extends Blocked {
  constructor(
    readonly id: string,
    deadline: number,
    readonly resolve: (outcome: JobWaitOutcome) => void,
  ) {
    super(deadline);
  }
  resolveNull(): void {
    this.resolve(null);
  }
}

/** A blocked okq QNOTIFY: woken with a queue's name when one of its queues has a waiting job; it takes nothing. */
export class Notifier extends Blocked {
  constructor(
    readonly consumer: string,
    readonly queues: string[],
    deadline: number,
    readonly resolve: (queue: string | null) => void,
  ) {
    super(deadline);
  }
  resolveNull(): void {
    this.resolve(null);
  }
}

export type JobLeaveReason =
  "ack" | "fastack" | "deljob" | "expire" | "noack" | "flushall" | "flushqueue" | "deadletter";

/**
 * Every blocked client, indexed for what wakes it: fetchers in their queues'
 * `waiters` (in blocking order), job waiters by job id, notifiers by queue.
 * One way in (`block`), one way out (`end`), one time-out and abort answer
 * (`cancel`, called by the engine's timer heap and by the signal).
 */
export class BlockedClients {
  private readonly all = new Set<Blocked>();
  private readonly jobWaiters = new Map<string, Set<JobWaiter>>();
  private readonly notifiers = new Map<string, Set<Notifier>>();

  constructor(
    /** the queue a fetcher blocks on, made known (QSTAT shows it) */
    private readonly queueFor: (name: string) => Queue,
    /** the queue if it is still known */
    private readonly queueOf: (name: string) => Queue | undefined,
    private readonly now: () => number,
    /** arms the client's deadline on the engine's timer heap */
    private readonly pushTimer: (at: number, client: Blocked) => void,
  ) {}

  /** Blocked clients, as INFO and stats count them. */
  get size(): number {
    return this.all.size;
  }

  get hasJobWaiters(): boolean {
    return this.jobWaiters.size > 0;
  }

  get hasNotifiers(): boolean {
    return this.notifiers.size > 0;
  }

  block(client: FetchWaiter | JobWaiter | Notifier, signal: WaitSignal | undefined): void {
    this.all.add(client);
    if (client instanceof FetchWaiter) {
      for (const name of client.queues) this.queueFor(name).waiters.add(client);
    } else if (client instanceof JobWaiter) {
      let set = this.jobWaiters.get(client.id);
      if (!set) this.jobWaiters.set(client.id, (set = new Set()));
      set.add(client);
    } else {
      for (const name of client.queues) {
        let set = this.notifiers.get(name);
        if (!set) this.notifiers.set(name, (set = new Set()));
        set.add(client);
      }
    }
    if (client.deadline > 0) this.pushTimer(client.deadline, client);
    if (signal) {
      const onAbort = (): void => this.cancel(client);
      signal.addEventListener("abort", onAbort, { once: true });
      client.detachAbort = () => signal.removeEventListener("abort", onAbort);
    }
  }

  /** Takes a client out of every index and drops its abort listener; false if it had ended already. */
  end(client: Blocked): boolean {
    if (client.done) return false;
    client.done = true;
    this.all.delete(client);
    if (client.detachAbort) {
      client.detachAbort();
      client.detachAbort = undefined;
    }
    if (client instanceof FetchWaiter) {
      const now = this.now();
      for (const name of client.queues) {
        const queue = this.queueOf(name);
        if (queue) {
          queue.waiters.delete(client);
          queue.touchedAt = now;
        }
      }
    } else if (client instanceof JobWaiter) {
      const set = this.jobWaiters.get(client.id);
      if (set) {
        set.delete(client);
        if (set.size === 0) this.jobWaiters.delete(client.id);
      }
    } else if (client instanceof Notifier) {
      for (const name of client.queues) {
        const set = this.notifiers.get(name);
        if (!set) continue;
        set.delete(client);
        if (set.size === 0) this.notifiers.delete(name);
      }
    }
    return true;
  }

  /** Time-out or abort: the client is answered null. */
  cancel(client: Blocked): void {
    if (!this.end(client)) return;
    // A QNOTIFY that gives up counts as activity on its queues (QSTAT idle), as it always did.
    if (client instanceof Notifier) {
      const now = this.now();
      for (const name of client.queues) {
        const queue = this.queueOf(name);
        if (queue) queue.touchedAt = now;
      }
    }
    client.resolveNull();
  }

  /** Hands a fetcher what it was served. */
  serve(waiter: FetchWaiter, jobs: Delivery[]): void {
    if (this.end(waiter)) waiter.resolve(jobs);
  }

  /** WAITJOB: the job left; its waiters are told why. */
  jobLeft(id: string, reason: JobLeaveReason): void {
    const set = this.jobWaiters.get(id);
    if (!set) return;
    // A job consumed by a NOACK fetch is done, as an acknowledged one is.
    const outcome: JobWaitOutcome =
      reason === "ack" || reason === "noack" ? "acked" : reason === "expire" ? "expired" : "deleted";
    for (const waiter of [...set]) if (this.end(waiter)) waiter.resolve(outcome);
  }

  /** DEBUG FLUSHALL: every job waiter is told its job went. */
  flushJobWaiters(): void {
    for (const id of [...this.jobWaiters.keys()]) this.jobLeft(id, "flushall");
  }

  /** A queue has a waiting job: its notifiers are woken with its name. */
  wakeNotifiers(queue: string): void {
    const set = this.notifiers.get(queue);
    if (!set) return;
    for (const notifier of [...set]) if (this.end(notifier)) notifier.resolve(queue);
  }

  /** Re-arms every deadline after the timer heap was cleared (DEBUG FLUSHALL). */
  rearmTimers(): void {
    for (const client of this.all) if (client.deadline > 0) this.pushTimer(client.deadline, client);
  }
}
