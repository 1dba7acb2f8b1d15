import { type Consumer, MAX_FETCH_QUEUES_KEPT, MAX_RECENT_FETCHERS } from "../../core/explain.js";

/** A fetch that blocked without a take: EXPLAIN's record of it, not yet in Redis. */
interface Note {
  at: number;
  id: string;
  addr: string;
  queues: string[];
}

/**
 * EXPLAIN's records (the last fetch, the recent fetchers: includes/fetches.lua)
 * of the GETJOBs that blocked on a queue known empty without running a take
 * (blocking.ts). A take writes its fetch's record itself; these are kept here
 * and written in one noteFetches-12.lua run per queue when `flush` is called:
 * once a second, and before this server answers an EXPLAIN on the queue. Per
 * queue only each consumer's latest fetch is kept: the recent fetchers are
 * counted per consumer, their times good to a second, and the last fetch is
 * the latest of all.
 */
export class FetchNotes {
  private pending = new Map<string, Map<string, Note>>();

  constructor(private readonly write: (queue: string, args: Array<string | number>) => Promise<unknown>) {}

  /** A fetch on these queues, by this consumer (undefined: unnamed), blocked at `at`. */
  add(queues: string[], consumer: Consumer | undefined, at: number): void {
    const note = {
      at,
      id: consumer?.id ?? "",
      addr: consumer?.addr ?? "",
      queues: queues.slice(0, MAX_FETCH_QUEUES_KEPT),
    };
    for (const queue of queues) {
      let notes = this.pending.get(queue);
      if (!notes) this.pending.set(queue, (notes = new Map()));
      // re-inserted: the map's order stays the order of each consumer's latest fetch
      notes.delete(note.id);
      notes.set(note.id, note);
      if (notes.size > MAX_RECENT_FETCHERS) notes.delete(notes.keys().next().value!);
    }
  }

  /** Writes the notes of one queue, or of every queue. */
  async flush(queue?: string): Promise<void> {
    const queues = queue === undefined ? [...this.pending.keys()] : [queue];
    await Promise.all(
      queues.map((name) => {
        const notes = this.pending.get(name);
        if (!notes) return undefined;
        this.pending.delete(name);
        const args: Array<string | number> = [];
        for (const n of notes.values()) args.push(n.at, n.id, n.addr, n.queues.length, ...n.queues);
        return this.write(name, args);
      }),
    );
  }
}
