import type { Delivery, GetJobsRequest, JobWaitOutcome, WaitSignal } from "../../core/contract.js";
import { decodeCounts } from "./replies.js";
import { num } from "./script.js";
import { checkIds } from "../../core/job-id-check.js";
import type { QueueStore, TakeFetch } from "./store.js";
import { FetchWaiter, JobWaiter, NotifyWaiter } from "./waiters.js";
import { FailureCommands } from "./failures.js";

/** most blocked fetchers served by one script call */
const SERVE_BATCH = 64;

/**
 * This server's blocked clients (GETJOB, WAITJOB, okq QNOTIFY): they wait here,
 * and are served when Redis pub/sub says a queue may have jobs (whichever server
 * made them available) or a job is gone, and once a second in case a wake-up was lost.
 */
export class BlockedClients {
  /** queues whose waiters are being served, and whether to go again */
  private readonly serving = new Map<string, boolean>();
  /** wake-ups received per queue: a fetch that found nothing sees whether one came meanwhile */
  private readonly wakeEpochs = new Map<string, number>();

  /** a job gone with its result kept was acked (WAITJOB) */
  private readonly failures: FailureCommands;

  constructor(private readonly store: QueueStore) {
    this.failures = new FailureCommands(store);
  }

  onMessage(channel: string, message: string): void {
    const { keys, waiters } = this.store;
    if (channel === keys.wakeChannel) {
      if (this.wakeEpochs.size > 10_000) this.wakeEpochs.clear();
      this.wakeEpochs.set(message, (this.wakeEpochs.get(message) ?? 0) + 1);
      this.store.idle.changed(message);
      this.wake(message);
    } else if (channel === keys.goneChannel) {
      const space = message.indexOf(" ");
      const id = message.slice(0, space);
      const outcome = message.slice(space + 1) as JobWaitOutcome;
      const set = waiters.jobs.get(id);
      if (set) for (const waiter of [...set]) waiters.finishJobWaiter(waiter, outcome);
    }
  }

  /** A queue may have jobs: serve this server's blocked fetchers and notifiers. */
  private wake(queue: string): void {
    const { waiters } = this.store;
    if (waiters.waitingOn(queue) > 0) void this.serve(queue);
    for (const notifier of [...waiters.notifiers]) {
      if (notifier.queues.includes(queue)) void this.checkNotifier(notifier, [queue]);
    }
  }

  /** The safety net for lost wake-ups; also writes the fetches that blocked without a take. */
  recheckAll(): void {
    const { waiters, fetchNotes, logger } = this.store;
    fetchNotes
      .flush()
      .catch((error: Error) => logger?.warn({ err: error.message }, "recording fetches failed"));
    for (const queue of [...waiters.fetchers.keys()]) void this.serve(queue);
    for (const notifier of [...waiters.notifiers]) void this.checkNotifier(notifier, notifier.queues);
    for (const [id, set] of [...waiters.jobs]) {
      void this.store
        .show(id)
        .then((info) => {
          if (info === null) for (const waiter of [...set]) waiters.finishJobWaiter(waiter, "deleted");
        })
        .catch(() => undefined);
    }
  }

