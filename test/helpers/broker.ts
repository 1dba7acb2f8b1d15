import assert from "node:assert/strict";
import { BrokerError } from "../../src/core/contract.js";

/** The ManualClock's start in every broker test: 2023-11-14T22:13:20Z. */
export const T0 = 1_700_000_000_000;

/** A malformed id (39 characters) and a well-formed one no store knows. */
export const BAD_ID = "D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a";
export const UNKNOWN_ID = "D-00000000-AAAAAAAAAAAAAAAAAAAAAAAA-05a1";

/** A Promise watched so a test can see whether it has settled, without awaiting it. */
export interface Tracked<T> {
  done: boolean;
  value: T | undefined;
  promise: Promise<T>;
}

/** A rejection marks the call done too; awaiting `promise` rethrows it. */
export function trackPromise<T>(promise: Promise<T>): Tracked<T> {
  const state: Tracked<T> = { done: false, value: undefined, promise };
  promise.then(
    (value) => {
      state.done = true;
      state.value = value;
    },
    () => {
      state.done = true;
    },
  );
  return state;
}

/** Lets pending promise callbacks run (no timers involved). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** Asserts that `err` is a BrokerError with this code (and message, when given). */
export function assertBrokerError(err: unknown, code: string, message?: string): true {
  assert.ok(err instanceof BrokerError, `expected a BrokerError, got ${String(err)}`);
  assert.equal(err.code, code);
  if (message !== undefined) assert.equal(err.message, message);
  return true;
}

/** The bodies of delivered (or peeked) jobs, as strings. */
export function bodies(jobs: readonly { body: Buffer }[] | null | undefined): string[] {
  return (jobs ?? []).map((j) => j.body.toString());
}
