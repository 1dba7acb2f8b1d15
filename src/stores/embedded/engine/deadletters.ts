import type { DeadLetterInfo, DeadLetterSelection } from "../../../core/contract.js";
import type { Job } from "./job.js";
import { jobBytes } from "./memory.js";

/** One dead-lettered job: the job as it was (its attempts included), why and when it left the live set. */
export interface DeadLetter {
  job: Job;
  reason: string;
  /** ms on the engine's clock */
  at: number;
}

/**
 * The dead-letter lists, one per queue, oldest first: jobs that exhausted
 * their retries. They stay until redriven, purged, evicted past their
 * queue's cap, or flushed (QFLUSH, FLUSHALL). Also indexed by job id.
 */
export class DeadLetters {
  private readonly lists = new Map<string, DeadLetter[]>();
  private readonly byId = new Map<string, DeadLetter>();
  /** what the letters' jobs are counted for against --maxmemory (see memory.ts) */
  bytes = 0;

  get size(): number {
    return this.byId.size;
  }

  add(letter: DeadLetter): void {
    const id = letter.job.id;
    if (this.byId.has(id)) this.remove(letter.job.queue, id);
    this.bytes += jobBytes(letter.job);
    this.byId.set(id, letter);
    const list = this.lists.get(letter.job.queue);
    if (list) list.push(letter);
    else this.lists.set(letter.job.queue, [letter]);
  }

  get(id: string): DeadLetter | undefined {
    return this.byId.get(id);
  }

  count(queue: string): number {
    return this.lists.get(queue)?.length ?? 0;
  }

  peek(queue: string, count: number): DeadLetter[] {
    return (this.lists.get(queue) ?? []).slice(0, Math.max(0, count));
  }

  /** Removes and returns up to `count` oldest letters of the queue. */
  take(queue: string, count: number): DeadLetter[] {
    const list = this.lists.get(queue);
    if (!list) return [];
    const taken = list.splice(0, Math.max(0, count));
    this.release(taken);
    if (list.length === 0) this.lists.delete(queue);
    return taken;
  }

  /** Removes and returns the selected letters of the queue, oldest first (unknown ids are ignored). */
  takeSelected(queue: string, which: DeadLetterSelection): DeadLetter[] {
    if ("count" in which) return this.take(queue, which.count);
    const list = this.lists.get(queue);
    if (!list) return [];
    const wanted = new Set(which.ids);
    const taken: DeadLetter[] = [];
    const kept: DeadLetter[] = [];
    for (const letter of list) (wanted.has(letter.job.id) ? taken : kept).push(letter);
    if (taken.length === 0) return taken;
    this.release(taken);
    if (kept.length === 0) this.lists.delete(queue);
    else this.lists.set(queue, kept);
    return taken;
  }

  dropQueue(queue: string): void {
    this.release(this.lists.get(queue) ?? []);
    this.lists.delete(queue);
  }

  clear(): void {
    for (const letter of this.byId.values()) letter.job.table.release(letter.job.slot);
    this.lists.clear();
    this.byId.clear();
    this.bytes = 0;
  }

  private release(letters: DeadLetter[]): void {
    for (const letter of letters) {
      this.bytes -= jobBytes(letter.job);
      this.byId.delete(letter.job.id);
      // its slot in the job table goes too (readable until the next command)
      letter.job.table.release(letter.job.slot);
    }
  }

  /** Removes one letter by its job id (a redrive replayed from the journal; "" finds its queue). */
  remove(queue: string, id: string): void {
    this.takeSelected(queue || (this.byId.get(id)?.job.queue ?? ""), { ids: [id] });
  }

  *all(): IterableIterator<DeadLetter> {
    for (const list of this.lists.values()) yield* list;
  }

  queues(): IterableIterator<string> {
    return this.lists.keys();
  }
}

export function deadLetterInfo(letter: DeadLetter): DeadLetterInfo {
  const job = letter.job;
  return {
    id: job.id,
    seq: job.seq,
    queue: job.queue,
    body: job.body,
    clientKey: job.clientKey,
    reason: letter.reason,
    at: letter.at,
    retryBudget: job.retryBudget,
    attempts: job.attempts?.slice() ?? [],
  };
}
