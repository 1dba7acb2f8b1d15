import { setImmediate as yieldToLoop } from "node:timers/promises";
import type {
  BrokerStats,
  JobInfo,
  JobScanOptions,
  QueueScanOptions,
  ScanResult,
} from "../../core/contract.js";
import { JobScanFilter } from "../../core/job-scan.js";
import { MAX_SCAN_COUNT, scanBudget } from "../../core/listing-limits.js";
import { decodeScan, decodeStat } from "./replies.js";
import type { QueueStore } from "./store.js";

/** JSCAN reads sequence numbers [cursor, cursor + SCAN_WINDOW × budget) of every queue per call */
const SCAN_WINDOW = 4;

/** JSCAN: the jobs of every queue (or one) by sequence number. */
export async function jscan(
  store: QueueStore,
  cursor: number,
  opts: JobScanOptions,
): Promise<ScanResult<JobInfo>> {
  const budget = scanBudget(opts);
  // A window of sequence numbers bounds the jobs fetched whatever the number of queues.
  const from = Math.max(cursor, 1);
  const to = from + SCAN_WINDOW * budget;
  const now = store.clock.now();
  const all: JobInfo[] = [];
  let beyond = 0;
  for await (const names of queueBatches(store, opts.queue)) {
    await Promise.all(
      names.map(async (queue) => {
        const scanned = decodeScan(queue, await store.run("scan", queue, [from, to, budget + 1]), now);
        all.push(...scanned.infos);
        const seq = scanned.beyond;
        if (seq > 0 && (beyond === 0 || seq < beyond)) beyond = seq;
      }),
    );
  }
  all.sort((a, b) => a.seq - b.seq);
  // Each queue gave its first budget + 1 of the window: every seq before the cut is here.
  const page = all.length > budget ? all.slice(0, budget) : all;
  const next = all.length > budget ? all[budget]!.seq : beyond;
  const filter = new JobScanFilter(opts);
  return {
    cursor: next,
    items: filter.everyState ? page : page.filter((info) => filter.stateMatches(info.state)),
  };
}

/** `queue` alone, or every registered queue a registry page at a time, the other clients served in between. */
async function* queueBatches(store: QueueStore, queue: string | undefined): AsyncGenerator<string[]> {
  if (queue !== undefined) {
    yield [queue];
    return;
  }
  let serial = 0;
  for (;;) {
    const page = await store.queues.from(serial, MAX_SCAN_COUNT);
    if (page.length > 0) yield page.map(([name]) => name);
    if (page.length < MAX_SCAN_COUNT) return;
    serial = page[page.length - 1]![1] + 1;
    await yieldToLoop();
  }
}

/** QSCAN: registered queues by serial, the hidden ones skipped. */
export async function qscan(
  store: QueueStore,
  cursor: number,
  opts: QueueScanOptions,
): Promise<ScanResult<string>> {
  const budget = scanBudget(opts);
  const window = await store.queues.from(cursor, budget + 1);
  const stats = await Promise.all(window.map(([queue]) => store.run("stat", queue, [])));
  const items: string[] = [];
  for (const [i, [queue, serial]] of window.entries()) {
    if (i >= budget) return { cursor: serial, items };
    const stat = decodeStat(stats[i]!);
    if (!stat.visible) continue; // hidden or gone
    if (opts.minlen !== undefined && stat.len < opts.minlen) continue;
    if (opts.maxlen !== undefined && stat.len > opts.maxlen) continue;
    if (opts.importrate !== undefined && opts.importrate > 0) continue;
    items.push(queue);
  }
  return { cursor: 0, items };
}

/** INFO's numbers: every queue's stats, plus the totals of queues that are gone. */
export async function storeStats(store: QueueStore): Promise<BrokerStats> {
  const queues = await store.queues.all();
  const folded = await store.queues.totals();
  const totals = {
    jobs: 0,
    queued: 0,
    held: 0,
    queues: 0,
    added: Number(folded.added ?? 0),
    delivered: Number(folded.delivered ?? 0),
    acked: Number(folded.acked ?? 0),
    expired: Number(folded.expired ?? 0),
    requeued: Number(folded.requeued ?? 0),
    retried: Number(folded.retried ?? 0),
    deadLettered: Number(folded.deadlettered ?? 0),
    timedOut: Number(folded.timedout ?? 0),
    deadLettersEvicted: Number(folded.evicted ?? 0),
    backingOff: 0,
    results: 0,
    resultBytes: 0,
  };
  await Promise.all(
    queues.map(async ([queue]) => {
      const stat = decodeStat(await store.run("stat", queue, []));
      totals.queues += stat.visible ? 1 : 0;
      totals.queued += stat.len;
      totals.jobs += stat.live;
      totals.added += stat.totals.added;
      totals.delivered += stat.totals.delivered;
      totals.acked += stat.totals.acked;
      totals.expired += stat.totals.expired;
      totals.requeued += stat.totals.requeued;
      totals.held += stat.held;
      totals.retried += stat.totals.retried;
      totals.deadLettered += stat.totals.deadlettered;
      totals.timedOut += stat.totals.timedout;
      totals.deadLettersEvicted += stat.totals.evicted;
      totals.backingOff += stat.backingOff;
      totals.results += stat.results;
      totals.resultBytes += stat.resultBytes;
    }),
  );
  return {
    jobs: totals.jobs,
    queues: totals.queues,
    jobsByState: {
      "wait-repl": totals.held,
      active: totals.jobs - totals.queued - totals.held - totals.backingOff,
      queued: totals.queued,
      acked: 0,
      backoff: totals.backingOff,
    },
    blockedClients: store.waiters.blocked,
    added: totals.added,
    delivered: totals.delivered,
    acked: totals.acked,
    expired: totals.expired,
    requeued: totals.requeued,
    retried: totals.retried,
    deadLettered: totals.deadLettered,
    timedOut: totals.timedOut,
    deadLettersEvicted: totals.deadLettersEvicted,
    results: totals.results,
    resultBytes: totals.resultBytes,
  };
}

/** DEBUG FLUSHALL: every job, queue and dead letter of this prefix goes; blocked fetchers stay. */
export async function flushAll(store: QueueStore): Promise<void> {
  const { keys, waiters } = store;
  for (const [, set] of [...waiters.jobs]) {
    for (const waiter of [...set]) waiters.finishJobWaiter(waiter, "deleted");
  }
  // The totals are "since start": they outlive the jobs.
  await Promise.all(
    (await store.queues.all()).map(async ([queue]) => {
      await store.queues.foldTotals(decodeStat(await store.run("stat", queue, [])).totals);
    }),
  );
  const keep = new Set([keys.seq, keys.nodes, keys.qserial, keys.totals]);
  await Promise.all(
    store.conns.masters().map(async (node) => {
      let cursor = "0";
      do {
        const [next, found] = await node.scan(cursor, "MATCH", `${keys.prefix}:*`, "COUNT", 1000);
        cursor = next;
        const doomed = found.filter((key) => !keep.has(key) && !key.startsWith(keys.node("")));
        // One key per call: in a Cluster they live in different slots.
        await Promise.all(doomed.map((key) => node.unlink(key)));
      } while (cursor !== "0");
    }),
  );
  store.directory.clear();
  store.timers.reset();
  store.idle.forgetAll();
  // Blocked fetchers keep their queues known, as on the embedded store.
  await Promise.all([...waiters.fetchers.keys()].map((queue) => store.ensureQueue(queue)));
}
