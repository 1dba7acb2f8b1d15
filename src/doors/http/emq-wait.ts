import type { Broker, Delivery } from "../../core/contract.js";
import type { Clock } from "../../core/clock.js";

/**
 * emq's POST /wait/: one task per entry of `queues` (a queue may be listed
 * more than once). It answers as soon as every entry is filled, or when
 * `timeoutMs` runs out (0: at once) with null for the entries still empty.
 *
 * While it waits for the rest it holds what it has taken: those tasks are
 * delivered (their lease runs). It blocks only through the broker's blocking
 * fetch, on the queues that still have an empty entry, so a wait costs one
 * blocked fetcher and the time-out and abort machinery is the store's own.
 *
 * Resolves null when `signal` aborts (the client went away, or the door
 * closes): every task taken is then put back at its own place untouched
 * (Broker.release), as if this wait had never taken it. A task in a reply
 * the client never reads is covered by its lease: it is queued again after
 * its `retry` seconds (at-least-once).
 */
export async function waitForEntries(
  broker: Broker,
  clock: Clock,
  queues: string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Array<Delivery | null> | null> {
  const slots: Array<Delivery | null> = queues.map(() => null);
  const deadline = clock.now() + timeoutMs;
  try {
    await takeWhatIsThere(broker, queues, slots);
    while (timeoutMs > 0 && slots.includes(null) && !signal.aborted) {
      const left = deadline - clock.now();
      if (left <= 0) break;
      const got = await blockOnce(
        broker,
        [...new Set(queues.filter((_, i) => slots[i] === null))],
        left,
        signal,
      );
      if (!got) break; // timed out, or aborted
      for (const task of got) {
        place(queues, slots, task);
        // The other queues were empty while the fetch blocked; the woken one may hold more.
        await takeWhatIsThere(broker, queues, slots, task.queue);
      }
    }
  } catch (error) {
    await releaseAll(broker, slots);
    throw error;
  }
  if (signal.aborted) {
    await releaseAll(broker, slots);
    return null;
  }
  return slots;
}

/**
 * One blocking fetch of one task. It gets a signal of its own, tied to the
 * wait's only while it lasts: the store keeps its abort listener, and a wait
 * woken many times would otherwise pile them up on the request's signal.
 */
async function blockOnce(
  broker: Broker,
  queues: string[],
  timeoutMs: number,
  signal: AbortSignal,
): Promise<Delivery[] | null> {
  const step = new AbortController();
  const abort = () => step.abort();
  signal.addEventListener("abort", abort);
  try {
    return await broker.getJobs({ queues, count: 1, nohang: false, timeoutMs, signal: step.signal });
  } finally {
    signal.removeEventListener("abort", abort);
  }
}

/** Fills the empty entries (of queue `only`, when given) from what their queues hold now, without blocking. */
async function takeWhatIsThere(
  broker: Broker,
  queues: string[],
  slots: Array<Delivery | null>,
  only?: string,
): Promise<void> {
  const wanted = new Map<string, number>();
  queues.forEach((queue, i) => {
    if (slots[i] === null && (only === undefined || queue === only)) {
      wanted.set(queue, (wanted.get(queue) ?? 0) + 1);
    }
  });
  for (const [queue, count] of wanted) {
    const got = await broker.getJobs({ queues: [queue], count, nohang: true, timeoutMs: 0 });
    for (const task of got ?? []) place(queues, slots, task);
  }
}

/** A task goes to the first empty entry of its queue. */
function place(queues: string[], slots: Array<Delivery | null>, task: Delivery): void {
  const i = queues.findIndex((queue, at) => queue === task.queue && slots[at] === null);
  slots[i] = task;
}

async function releaseAll(broker: Broker, slots: Array<Delivery | null>): Promise<void> {
  const ids = slots.filter((task): task is Delivery => task !== null).map((task) => task.id);
  if (ids.length > 0) await broker.release(ids);
}
