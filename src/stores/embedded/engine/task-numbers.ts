/**
 * TaskQ's task ids: each queue numbers its tasks 1, 2, 3, … (DIALECTS.md
 * section 3). A numbered task keeps its number as its okq event id, so the
 * event-id index finds it and okq and TaskQ share one namespace per queue.
 *
 * The rule: a queue's next number is one above the highest canonical
 * decimal event id (1 to 15 digits, no leading zero) the queue has ever
 * had, numbered or client-chosen. So a number is never handed out twice,
 * never collides with a live okq event id, and the same rule rebuilds the
 * counter from the journal's job records after a restart. Snapshots record
 * the counters themselves, as the records of deleted jobs are gone by then.
 * The counters outlive their queues (an idle queue is forgotten, its
 * numbers are not): one small entry per queue name that ever had one.
 * Only DEBUG FLUSHALL starts them over.
 */
export class TaskNumbers {
  /** queue → the highest number it has had */
  private readonly last = new Map<string, number>();

  /** The number the queue's next task gets. */
  next(queue: string): number {
    return (this.last.get(queue) ?? 0) + 1;
  }

  /** A job with this event id joined the queue (added, restored, redriven). */
  note(queue: string, eventId: string | undefined): void {
    if (eventId === undefined || !CANONICAL.test(eventId)) return;
    this.raise(queue, Number(eventId));
  }

  /** The counter is at least `number` (from a snapshot). */
  raise(queue: string, number: number): void {
    if (number > (this.last.get(queue) ?? 0)) this.last.set(queue, number);
  }

  entries(): IterableIterator<[string, number]> {
    return this.last.entries();
  }

  clear(): void {
    this.last.clear();
  }
}

/** the event ids a task number could equal: Number() round-trips them */
const CANONICAL = /^[1-9][0-9]{0,14}$/;
