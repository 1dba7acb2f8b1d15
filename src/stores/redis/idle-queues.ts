/**
 * How long what a take found stays known at most, even with no wake-up since
 * (ms on the broker's clock): that the queue had no ready job, and that it
 * was known (QSTAT shows it). Bounds what a lost wake-up (a subscriber
 * reconnect) or a change no wake-up tells (another server's idle queue
 * collection, DEBUG FLUSHALL or QFLUSH) can cost: a fetch blocks for at most
 * this long (the once-a-second re-check of blocked clients serves it) where a
 * take would have found a job or made the queue known again.
 */
export const KNOWN_EMPTY_MS = 1000;

/** queues remembered at most (stamps, marks, known); past it all is forgotten, safely */
const MAX_QUEUES = 10_000;

/**
 * What this server knows about its queues between script runs, for GETJOB's
 * skip (blocking.ts): a queue is known empty while the last take that left
 * its ready set empty is recent, nothing that could have queued a job there
 * happened since, and a take made it known (or found jobs there) recently.
 *
 * What could have queued a job is either a wake-up message (every script
 * that makes a job ready publishes one, whatever server ran it) or a script
 * run by this server that is not a read or a take (its reply may come before
 * its own wake-up message). Each of them moves the queue's stamp; a take's
 * finding counts only if the stamp it saw when asked is still the stamp when
 * it answers.
 */
export class IdleQueues {
  /** every change moves this on; a queue's stamp is its value at the queue's last change */
  private counter = 0;
  /** the stamp of every queue without an entry (moved past every stamp given out when forgetting) */
  private floor = 0;
  private readonly stamps = new Map<string, number>();
  /** queue -> when a take, asked at the stamp it holds, left it with no ready job */
  private readonly marks = new Map<string, Mark>();
  /** queue -> when a take last made it known or took jobs from it */
  private readonly known = new Map<string, number>();

  /** The queue's stamp now: pass it to `foundEmpty` once the take answers. */
  stamp(queue: string): number {
    return this.stamps.get(queue) ?? this.floor;
  }

  /** Something may have queued a job on the queue (a wake-up, or a script of this server). */
  changed(queue: string): void {
    if (this.stamps.size >= MAX_QUEUES) this.forgetAll();
    this.stamps.set(queue, ++this.counter);
    this.marks.delete(queue);
  }

  /** This server hid or dropped the queue (idle collection, QFLUSH): it is not known any more. */
  unknown(queue: string): void {
    this.changed(queue);
    this.known.delete(queue);
  }

  /** A take asked when the queue's stamp was `stamp` left it with no ready job, at `now`. */
  foundEmpty(queue: string, stamp: number, now: number): void {
    if (this.stamp(queue) !== stamp) return;
    if (this.marks.size >= MAX_QUEUES) this.marks.clear();
    this.marks.set(queue, { stamp, at: now });
  }

  /** A take made the queue known (or found it known: it took jobs) at `now`. */
  madeKnown(queue: string, now: number): void {
    if (this.known.size >= MAX_QUEUES) this.known.clear();
    this.known.set(queue, now);
  }

  /** whether a take would find no ready job in the queue */
  isEmpty(queue: string, now: number): boolean {
    const mark = this.marks.get(queue);
    return mark !== undefined && mark.stamp === this.stamp(queue) && now - mark.at < KNOWN_EMPTY_MS;
  }

  /** whether a take that may block would leave the queue known as it is (QSTAT shows it) */
  isKnown(queue: string, now: number): boolean {
    const knownAt = this.known.get(queue);
    return knownAt !== undefined && now - knownAt < KNOWN_EMPTY_MS;
  }

  /** Nothing is known any more (wake-ups may have been lost, e.g. the subscriber reconnected). */
  forgetAll(): void {
    this.floor = ++this.counter;
    this.stamps.clear();
    this.marks.clear();
    this.known.clear();
  }
}

interface Mark {
  stamp: number;
  at: number;
}
