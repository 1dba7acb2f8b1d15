import type { Reply } from "./reply.js";

/**
 * A reply that may leave only once a barrier has passed: a write's reply
 * waits for the store's durability (doors/resp/durable.ts). The connection
 * keeps the reply's place in line and registers it with the barrier; no
 * Promise is made per command (a durable reply used to take three: the
 * gate's `then`, the command guard's `catch` and dispatch's `then`).
 */
export class HeldReply {
  constructor(
    readonly reply: Reply,
    readonly until: ReplyBarrier,
  ) {}
}

/** Something replies wait for: told of each waiter once, and calls each back once. */
export interface ReplyBarrier {
  /**
   * Registers `waiter`, whose `passed` is called once the barrier passes or
   * fails, never before `wait` returns; false (nothing registered) when it
   * has passed already.
   */
  wait(waiter: BarrierWaiter): boolean;
  /** The reply sent instead of the held one when the barrier failed with `error`. */
  failed(error: unknown): Reply;
}

export interface BarrierWaiter {
  /** `error` undefined: passed. Must not throw (it runs for many waiters in a row). */
  passed(error: unknown): void;
}
