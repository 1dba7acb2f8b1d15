import {
  type Consumer,
  type FetchRecord,
  MAX_FETCH_QUEUES_KEPT,
  MAX_RECENT_FETCHERS,
  RECENT_FETCH_WINDOW_MS,
} from "../../../core/explain.js";
import type { Job } from "./job.js";
import { PAGE_BITS, PAGE_MASK, PAGE_SLOTS } from "./job-page.js";

/**
 * What EXPLAIN remembers about a delivered job (docs/explain.md). Only
 * delivered jobs have one (a side map, not a Job field: queued jobs, the
 * many, pay nothing). `consumer` is the door's one object per connection,
 * shared by every job it fetched. Never journaled: a restart queues every
 * delivered job again anyway.
 */
export interface Lease {
  consumer: Consumer | null;
  at: number;
  /** last WORKING, 0 when none */
  workingAt: number;
}

/** A fetch on a queue: the last one, and the distinct consumers seen recently (bounded). */
export class FetchLog {
  last: FetchRecord | null = null;
  /** consumer id → last fetch time, in last-fetch order (oldest first) */
  private readonly recent = new Map<string, number>();

  note(record: FetchRecord): void {
    this.last = record;
    const id = record.consumer.id;
    this.recent.delete(id);
    if (this.recent.size >= MAX_RECENT_FETCHERS) {
      // the oldest entry goes: it is the first in insertion order
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
    this.recent.set(id, record.at);
  }

  /** distinct consumers that fetched within RECENT_FETCH_WINDOW_MS (at most MAX_RECENT_FETCHERS) */
  recentFetchers(now: number): number {
    let count = 0;
    for (const at of this.recent.values()) if (now - at <= RECENT_FETCH_WINDOW_MS) count++;
    return count;
  }
}

/** Stands for a door that names no client (TaskQ, HTTP without one). */
export const ANONYMOUS_FETCHER: Consumer = { id: "-", addr: "an unnamed client" };

/** One record per fetch, shared by every queue it asked (its queue list capped). */
export function fetchRecord(at: number, consumer: Consumer | undefined, queues: string[]): FetchRecord {
  const kept =
    queues.length > MAX_FETCH_QUEUES_KEPT ? queues.slice(0, MAX_FETCH_QUEUES_KEPT) : queues.slice();
  return { at, consumer: consumer ?? ANONYMOUS_FETCHER, queues: kept };
}

/**
 * The delivered jobs' leases, and how many each queue has in flight (QSTAT).
 * Indexed by the job's slot (job-table.ts), in pages of the job table's
 * size, each made when a job of its slots is first leased: a lease's start
 * and end are an array store, where a `Map` keyed by slot cost about
 * 0.5 µs an ACKJOB with 3×10^5 leases (docs/performance.md, round 8).
 * Only delivered jobs have one, and a job leaves here before its slot is
 * given up. A page stays once made, as the job table's pages do: at most
 * 8 bytes a slot (a pointer each).
 */
export class Leases {
  /** the lease and its job in one object: a fetch makes one, not two */
  private readonly pages: (LeasePage | undefined)[] = [];
  private readonly perQueue = new Map<string, number>();

  /** true when the job was not leased before */
  start(job: Job, consumer: Consumer | undefined, now: number): boolean {
    const slot = job.slot;
    const page = this.pages[slot >>> PAGE_BITS] ?? this.addPages(slot >>> PAGE_BITS);
    const lease = page[slot & PAGE_MASK];
    if (lease !== undefined) {
      // leased again (GETJOB of a job whose lease ran out): the same entry, new facts
      lease.consumer = consumer ?? null;
      lease.at = now;
      lease.workingAt = 0;
      lease.job = job;
      return false;
    }
    page[slot & PAGE_MASK] = { consumer: consumer ?? null, at: now, workingAt: 0, job };
    this.perQueue.set(job.queue, (this.perQueue.get(job.queue) ?? 0) + 1);
    return true;
  }

  /** true when the job was leased */
  end(job: Job): boolean {
    const slot = job.slot;
    const page = this.pages[slot >>> PAGE_BITS];
    if (page === undefined || page[slot & PAGE_MASK] === undefined) return false;
    page[slot & PAGE_MASK] = undefined;
    const left = (this.perQueue.get(job.queue) ?? 1) - 1;
    if (left > 0) this.perQueue.set(job.queue, left);
    else this.perQueue.delete(job.queue);
    return true;
  }

  /**
   * the leased jobs of one queue: a walk over every page that ever held a
   * lease (QPOLICY … GROUPLIMIT counts them once; a walk over the job
   * table's slots, as bounded as the table)
   */
  *ofQueue(queue: string): IterableIterator<Job> {
    if (!this.perQueue.has(queue)) return;
    for (const page of this.pages) {
      if (page === undefined) continue;
      for (const lease of page) if (lease !== undefined && lease.job.queue === queue) yield lease.job;
    }
  }

  get(job: Job): Lease | undefined {
    return this.pages[job.slot >>> PAGE_BITS]?.[job.slot & PAGE_MASK];
  }

  inFlight(queue: string): number {
    return this.perQueue.get(queue) ?? 0;
  }

  clear(): void {
    this.pages.length = 0;
    this.perQueue.clear();
  }

  /** pages up to `index`, the missing ones before it left as holes (never leased) */
  private addPages(index: number): LeasePage {
    while (this.pages.length < index) this.pages.push(undefined);
    // filled with undefined so that the array is never sparse (a sparse one is a dictionary)
    const page: LeasePage = new Array<LeaseEntry | undefined>(PAGE_SLOTS).fill(undefined);
    this.pages[index] = page;
    return page;
  }
}

type LeaseEntry = Lease & { job: Job };
type LeasePage = (LeaseEntry | undefined)[];
