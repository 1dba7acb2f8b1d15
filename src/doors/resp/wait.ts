import type { ServerHandle } from "./context.js";
import type { RespClient } from "./transport/server.js";

/**
 * The cancellation of one blocking call (GETJOB, QNOTIFY, WAITJOB) made on
 * behalf of a RESP client: if the client disconnects while the call waits,
 * the wait is aborted so it takes nothing. A GETJOB also passes the node:
 * a wait on a node that is leaving the cluster (CLUSTER LEAVING yes) is
 * aborted too, at once or when the node starts leaving, and `leaving` says so
 * (Disque answers such a GETJOB -LEAVING).
 *
 * The AbortController is made only when a store asks for the signal, which
 * the engine does only when the call really blocks: a GETJOB served at once
 * (the hot path) allocates none. The hooks are dropped once the call
 * settles, so a worker that blocks a million times on one connection does
 * not leave a million hooks behind.
 */
export class ClientWait {
  private controller: AbortController | undefined;
  private readonly detachers: Array<() => void> = [];
  /** true once the wait was ended because this node is leaving */
  leaving = false;

  constructor(
    private readonly client: RespClient,
    private readonly node?: Pick<ServerHandle, "leaving" | "onLeaving">,
  ) {}

  /** Made on first use, with the hooks that abort it (a store may ask late, after an await). */
  get signal(): AbortSignal {
    if (this.controller === undefined) {
      const controller = (this.controller = new AbortController());
      this.detachers.push(this.client.onClose(() => controller.abort()));
      const node = this.node;
      if (node) {
        const leave = () => {
          this.leaving = true;
          controller.abort();
        };
        if (node.leaving) leave();
        else this.detachers.push(node.onLeaving(leave));
      }
    }
    return this.controller.signal;
  }

  /** Drops the hooks once `result` settles. */
  watch<T>(result: T | Promise<T>): T | Promise<T> {
    if (!(result instanceof Promise)) {
      this.detach();
      return result;
    }
    return result.finally(() => this.detach());
  }

  private detach(): void {
    for (const detach of this.detachers) detach();
    this.detachers.length = 0;
  }
}
