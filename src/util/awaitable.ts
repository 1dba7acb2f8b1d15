import type { Awaitable } from "../core/contract.js";

/**
 * Applies `fn` to a value that may or may not be a Promise, staying
 * synchronous when it is not: the in-process store answers without a
 * Promise per command, the Redis store with one.
 */
export function andThen<T, R>(value: Awaitable<T>, fn: (value: T) => Awaitable<R>): Awaitable<R> {
  return value instanceof Promise ? value.then(fn) : fn(value);
}

export function isPromise<T>(value: Awaitable<T>): value is Promise<T> {
  return value instanceof Promise;
}
