import type { WaitSignal } from "../../core/contract.js";
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
 * The signal is made only when a store asks for it, which the engine does
 * only when the call really blocks: a GETJOB served at once (the hot path)
 * makes none. It is a WaitSignal of its own rather than an AbortController's:
 * under a mixed load every job is fetched by a blocked GETJOB, and the
 * controller, its EventTarget and the listener bookkeeping cost about 5 % of
 * the server's CPU. The hooks are dropped once the call settles, so a worker
 * that blocks a million times on one connection does not leave a million
 * hooks behind.
 */
export class ClientWait {
  private made: ClientSignal | undefined;
  /** made with the signal: a call served at once has no hooks to drop */
  private detachers: Array<() => void> | undefined;
  /** true once the wait was ended because this node is leaving */
  leaving = false;

  constructor(
    private readonly client: RespClient,
    private readonly node?: Pick<ServerHandle, "leaving" | "onLeaving">,
  ) {}

  /** Made on first use, with the hooks that abort it (a store may ask late, after an await). */
  get signal(): WaitSignal {
    if (this.made === undefined) {
      const signal = (this.made = new ClientSignal());
      const detachers: Array<() => void> = (this.detachers = []);
      detachers.push(this.client.onClose(() => signal.abort()));
      const node = this.node;
      if (node) {
        const leave = () => {
          this.leaving = true;
          signal.abort();
        };
        if (node.leaving) leave();
        else detachers.push(node.onLeaving(leave));
      }
    }
    return this.made;
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
    const detachers = this.detachers;
    if (detachers === undefined) return;
    for (const detach of detachers) detach();
    detachers.length = 0;
  }
}

/**
 * A signal aborted at most once, calling each listener then once, in the
 * order added (as an AbortSignal does); a listener added after the abort is
 * not called, as with an AbortSignal (callers check `aborted` first).
 * Listeners must not throw: they are the stores' cancellations.
 */
export class ClientSignal implements WaitSignal {
  aborted = false;
  /** nearly always one: the store's, for the one wait */
  private listeners: Array<() => void> = [];

  /** `once` or not, a listener is called once: the signal aborts once */
  addEventListener(_type: "abort", listener: () => void, _options?: { once?: boolean }): void {
    if (!this.aborted) this.listeners.push(listener);
  }

  removeEventListener(_type: "abort", listener: () => void): void {
    const at = this.listeners.indexOf(listener);
    if (at >= 0) this.listeners.splice(at, 1);
  }

  abort(): void {
    if (this.aborted) return;
    this.aborted = true;
    const listeners = this.listeners;
    this.listeners = [];
    for (const listener of listeners) listener();
  }
}
