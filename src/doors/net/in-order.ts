/** A reply waiting for a Promise, or behind one. */
export interface ReplySlot<R> {
  reply: R | undefined;
  done: boolean;
}

/**
 * A connection's replies in request order (requests may be pipelined, and a
 * handler may answer with a Promise): a reply goes straight to `write` when
 * nothing is pending before it; an unsettled one holds back every later one.
 */
export class InOrderReplies<R> {
  /** queue[head…] are not written yet */
  private queue: ReplySlot<R>[] = [];
  private head = 0;

  constructor(private readonly write: (reply: R) => void) {}

  /** true when no reply waits to be written */
  get idle(): boolean {
    return this.head === this.queue.length;
  }

  /** A reply ready now: written at once, or queued behind those pending. */
  emit(reply: R): void {
    if (this.idle) this.write(reply);
    else this.queue.push({ reply, done: true });
  }

  /** A place in line for a reply that comes later (settle() fills it); the caller's own slot object, if given. */
  reserve(slot: ReplySlot<R> = { reply: undefined, done: false }): ReplySlot<R> {
    this.queue.push(slot);
    return slot;
  }

  /** Fills a reserved place, then writes every reply now at the front. */
  settle(slot: ReplySlot<R>, reply: R): void {
    slot.reply = reply;
    slot.done = true;
    const queue = this.queue;
    while (this.head < queue.length && queue[this.head]!.done) {
      const ready = queue[this.head]!.reply!;
      queue[this.head] = undefined as unknown as ReplySlot<R>;
      this.head++;
      this.write(ready);
    }
    if (this.head === queue.length) this.clear();
  }

  /** The connection closed: nothing more is written. */
  clear(): void {
    this.queue = [];
    this.head = 0;
  }
}
