import type { Consumer, Delivery, JobWaitOutcome } from "../../core/contract.js";

/** A GETJOB blocked on this server, served in arrival order. */
export class FetchWaiter {
  done = false;
  /** a take for it is in flight */
  busy = false;
  /** aborted while a take for it was in flight */
  aborted = false;
  constructor(
    readonly queues: string[],
    /** ms on the broker's clock; 0 = never */
    readonly deadline: number,
    readonly leaseSeconds: number | undefined,
    readonly consume: boolean,
    readonly resolve: (jobs: Delivery[] | null) => void,
    /** who waits (EXPLAIN's "leased to") */
    readonly consumer: Consumer | undefined,
  ) {}
}

/** A QNOTIFY blocked on this server. */
export class NotifyWaiter {
  done = false;
  constructor(
    readonly queues: string[],
    readonly deadline: number,
    readonly resolve: (queue: string | null) => void,
  ) {}
}

/** A WAITJOB blocked on this server. */
export class JobWaiter {
  done = false;
  constructor(
    readonly id: string,
    readonly deadline: number,
    readonly resolve: (outcome: JobWaitOutcome) => void,
  ) {}
}

/**
 * The blocked clients of this server: fetchers per queue (in arrival order),
 * notifiers, job waiters. Pure bookkeeping; the broker decides when to serve.
 */
export class LocalWaiters {
  readonly fetchers = new Map<string, Set<FetchWaiter>>();
  readonly notifiers = new Set<NotifyWaiter>();
  readonly jobs = new Map<string, Set<JobWaiter>>();
  private count = 0;

  get blocked(): number {
    return this.count;
  }

  addFetcher(waiter: FetchWaiter): void {
    for (const queue of waiter.queues) {
      let set = this.fetchers.get(queue);
      if (!set) this.fetchers.set(queue, (set = new Set()));
      set.add(waiter);
    }
    this.count++;
  }

  finishFetcher(waiter: FetchWaiter, jobs: Delivery[] | null): void {
    if (waiter.done) return;
    waiter.done = true;
    this.count--;
    for (const queue of waiter.queues) {
      const set = this.fetchers.get(queue);
      set?.delete(waiter);
      if (set?.size === 0) this.fetchers.delete(queue);
    }
    waiter.resolve(jobs);
  }

  /**
   * The first waiters of the queue not already being served, in arrival
   * order, as long as they share the first one's fetch options.
   */
  nextFetchers(queue: string, max: number): FetchWaiter[] {
    const set = this.fetchers.get(queue);
    const out: FetchWaiter[] = [];
    if (!set) return out;
    for (const waiter of set) {
      if (waiter.done || waiter.busy) continue;
      if (
        out.length > 0 &&
        (waiter.leaseSeconds !== out[0]!.leaseSeconds || waiter.consume !== out[0]!.consume)
      ) {
        break;
      }
      out.push(waiter);
      if (out.length >= max) break;
    }
    return out;
  }

  /** An aborted fetch: gone at once, or, while a take for it is in flight, once that returns. */
  abortFetcher(waiter: FetchWaiter): void {
    if (waiter.busy) waiter.aborted = true;
    else this.finishFetcher(waiter, null);
  }

  /** After a take: the batch's waiters aborted or timed out while it was in flight finish now. */
  settle(batch: FetchWaiter[], now: number): void {
    for (const waiter of batch) {
      if (waiter.done) continue;
      if (waiter.aborted || (waiter.deadline > 0 && waiter.deadline <= now)) this.finishFetcher(waiter, null);
    }
  }

  /** whether a fetcher waits on the queue that no take is in flight for (the next serving is for it) */
  hasIdleFetcher(queue: string): boolean {
    const set = this.fetchers.get(queue);
    if (set) for (const waiter of set) if (!waiter.done && !waiter.busy && !waiter.aborted) return true;
    return false;
  }

  waitingOn(queue: string): number {
    return this.fetchers.get(queue)?.size ?? 0;
  }

  addNotifier(waiter: NotifyWaiter): void {
    this.notifiers.add(waiter);
    this.count++;
  }

  finishNotifier(waiter: NotifyWaiter, queue: string | null): void {
    if (waiter.done) return;
    waiter.done = true;
    this.count--;
    this.notifiers.delete(waiter);
    waiter.resolve(queue);
  }

  addJobWaiter(waiter: JobWaiter): void {
    let set = this.jobs.get(waiter.id);
    if (!set) this.jobs.set(waiter.id, (set = new Set()));
    set.add(waiter);
    this.count++;
  }

  finishJobWaiter(waiter: JobWaiter, outcome: JobWaitOutcome): void {
    if (waiter.done) return;
    waiter.done = true;
    this.count--;
    const set = this.jobs.get(waiter.id);
    set?.delete(waiter);
    if (set?.size === 0) this.jobs.delete(waiter.id);
    waiter.resolve(outcome);
  }

  /** Times out every waiter whose deadline has passed on the clock. */
  expire(now: number): void {
    for (const set of [...this.fetchers.values()]) {
      for (const waiter of [...set]) {
        if (waiter.deadline > 0 && waiter.deadline <= now && !waiter.busy) this.finishFetcher(waiter, null);
      }
    }
    for (const waiter of [...this.notifiers]) {
      if (waiter.deadline > 0 && waiter.deadline <= now) this.finishNotifier(waiter, null);
    }
    for (const set of [...this.jobs.values()]) {
      for (const waiter of [...set]) {
        if (waiter.deadline > 0 && waiter.deadline <= now) this.finishJobWaiter(waiter, null);
      }
    }
  }

  /** the earliest deadline of any waiter, or Infinity */
  nextDeadline(): number {
    let next = Infinity;
    for (const set of this.fetchers.values()) {
      for (const w of set) if (w.deadline > 0 && w.deadline < next) next = w.deadline;
    }
    for (const w of this.notifiers) if (w.deadline > 0 && w.deadline < next) next = w.deadline;
    for (const set of this.jobs.values()) {
      for (const w of set) if (w.deadline > 0 && w.deadline < next) next = w.deadline;
    }
    return next;
  }
}
