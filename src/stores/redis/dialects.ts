import type { DeadLetterInfo, JobLookup, QueueCounts } from "../../core/contract.js";
import { MAX_LISTING_COUNT } from "../../core/listing-limits.js";
import { decodeCounts, decodeDeadLetter, decodeFlush } from "./replies.js";
import { list, num, str } from "./script.js";
import type { QueueStore } from "./store.js";

/**
 * The commands only some dialects have: okq (QACK by event id, QACK … REDO,
 * QFLUSH, QSTATUS), takeanumber (RETRY, dead letters, REDRIVE) and TaskQ's
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
    const reply = await this.store.run("retry", queue, [id]);
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

  deadLetters(queue: string, count: number): Promise<DeadLetterInfo[]> {
    return this.oldestDeadLetters(queue, Math.min(count, MAX_LISTING_COUNT));
  }

  /** uncapped: REDRIVE moves as many as it is asked */
  private async oldestDeadLetters(queue: string, count: number): Promise<DeadLetterInfo[]> {
    if (count <= 0) return [];
    return list(await this.store.run("deadLetters", queue, [count])).map((r) => decodeDeadLetter(queue, r));
  }

  async redrive(queue: string, count: number): Promise<number> {
    if (count <= 0) return 0;
    const { conns, keys } = this.store;
    const waiting = num(await conns.client.llen(keys.queue(queue)[7]!));
    const n = Math.min(count, waiting);
    if (n === 0) return 0;
    const args: Array<string | number> = [];
    // Ids carry TTL and RETRY in their last four digits: each fresh id takes its letter's.
    const letters = await this.oldestDeadLetters(queue, n);
    for (const letter of letters) {
      args.push(this.store.newJobId(queue, 0, 0, letter.id.slice(36)), await this.store.nextSeq());
    }
    const moved = num(await this.store.run("redrive", queue, args));
    if (moved > 0) await this.store.timers.noteEarliest(queue);
    return moved;
  }
}
