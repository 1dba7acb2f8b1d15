import assert from "node:assert/strict";
import type { Delivery, GetJobsRequest } from "../../src/core/contract.js";
import {
  Engine,
  ManualClock,
  type EngineChange,
  type EngineOptions,
} from "../../src/stores/embedded/engine/index.js";
import { BAD_ID, T0, UNKNOWN_ID, assertBrokerError, settle } from "../helpers/broker.js";

export { BAD_ID, T0, UNKNOWN_ID, settle };

/** A value the in-process engine answered synchronously (no Promise). */
export function sync<T>(value: T | Promise<T>): T {
  assert.ok(!(value instanceof Promise), "expected a plain value, got a Promise");
  return value as T;
}

/** Watches a Promise so a test can see whether it has settled, without sleeping. */
export function track<T>(promise: T | Promise<T>): { done: boolean; value: T | undefined } {
  assert.ok(promise instanceof Promise, "expected a Promise (a blocked call)");
  const state: { done: boolean; value: T | undefined } = { done: false, value: undefined };
  void promise.then((value) => {
    state.done = true;
    state.value = value;
  });
  return state;
}

export function expectError(fn: () => unknown, code: string, message?: string): void {
  assert.throws(fn, (err: unknown) => assertBrokerError(err, code, message));
}

export interface Harness {
  clock: ManualClock;
  engine: Engine;
  changes: EngineChange[];
  wakes: number[];
  add(queue: string, body?: string, extra?: Partial<Parameters<Engine["addJob"]>[0]>): string;
  take(queues: string[] | string, count?: number): Delivery[] | null;
  ids(queues: string[] | string, count?: number): string[];
  block(req: Partial<GetJobsRequest> & { queues: string[] }): Promise<Delivery[] | null>;
  advance(ms: number): void;
  peekIds(queue: string): string[];
  state(id: string): string | null;
}

export function harness(options: Partial<EngineOptions> = {}): Harness {
  const clock = new ManualClock(T0);
  const changes: EngineChange[] = [];
  const wakes: number[] = [];
  const engine = new Engine({
    clock,
    onChange: (change) => changes.push(change),
    onWake: (at) => wakes.push(at),
    ...options,
  });
  const h: Harness = {
    clock,
    engine,
    changes,
    wakes,
    add: (queue, body = "x", extra = {}) =>
      sync(engine.addJob({ queue, body: Buffer.from(body), ...extra })).id,
    take: (queues, count = 1) =>
      sync(
        engine.getJobs({
          queues: typeof queues === "string" ? [queues] : queues,
          count,
          nohang: true,
          timeoutMs: 0,
        }),
      ),
    ids: (queues, count = 1) => (h.take(queues, count) ?? []).map((d) => d.id),
    block: (req) => {
      const result = engine.getJobs({ count: 1, nohang: false, timeoutMs: 0, ...req });
      assert.ok(result instanceof Promise, "expected getJobs to block");
      return result;
    },
    advance: (ms) => {
      clock.advance(ms);
      engine.runDue();
    },
    peekIds: (queue) => sync(engine.qpeek(queue, 1_000_000)).map((j) => j.id),
    state: (id) => sync(engine.show(id))?.state ?? null,
  };
  return h;
}
