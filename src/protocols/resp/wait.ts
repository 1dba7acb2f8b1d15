import type { RespClient } from "./server.js";

/**
 * The cancellation of one blocking call (GETJOB, QNOTIFY, WAITJOB) made on
 * behalf of a RESP client: if the client disconnects while the call waits,
 * the wait is aborted so it takes nothing.
 *
 * The AbortController is made only when a store asks for the signal, which
 * the engine does only when the call really blocks: a GETJOB served at once
 * (the hot path) allocates none. The close hook is dropped once the call
 * settles, so a worker that blocks a million times on one connection does
 * not leave a million hooks behind.
 */
export class ClientWait {
  private controller: AbortController | undefined;

  constructor(private readonly client: RespClient) {}

  get signal(): AbortSignal {
    return (this.controller ??= new AbortController()).signal;
  }

  /** Ties `result` to the client's life: aborted if the client goes first. */
  watch<T>(result: T | Promise<T>): T | Promise<T> {
    const controller = this.controller;
    if (!(result instanceof Promise) || controller === undefined) return result;
    const detach = this.client.onClose(() => controller.abort());
    return result.finally(detach);
  }
}
