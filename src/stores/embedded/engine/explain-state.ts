import {
  type Consumer,
  type FetchRecord,
  MAX_FETCH_QUEUES_KEPT,
  MAX_RECENT_FETCHERS,
  RECENT_FETCH_WINDOW_MS,
} from "../../../core/explain.js";
import type { Job } from "./job.js";

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
 * Keyed by the job's slot (job-table.ts), with the view kept: only
 * delivered jobs have one, and a job leaves here before its slot is given up.
 */
export class Leases {
  /** the lease and its job in one object: a fetch makes one, not two */
  private readonly bySlot = new Map<number, Lease & { job: Job }>();
  private readonly perQueue = new Map<string, number>();

  /** true when the job was not leased before */
  start(job: Job, consumer: Consumer | undefined, now: number): boolean {
    const fresh = !this.bySlot.has(job.slot);
    if (fresh) this.perQueue.set(job.queue, (this.perQueue.get(job.queue) ?? 0) + 1);
    this.bySlot.set(job.slot, { consumer: consumer ?? null, at: now, workingAt: 0, job });
    return fresh;
  }

  /** true when the job was leased */
  end(job: Job): boolean {
    if (!this.bySlot.delete(job.slot)) return false;
    const left = (this.perQueue.get(job.queue) ?? 1) - 1;
    if (left > 0) this.perQueue.set(job.queue, left);
    else this.perQueue.delete(job.queue);
    return true;
  }

  /** the leased jobs of one queue (a walk over every lease: QPOLICY … GROUPLIMIT counts them once) */
  *ofQueue(queue: string): IterableIterator<Job> {
    for (const { job } of this.bySlot.values()) if (job.queue === queue) yield job;
  }

  get(job: Job): Lease | undefined {
    return this.bySlot.get(job.slot);
  }

  inFlight(queue: string): number {
    return this.perQueue.get(queue) ?? 0;
  }

  clear(): void {
    this.bySlot.clear();
    this.perQueue.clear();
  }
}