  /**
   * Serves the queue's blocked fetchers in arrival order while it has jobs:
   * one script call takes a job for each of the first waiters that share
   * fetch options (lease, NOACK). One serving loop per queue at a time.
   */
  private async serve(queue: string): Promise<void> {
    const { waiters } = this.store;
    if (this.serving.has(queue)) {
      this.serving.set(queue, true);
      return;
    }
    this.serving.set(queue, false);
    try {
      for (;;) {
        const batch = waiters.nextFetchers(queue, SERVE_BATCH);
        let got: Delivery[] = [];
        if (batch.length > 0) {
          const first = batch[0]!;
          for (const waiter of batch) waiter.busy = true;
          try {
            // each waiter's job is leased to it; the fetch itself was noted when it blocked
            const fetch = { consumers: batch.map((w) => w.consumer), note: false, queues: [] };
            got = await this.store.take(queue, batch.length, first.leaseSeconds, first.consume, false, fetch);
          } catch (error) {
            // The take failed (Redis unreachable): the waiters that timed out or went while it was
            // in flight end now. The timers skip a waiter with a take in flight, and while Redis is
            // down the once-a-second re-check keeps one in flight most of the time.
            waiters.settle(batch, this.store.clock.now());
            throw error;
          } finally {
            for (const waiter of batch) waiter.busy = false;
          }
          const unserved: string[] = [];
          let next = 0;
          for (const job of got) {
            while (next < batch.length && (batch[next]!.done || batch[next]!.aborted)) next++;
            const waiter = batch[next++];
            if (waiter) waiters.finishFetcher(waiter, [job]);
            else unserved.push(job.id);
          }
          // Waiters that went (abort) while the take was in flight: their jobs were never handed
          // over and go back untouched, as a reply that finds its client gone does (WriteGate.handOver):
          // no additional delivery counted, and an at-most-once job comes back too.
          if (unserved.length > 0) await this.store.putBack(unserved, "release");
          waiters.settle(batch, this.store.clock.now());
        }
        if (got.length < batch.length || batch.length === 0) {
          if (this.serving.get(queue) === true) {
            this.serving.set(queue, false);
            continue;
          }
          break;
        }
      }
    } catch (error) {
      this.store.logger?.warn({ err: (error as Error).message, queue }, "serving blocked clients failed");
    } finally {
      this.serving.delete(queue);
    }
  }

  private async checkNotifier(notifier: NotifyWaiter, queues: string[]): Promise<void> {
    for (const queue of queues) {
      if (notifier.done) return;
      if (await this.hasReady(queue)) {
        this.store.waiters.finishNotifier(notifier, queue);
        return;
      }
    }
  }

  private async hasReady(queue: string): Promise<boolean> {
    const counts = decodeCounts(await this.store.run("counts", queue, []));
    return counts.ready > 0 && !counts.pausedOut;
  }

  /**
   * GETJOB: takes what is there, else blocks until served, timed out or aborted.
   * A fetch that may block blocks at once, without a take, when each of its
   * queues is known and either known empty or has fetchers blocked here that
   * the next serving is for (idle-queues.ts; docs/redis.md "Blocking without a
   * take"); its record for EXPLAIN is written later (fetch-notes.ts). NOHANG
   * always asks Redis: another server's add is answered to its producer before
   * its wake-up reaches this server, and NOHANG must see that job.
   */
  async getJobs(req: GetJobsRequest, consume: boolean): Promise<Delivery[] | null> {
    // req.signal is asked only for a fetch that blocks: a door makes it on first use (resp/wait.ts)
    if (!req.nohang && this.mayBlockAtOnce(req.queues) && !req.signal?.aborted) {
      const now = this.store.clock.now();
      this.store.fetchNotes.add(req.queues, req.consumer, now);
      return this.block(req, consume, now);
    }
    const epochs = req.queues.map((queue) => this.wakeEpochs.get(queue) ?? 0);
    // A fetch that would block makes its queues known (QSTAT shows them), as on the embedded store;
    // so does Disque's GETJOB that does not block.
    const ensure = !req.nohang || req.createQueues === true;
    const fetch = { consumers: [req.consumer], note: true, queues: req.queues };
    const taken = await this.takeRounds(req.queues, req.count, req.leaseSeconds, consume, ensure, fetch);
    if (taken.length > 0) return taken;
    if (req.nohang || req.signal?.aborted) return null;
    return this.block(req, consume, this.store.clock.now(), epochs);
  }

  /**
   * Whether a take would find no job on any of the queues for this fetch, and
   * leave them known as they are. Besides a queue known empty, that is a queue
   * whose fetchers blocked here come first: one with fetchers no take is in
   * flight for (the next wake-up, or the once-a-second re-check, serves them,
   * then the newcomer), or one being served (the serving loop takes again
   * while it fills every fetcher it asked for, newcomers included, and again
   * for a wake-up that came meanwhile).
   */
  private mayBlockAtOnce(queues: string[]): boolean {
    const { idle, waiters, clock } = this.store;
    const now = clock.now();
    for (const queue of queues) {
      if (!idle.isKnown(queue, now)) return false;
      if (idle.isEmpty(queue, now) || this.serving.has(queue) || waiters.hasIdleFetcher(queue)) continue;
      return false;
    }
    return true;
  }

