/**
 * Output written once per event-loop turn, after every socket that was
 * readable in that turn has been served: Redis does the same
 * (handleClientsWithPendingWrites in beforeSleep).
 *
 * Why not write at once, at the end of each socket's read? The number of
 * writes is the same, but each write to a loopback or LAN peer wakes it.
 * Writing the turn's replies back to back finds the client already awake
 * for all but the first; writing each as soon as it is ready wakes a
 * client that went back to sleep between two of them. Measured with
 * redis-benchmark (50 clients): 13% less server CPU per PING and 21% per
 * GETJOB; ADDJOB, whose replies already left together after the journal's
 * write, unchanged (docs/performance.md, "Replies at the end of the turn").
 *
 * setImmediate runs in libuv's check phase, right after the poll phase
 * that ran the read callbacks, so a reply waits for no timer and no further
 * input: only for the other reads of the same turn.
 */
export class TurnEndWriter<T extends { flush(): void }> {
  private pending: T[] = [];
  private spare: T[] = [];

  /** `item.flush()` runs at the end of this turn; the caller defers an item at most once per turn. */
  defer(item: T): void {
    if (this.pending.push(item) === 1) setImmediate(this.flushAll);
  }

  private readonly flushAll = (): void => {
    // swapped first: what a flush defers (or a flush that throws) cannot stall the next turn's
    const due = this.pending;
    this.pending = this.spare;
    this.spare = due;
    try {
      for (let i = 0; i < due.length; i++) due[i]!.flush();
    } finally {
      due.length = 0;
    }
  };
}
