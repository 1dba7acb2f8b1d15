import { ReplyError } from "ioredis";
import { BrokerError } from "../../core/contract.js";

/**
 * While Redis cannot be reached every door answers one fast, retryable error
 * instead of waiting for as long as the outage lasts. The code is TRYAGAIN:
 * Redis itself uses it for "this cannot be served right now, the same
 * command will work later" (Cluster resharding), so Redis and Disque clients
 * already retry on it; LOADING would say "Redis is loading", which is only
 * one of the causes here. Whether the command took effect is unknown when it
 * timed out after being sent (an ADDJOB may have added the job): retrying is
 * at-least-once, as it is for any client that loses its connection.
 */
export function storeUnavailable(where: string): BrokerError {
  return new BrokerError("TRYAGAIN", `store unavailable: Redis at ${where} unreachable, retry`);
}

/** ioredis' own errors (not Redis replies) that mean "no answer from Redis" */
const CONNECTION_MESSAGES = [
  "Command timed out",
  "Connection is closed.",
  "Stream isn't writeable",
  "Reached the max retries per request limit",
  "connect ECONNREFUSED",
  "connect ETIMEDOUT",
];

/** Replies a restarting or unready Redis sends before it serves data again. */
const NOT_READY_REPLIES = /^(LOADING|MASTERDOWN|CLUSTERDOWN|TRYAGAIN) /;

export function isUnavailable(error: unknown): boolean {
  if (!(error instanceof Error) || error instanceof BrokerError) return false;
  if (error instanceof ReplyError) return NOT_READY_REPLIES.test(error.message);
  return CONNECTION_MESSAGES.some((m) => error.message.startsWith(m));
}

/**
 * The broker, each of whose promise-returning methods rejects with
 * storeUnavailable() instead of a Redis connection error. One wrapper rather
 * than a catch in each of the broker's many methods, each running scripts
 * and commands of its own.
 */
export function failingFast<T extends object>(broker: T, where: () => string): T {
  const mapError = (error: unknown): never => {
    throw isUnavailable(error) ? storeUnavailable(where()) : error;
  };
  // one wrapper per method, made on first use: every command calls the broker through here
  const wrappers = new WeakMap<(...a: unknown[]) => unknown, (...a: unknown[]) => unknown>();
  const proxy: T = new Proxy(broker, {
    get(target, property, receiver) {
      const value: unknown = Reflect.get(target, property, receiver);
      if (typeof value !== "function") return value;
      const method = value as (...a: unknown[]) => unknown;
      let wrapper = wrappers.get(method);
      if (wrapper === undefined) {
        wrapper = function (this: unknown, ...args: unknown[]) {
          const result: unknown = method.apply(this === proxy ? broker : this, args);
          return result instanceof Promise ? result.catch(mapError) : result;
        };
        wrappers.set(method, wrapper);
      }
      return wrapper;
    },
  });
  return proxy;
}
