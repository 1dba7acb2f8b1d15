import assert from "node:assert/strict";
import type {
  AddJobRequest,
  AddJobResult,
  Broker,
  Delivery,
  GetJobsRequest,
  JobInfo,
  JobState,
} from "../../src/core/contract.js";
import { ManualClock } from "../../src/stores/embedded/engine/index.js";
import { T0, assertBrokerError, settle, trackPromise, type Tracked } from "../helpers/broker.js";

/** One broker opened on a store for one test. */
export interface OpenedStore {
  broker: Broker;
  /**
   * runs whatever is due on the clock: expiries, delays, re-queues, time-outs
   * (awaited; what it returns, such as the engine's clock reading, is not used)
   */
  runDue(): unknown;
  close(): Promise<void>;
}

/** A store the conformance suite runs against. */
export interface StoreFactory {
  name: string;
  /** a fresh, empty broker on `clock`, isolated from every other one opened */
  open(clock: ManualClock): Promise<OpenedStore>;
  /** once per test file, before the first `open` (e.g. start a server) */
  start?(): Promise<void>;
  /** once per test file, after the last test */
  stop?(): Promise<void>;
  /**
   * Real ms a "nothing happened" check waits, for stores whose wake-ups
   * travel through a server (0: promise callbacks only).
   */
  quietMs: number;
}

/** How long a test waits for a blocked call that should have been answered. */
const ANSWER_WITHIN_MS = 2000;

export interface Harness {
  clock: ManualClock;
  broker: Broker;
  addJob(queue: string, body?: string, extra?: Partial<AddJobRequest>): Promise<AddJobResult>;
  /** the new job's id */
  add(queue: string, body?: string, extra?: Partial<AddJobRequest>): Promise<string>;
  /** a NOHANG fetch */
  take(
    queues: string[] | string,
    count?: number,
    extra?: Partial<GetJobsRequest>,
  ): Promise<Delivery[] | null>;
  /** the ids a NOHANG fetch delivers */
  ids(queues: string[] | string, count?: number): Promise<string[]>;
  /** a blocking fetch, registered with the store when this resolves; its answer is tracked */
  block(
    req: Partial<Omit<GetJobsRequest, "signal">> & { queues: string[]; signal?: AbortSignal },
  ): Promise<Tracked<Delivery[] | null>>;
  /** any other blocking call, tracked the same way */
  pending<T>(call: () => T | Promise<T>): Promise<Tracked<T>>;
  /** the answer of a tracked call, which must come within a short real time */
  answer<T>(call: Tracked<T>): Promise<T>;
  /** moves the clock, runs what is due, lets wake-ups arrive */
  advance(ms: number): Promise<void>;
  /** lets wake-ups arrive (promise callbacks, and the store's quiet period) */
  settle(): Promise<void>;
  peekIds(queue: string): Promise<string[]>;
  /** the job's SHOW state, null when the job is not known */
  state(id: string): Promise<JobState | null>;
  /** SHOW of a job that must exist */
  show(id: string): Promise<JobInfo>;
  expectError(fn: () => unknown, code: string, message?: string): Promise<void>;
  close(): Promise<void>;
}

export async function openHarness(store: StoreFactory): Promise<Harness> {
  const clock = new ManualClock(T0);
  const opened = await store.open(clock);
  const { broker } = opened;
  /** aborts every blocked call still pending when the test closes the broker */
  const closing = new AbortController();
  const quiet = async () => {
    await settle();
    if (store.quietMs > 0) await new Promise((resolve) => setTimeout(resolve, store.quietMs));
    await settle();
  };
  const pending = async <T>(call: () => T | Promise<T>): Promise<Tracked<T>> => {
    const tracked = trackPromise(Promise.resolve().then(call));
    await quiet();
    return tracked;
  };
  const h: Harness = {
    clock,
    broker,
    addJob: async (queue, body = "x", extra = {}) =>
      await broker.addJob({ queue, body: Buffer.from(body), ...extra }),
    add: async (queue, body, extra) => (await h.addJob(queue, body, extra)).id,
    take: async (queues, count = 1, extra = {}) =>
      await broker.getJobs({
        queues: typeof queues === "string" ? [queues] : queues,
        count,
        nohang: true,
        timeoutMs: 0,
        ...extra,
      }),
    ids: async (queues, count = 1) => ((await h.take(queues, count)) ?? []).map((d) => d.id),
    block: (req) => {
      const signal = req.signal ? AbortSignal.any([req.signal, closing.signal]) : closing.signal;
      return pending(() => broker.getJobs({ count: 1, nohang: false, timeoutMs: 0, ...req, signal }));
    },
    pending,
    answer: async (call) => {
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms`)),
          ANSWER_WITHIN_MS,
        );
      });
      try {
        return await Promise.race([call.promise, late]);
      } finally {
        clearTimeout(timer);
      }
    },
    advance: async (ms) => {
      clock.advance(ms);
      await opened.runDue();
      await quiet();
    },
    settle: quiet,
    peekIds: async (queue) => (await broker.qpeek(queue, 1_000_000)).map((j) => j.id),
    state: async (id) => (await broker.show(id))?.state ?? null,
    show: async (id) => {
      const info = await broker.show(id);
      assert.ok(info, `job ${id} should be known`);
      return info;
    },
    expectError: async (fn, code, message) => {
      await assert.rejects(
        async () => await fn(),
        (err: unknown) => assertBrokerError(err, code, message),
      );
    },
    close: async () => {
      closing.abort();
      await settle();
      await opened.close();
    },
  };
  return h;
}
