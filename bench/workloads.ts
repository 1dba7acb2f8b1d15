import { performance } from "node:perf_hooks";
import { Queue, Worker } from "bullmq";
import { QUEUE, rssBytes, type QueueConn, type Running } from "./systems.js";

export const BODY_SIZE = 100;

/** A 100-byte ASCII body carrying the time it was made (for add-to-fetch latency) and a unique sequence number. */
export function makeBody(seq: number): string {
  return `${performance.now().toFixed(3)}:${seq}:`.padEnd(BODY_SIZE, "x");
}
export function bodyTime(body: string): number {
  return Number(body.slice(0, body.indexOf(":")));
}

export interface Outcome {
  jobsPerSec: number;
  p50Ms?: number;
  p99Ms?: number;
}

async function connectMany(sys: Running, n: number): Promise<QueueConn[]> {
  return Promise.all(Array.from({ length: n }, () => sys.connect()));
}

/** Adds n jobs over the given connections, `window` requests in flight on each; resolves with seconds taken. */
function produceOn(conns: QueueConn[], n: number, window: number, seqBase = 0): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let issued = 0;
    let done = 0;
    let failed = false;
    const next = (c: QueueConn): void => {
      if (issued >= n) return;
      const seq = seqBase + issued++;
      c.add(makeBody(seq), (err) => {
        if (failed) return;
        if (err) {
          failed = true;
          return reject(err);
        }
        if (++done === n) return resolve((performance.now() - t0) / 1000);
        next(c);
      });
    };
    if (n === 0) return resolve(0);
    for (const c of conns) for (let i = 0; i < window; i++) next(c);
  });
}

/**
 * Consumers fetch, then ack and fetch again in one write; resolves when n jobs are acked.
 * Records add-to-fetch latency (ms) into `latencies` when given.
 */
function consumeOn(conns: QueueConn[], n: number, latencies?: Float64Array): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let fetched = 0;
    let acked = 0;
    let finished = false;
    const fail = (err: Error): void => {
      if (finished) return;
      finished = true;
      reject(err);
    };
    const loop = (c: QueueConn): void => {
      if (finished || fetched >= n) return;
      c.fetch((err, id, body) => {
        if (finished) return;
        if (err) return fail(err);
        if (id === "") return loop(c);
        if (latencies) latencies[fetched] = performance.now() - bodyTime(body);
        fetched++;
        c.ack(id, (e) => {
          if (e) return fail(e);
          if (++acked === n && !finished) {
            finished = true;
            resolve((performance.now() - t0) / 1000);
          }
        });
        loop(c);
      });
    };
    if (n === 0) return resolve(0);
    for (const c of conns) loop(c);
  });
}

export function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function closeAll(conns: QueueConn[]): void {
  for (const c of conns) c.close();
}

/** (a) produce only: `conns` connections with `window` requests in flight each. */
export async function produce(sys: Running, n: number, conns: number, window: number): Promise<Outcome> {
  if (sys.bullmq) return bullProduce(sys, n, conns, window);
  const cs = await connectMany(sys, conns);
  try {
    const s = await produceOn(cs, n, window);
    return { jobsPerSec: n / s };
  } finally {
    closeAll(cs);
  }
}

/** (b) consume+ack a backlog of n jobs with `consumers` consumers. The backlog is loaded first, untimed. */
export async function consume(sys: Running, n: number, consumers: number): Promise<Outcome> {
  if (sys.bullmq) return bullConsume(sys, n, consumers);
  const loaders = await connectMany(sys, 4);
  await produceOn(loaders, n, 64);
  closeAll(loaders);
  const cs = await connectMany(sys, consumers);
  try {
    const s = await consumeOn(cs, n);
    return { jobsPerSec: n / s };
  } finally {
    closeAll(cs);
  }
}

