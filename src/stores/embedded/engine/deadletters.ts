import type { DeadLetterInfo } from "../../../core/contract.js";
import type { Job } from "./job.js";
import { jobBytes } from "./memory.js";

/** One dead-lettered job: the job as it was, why and when it left the live set. */
export interface DeadLetter {
  job: Job;
  reason: string;
  /** ms on the engine's clock */
  at: number;
}

/**
 * The dead-letter lists, one per queue, oldest first: jobs that exhausted
 * their retries. They stay until redriven, flushed (QFLUSH, FLUSHALL).
 */
export class DeadLetters {
  private readonly lists = new Map<string, DeadLetter[]>();
  /** what the letters' jobs are counted for against --maxmemory (see memory.ts) */
  bytes = 0;

  get size(): number {
    let n = 0;
    for (const list of this.lists.values()) n += list.length;
    return n;
  }

  add(letter: DeadLetter): void {
    this.bytes += jobBytes(letter.job);
    const list = this.lists.get(letter.job.queue);
    if (list) list.push(letter);
    else this.lists.set(letter.job.queue, [letter]);
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

  dropQueue(queue: string): void {
    this.release(this.lists.get(queue) ?? []);
    this.lists.delete(queue);
  }

  clear(): void {
    this.lists.clear();
    this.bytes = 0;
  }

  private release(letters: DeadLetter[]): void {
    for (const letter of letters) this.bytes -= jobBytes(letter.job);
  }

  /** Removes one letter by its job id (a redrive replayed from the journal). */
  remove(queue: string, id: string): void {
    const list = this.lists.get(queue);
    const at = list?.findIndex((letter) => letter.job.id === id) ?? -1;
    if (list && at >= 0) this.release(list.splice(at, 1));
    if (list?.length === 0) this.lists.delete(queue);
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
  };
}