  /**
   * The fetch waits here until served. `epochs`: the wake-ups counted before
   * its take; one that came meanwhile may have brought a job, so the queue is served.
   */
  private block(
    req: GetJobsRequest,
    consume: boolean,
    now: number,
    epochs?: number[],
  ): Promise<Delivery[] | null> {
    return new Promise((resolve) => {
      const deadline = req.timeoutMs > 0 ? now + req.timeoutMs : 0;
      const waiter = new FetchWaiter(req.queues, deadline, req.leaseSeconds, consume, resolve, req.consumer);
      this.store.waiters.addFetcher(waiter);
      req.signal?.addEventListener("abort", () => this.store.waiters.abortFetcher(waiter));
      // A job may have come between the first look and now: its wake-up came already.
      req.queues.forEach((queue, i) => {
        if (epochs && (this.wakeEpochs.get(queue) ?? 0) !== epochs[i]) void this.serve(queue);
      });
    });
  }

  /** GETJOB's rounds: at most one job per queue per round, left to right. */
  private async takeRounds(
    queues: string[],
    count: number,
    leaseSeconds: number | undefined,
    consume: boolean,
    ensure: boolean,
    fetch: TakeFetch,
  ): Promise<Delivery[]> {
    if (queues.length === 1) return this.store.take(queues[0]!, count, leaseSeconds, consume, ensure, fetch);
    const taken: Delivery[] = [];
    let asked = 0;
    for (let round = 0; taken.length < count; round++) {
      const before = taken.length;
      for (const queue of queues) {
        // Only a fetch that took nothing in its first round blocks: that round made each queue known.
        const first = ensure && round === 0;
        taken.push(...(await this.store.take(queue, 1, leaseSeconds, consume, first, fetch)));
        if (round === 0) asked++;
        if (taken.length === count) break;
      }
      if (taken.length === before) break;
    }
    // EXPLAIN: the fetch counts on every queue it named, also those it did not need to try (a take of 0)
    for (const queue of queues.slice(asked))
      await this.store.take(queue, 0, leaseSeconds, consume, false, fetch);
    return taken;
  }

  async waitJob(id: string, timeoutMs: number, signal?: WaitSignal): Promise<JobWaitOutcome> {
    checkIds([id]);
    const { waiters } = this.store;
    const [queue] = await this.store.directory.queuesOf([id]);
    if (queue === undefined) return this.outcomeOfGone(id);
    if (signal?.aborted) return null;
    const now = this.store.clock.now();
    return new Promise((resolve) => {
      const waiter = new JobWaiter(id, timeoutMs > 0 ? now + timeoutMs : 0, resolve);
      waiters.addJobWaiter(waiter);
      signal?.addEventListener("abort", () => waiters.finishJobWaiter(waiter, null));
      // Watched from now on: its removal is published. Gone already: say so.
      void this.store.run("watch", queue, [id]).then(
        async (live) => {
          if (num(live) === 0) waiters.finishJobWaiter(waiter, await this.outcomeOfGone(id));
        },
        () => waiters.finishJobWaiter(waiter, null),
      );
    });
  }

  /** a job no longer known: "acked" while its result is kept, else "gone" */
  private async outcomeOfGone(id: string): Promise<JobWaitOutcome> {
    return (await this.failures.result(id).catch(() => null)) ? "acked" : "gone";
  }

  /** okq QNOTIFY: the first of the consumer's registered queues with a ready job. */
  async notify(consumer: string, timeoutMs: number, signal?: WaitSignal): Promise<string | null> {
    // Registered on nothing: nothing wakes it, it waits for its time-out (as okq).
    const names = [...this.store.registrations.queuesOf(consumer)];
    for (const name of names) if (await this.hasReady(name)) return name;
    if (signal?.aborted) return null;
    const now = this.store.clock.now();
    return new Promise((resolve) => {
      const notifier = new NotifyWaiter(names, timeoutMs > 0 ? now + timeoutMs : 0, resolve);
      this.store.waiters.addNotifier(notifier);
      signal?.addEventListener("abort", () => this.store.waiters.finishNotifier(notifier, null));
      void this.checkNotifier(notifier, names);
    });
  }
}