/** (c) producers and consumers together until n jobs are acked; add-to-fetch latency. */
export async function mixed(sys: Running, n: number, producers: number, consumers: number): Promise<Outcome> {
  const latencies = new Float64Array(n);
  let seconds: number;
  if (sys.bullmq) {
    seconds = await bullMixed(sys, n, producers, consumers, latencies);
  } else {
    const ps = await connectMany(sys, producers);
    const cs = await connectMany(sys, consumers);
    try {
      const t0 = performance.now();
      await Promise.all([produceOn(ps, n, 1), consumeOn(cs, n, latencies)]);
      seconds = (performance.now() - t0) / 1000;
    } finally {
      closeAll(ps);
      closeAll(cs);
    }
  }
  latencies.sort();
  return { jobsPerSec: n / seconds, p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99) };
}

/** (d) server RSS per queued job beyond its body, at m jobs. Run on a fresh server. */
export async function memory(sys: Running, m: number): Promise<number> {
  const cs = await connectMany(sys, 4);
  try {
    await new Promise((r) => setTimeout(r, 200));
    const empty = rssBytes(sys.pid);
    await produceOn(cs, m, 128);
    await new Promise((r) => setTimeout(r, 500));
    const full = rssBytes(sys.pid);
    return (full - empty) / m - BODY_SIZE;
  } finally {
    closeAll(cs);
  }
}

// ---- BullMQ: its own Queue and Worker (Promises are its API) ----------------

function bullConnection(sys: Running) {
  return { host: "127.0.0.1", port: sys.port, maxRetriesPerRequest: null };
}

async function bullProduce(sys: Running, n: number, conns: number, window: number): Promise<Outcome> {
  const queue = new Queue(QUEUE, { connection: bullConnection(sys) });
  try {
    await queue.waitUntilReady();
    const t0 = performance.now();
    let issued = 0;
    if (window > 1) {
      // the pipelined variant: addBulk in chunks of `window`
      while (issued < n) {
        const k = Math.min(window, n - issued);
        await queue.addBulk(
          Array.from({ length: k }, () => ({ name: "j", data: { b: makeBody(issued++) } })),
        );
      }
    } else {
      const loop = async (): Promise<void> => {
        while (issued < n) await queue.add("j", { b: makeBody(issued++) });
      };
      await Promise.all(Array.from({ length: conns }, loop));
    }
    return { jobsPerSec: n / ((performance.now() - t0) / 1000) };
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

async function bullRun(
  sys: Running,
  n: number,
  consumers: number,
  latencies: Float64Array | undefined,
  start: (queue: Queue) => Promise<void>,
  preload: (queue: Queue) => Promise<void>,
): Promise<number> {
  const queue = new Queue(QUEUE, { connection: bullConnection(sys) });
  await queue.waitUntilReady();
  await preload(queue);
  let fetched = 0;
  let completed = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  const t0 = performance.now();
  const worker = new Worker(
    QUEUE,
    async (job) => {
      if (latencies) latencies[fetched] = performance.now() - bodyTime((job.data as { b: string }).b);
      fetched++;
    },
    { connection: bullConnection(sys), concurrency: consumers, removeOnComplete: { count: 0 } },
  );
  worker.on("completed", () => {
    if (++completed === n) resolveDone();
  });
  await start(queue);
  await done;
  const seconds = (performance.now() - t0) / 1000;
  await worker.close();
  await queue.obliterate({ force: true });
  await queue.close();
  return seconds;
}

async function bullConsume(sys: Running, n: number, consumers: number): Promise<Outcome> {
  const s = await bullRun(
    sys,
    n,
    consumers,
    undefined,
    async () => {},
    async (queue) => {
      for (let i = 0; i < n; i += 1000) {
        const k = Math.min(1000, n - i);
        await queue.addBulk(
          Array.from({ length: k }, (_, j) => ({ name: "j", data: { b: makeBody(i + j) } })),
        );
      }
    },
  );
  return { jobsPerSec: n / s };
}

function bullMixed(
  sys: Running,
  n: number,
  producers: number,
  consumers: number,
  latencies: Float64Array,
): Promise<number> {
  return bullRun(
    sys,
    n,
    consumers,
    latencies,
    async (queue) => {
      let issued = 0;
      const loop = async (): Promise<void> => {
        while (issued < n) await queue.add("j", { b: makeBody(issued++) });
      };
      await Promise.all(Array.from({ length: producers }, loop));
    },
    async () => {},
  );
}
