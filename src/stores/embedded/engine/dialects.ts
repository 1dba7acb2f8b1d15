import { type JobLookup, type QueueCounts, type WaitSignal } from "../../../core/contract.js";
import type { Job } from "./job.js";
import { Notifier } from "./blocked.js";
import { RestoringEngine } from "./restoring.js";
import { eventKey } from "./state.js";

/** The dialect extras: okq, takeanumber and TaskQ commands over the same state. */
export abstract class DialectEngine extends RestoringEngine {
  protected findInQueue(queue: string, ref: string, by: JobLookup): Job | undefined {
    let job: Job | undefined;
    if (by === "seq") {
      const seq = /^[0-9]{1,15}$/.test(ref) ? Number(ref) : NaN;
      const slot = Number.isSafeInteger(seq) ? this.bySeq.find(seq) : undefined;
      job = slot === undefined ? undefined : this.jobs.view(slot);
    } else if (by === "event") {
      const slot = this.eventIds.get(eventKey(queue, ref));
      job = slot !== undefined ? this.jobs.view(slot) : this.jobs.get(ref);
    } else {
      job = this.jobs.get(ref);
    }
    return job && job.queue === queue ? job : undefined;
  }

  ackInQueue(queue: string, ref: string, by: JobLookup): number {
    this.runDue();
    const job = this.findInQueue(queue, ref, by);
    if (!job) return 0;
    this.totals.acked++;
    this.removeJob(job, "ack");
    return 1;
  }

  retryJob(queue: string, id: string): "requeued" | "deadlettered" | null {
    const now = this.runDue();
    const job = this.findInQueue(queue, id, "id");
    if (!job) return null;
    // A failure: back at its own place (its rank is kept), served before the jobs queued behind it.
    return this.fail(job, "nack", undefined, job.rank, now);
  }

  requeueFirst(queue: string, ref: string, by: JobLookup): number {
    const now = this.runDue();
    const job = this.findInQueue(queue, ref, by);
    if (!job) return 0;
    this.requeueAt(job, this.nextFrontRank--, now);
    return 1;
  }

  flushQueue(name: string): number {
    this.runDue();
    let removed = 0;
    for (const job of this.jobs.values()) {
      if (job.queue !== name) continue;
      this.forget(job);
      this.jobLeft(job.id, "flushqueue");
      this.jobs.release(job.slot);
      removed++;
    }
    this.deadLetterLists.dropQueue(name);
    const queue = this.queues.get(name);
    if (queue && queue.waiters.size === 0) this.forgetQueue(queue);
    this.emit({ type: "flushqueue", queue: name });
    return removed;
  }

  queueCounts(names?: string[]): QueueCounts[] {
    this.runDue();
    let list = names;
    if (list === undefined) {
      const all = new Set<string>([...this.queues.keys(), ...this.liveByQueue.keys()]);
      list = [...all].sort();
    }
    return list.map((name) => {
      const total = this.liveByQueue.get(name) ?? 0;
      const queue = this.queues.get(name);
      const waiting = queue?.ready.size ?? 0;
      const consumers = (queue?.waiters.size ?? 0) + this.registrations.consumersOf(name);
      return { name, total, waiting, processing: total - waiting, consumers };
    });
  }

  registerConsumer(consumer: string, queues: string[]): void {
    this.registrations.set(consumer, queues);
  }

  notify(consumer: string, timeoutMs: number, signal?: WaitSignal): string | null | Promise<string | null> {
    const now = this.runDue();
    // Registered on nothing: nothing wakes it, it waits for its time-out (as okq).
    const names = [...this.registrations.queuesOf(consumer)];
    for (const name of names) {
      const queue = this.queues.get(name);
      if (queue && queue.ready.size > 0 && !queue.pausedOut) return name;
    }
    if (signal?.aborted) return null;
    return new Promise((resolve) => {
      const deadline = timeoutMs > 0 ? now + timeoutMs : 0;
      this.blocked.block(new Notifier(consumer, names, deadline, resolve), signal);
    });
  }
}
