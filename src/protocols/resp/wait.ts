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
  private detach: (() => void) | undefined;

  constructor(private readonly client: RespClient) {}

  /** Made on first use, with the close hook that aborts it (a store may ask late, after an await). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = (this.controller = new AbortController());
      this.detach = this.client.onClose(() => controller.abort());
    }
    return this.controller.signal;
  }

  /** Drops the close hook once `result` settles. */
  watch<T>(result: T | Promise<T>): T | Promise<T> {
    if (!(result instanceof Promise)) {
      this.detach?.();
      return result;
    }
    return result.finally(() => this.detach?.());
  }
}
