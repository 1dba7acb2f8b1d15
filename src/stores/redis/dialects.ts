import type { JobLookup, QueueCounts } from "../../core/contract.js";
import { decodeCounts, decodeFlush } from "./replies.js";
import { num, str } from "./script.js";
import type { QueueStore } from "./store.js";

/**
 * The commands only some dialects have: okq (QACK by event id, QACK … REDO,
 * QFLUSH, QSTATUS), takeanumber (RETRY; its dead letters are in failures.ts) and TaskQ's
 * references by sequence number.
 */
export class DialectCommands {
  constructor(private readonly store: QueueStore) {}

  async ackInQueue(queue: string, ref: string, by: JobLookup): Promise<number> {
    if (by === "seq") {
      const seq = /^[0-9]{1,15}$/.test(ref) ? Number(ref) : NaN;
      if (!Number.isSafeInteger(seq)) return 0;
    }
    return num(await this.store.run("ackInQueue", queue, [ref, by]));
  }

  async requeueFirst(queue: string, ref: string, by: JobLookup): Promise<number> {
    const moved = num(await this.store.run("requeueFirst", queue, [ref, by]));
    if (moved === 1) await this.store.timers.noteEarliest(queue);
    return moved;
  }

  async retryJob(queue: string, id: string): Promise<"requeued" | "deadlettered" | null> {
    const reply = await this.store.run("retry", queue, [id, this.store.failures.deadLetterCap]);
    if (reply === null) return null;
    const outcome = str(reply) as "requeued" | "deadlettered";
    if (outcome === "requeued") await this.store.timers.noteEarliest(queue);
    return outcome;
  }

  async flushQueue(queue: string): Promise<number> {
    const { conns, keys, queues, waiters } = this.store;
    const { removed, totals } = decodeFlush(await this.store.run("flushQueue", queue, []));
    await queues.foldTotals(totals);
    if (waiters.waitingOn(queue) > 0) await this.store.ensureQueue(queue);
    else {
      await conns.client.zrem(keys.queues, queue);
      if ((await conns.client.exists(keys.queue(queue)[0]!)) === 1) await queues.register(queue);
    }
    return removed;
  }

  /** counts per queue; without names, every queue that is known or holds a live job, by name */
  async queueCounts(names?: string[]): Promise<QueueCounts[]> {
    const wanted = names ?? (await this.store.queues.all()).map(([q]) => q).sort();
    const counts = await Promise.all(
      wanted.map(async (name) => {
        const { live, ready, known } = decodeCounts(await this.store.run("counts", name, []));
        const consumers = this.store.waiters.waitingOn(name) + this.store.registrations.consumersOf(name);
        const listed = names !== undefined || known || live > 0;
        return listed
          ? { name, total: live, waiting: ready, processing: live - ready, consumers }
          : undefined;
      }),
    );
    return counts.filter((c): c is QueueCounts => c !== undefined);
  }
}
