import { BrokerError, type Awaitable, type Broker, type Delivery } from "../core/contract.js";

/**
 * A store as the server runs it: the Broker contract every door talks to,
 * plus its life cycle and what INFO reports of it. Both the embedded store
 * (engine + journal) and the Redis store are one of these, so the server and
 * the doors never branch on which it is.
 */
export interface Store extends Broker {
  readonly kind: "embedded" | "redis";
  /** opens the journal / connects to Redis; the doors listen only after it */
  start(): Promise<void>;
  close(): Promise<void>;
  /** the store's own INFO sections (persistence, redis …) */
  info(): Awaitable<Record<string, Record<string, string | number>>>;
  /**
   * Why writes are refused right now (the journal cannot write), or
   * undefined. Checked BEFORE a write changes anything: see WriteGate.
   */
  writeRefusal(): string | undefined;
}

/** What the gate needs of a store: the Broker's durability and release, and the refusal. */
export type GatedStore = Pick<Broker, "whenDurable" | "release"> & {
  writeRefusal(): string | undefined;
};

/**
 * The one write gate every door goes through, so that every door behaves
 * the same when the store cannot write:
 *
 * 1. `refusal()` / `checkWrite()`: a write is refused with MISCONF BEFORE it
 *    changes anything while the store cannot write (a client never gets an
 *    error for a change that was made);
 * 2. `durable(value)`: a write's reply waits until the change is as durable
 *    as the fsync policy promises; should the journal fail meanwhile, the
 *    reply is a MISCONF BrokerError naming the failure;
 * 3. `handOver(jobs, gone)`: deliveries taken for a client that has gone are
 *    put back with broker.release (no counter changed), and the door sends
 *    nothing.
 *
 * Everything stays synchronous when nothing is pending (the embedded hot
 * path makes no Promise per command). Errors are BrokerErrors: each door
 * turns them into its own wire error as it does any other.
 */
export class WriteGate {
  constructor(private readonly store: GatedStore) {}

  /** The MISCONF error a write gets now, or undefined when writes are accepted. */
  refusal(): BrokerError | undefined {
    const reason = this.store.writeRefusal();
    return reason === undefined ? undefined : new BrokerError("MISCONF", reason);
  }

  /** Throws the MISCONF BrokerError when writes are refused now. */
  checkWrite(): void {
    const refusal = this.refusal();
    if (refusal) throw refusal;
  }

  /** `value` once every change so far is durable; a journal failure becomes MISCONF. */
  durable<T>(value: T): Awaitable<T> {
    const barrier = this.store.whenDurable();
    if (!barrier) return value;
    return barrier.then(
      () => value,
      (error: unknown) => {
        throw misconf(error);
      },
    );
  }

  /**
   * A whole write: refused before any change while the store cannot write,
   * then `change`, then the reply once durable. `async`: reply at once
   * (ADDJOB ASYNC, okq NOBLOCK).
   */
  write<T>(change: () => Awaitable<T>, async = false): Awaitable<T> {
    this.checkWrite();
    const result = change();
    if (async) return result;
    return result instanceof Promise ? result.then((value) => this.durable(value)) : this.durable(result);
  }

  /**
   * Deliveries about to be handed to a client: when the client has gone
   * (`gone()` true), they are released back to their place and the answer
   * is null (send nothing); otherwise the jobs themselves.
   */
  handOver(jobs: Delivery[] | null, gone: () => boolean): Awaitable<Delivery[] | null> {
    if (jobs === null || jobs.length === 0 || !gone()) return jobs;
    const released = this.store.release(jobs.map((job) => job.id));
    return released instanceof Promise ? released.then(() => null) : null;
  }
}

function misconf(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  return new BrokerError("MISCONF", error instanceof Error ? error.message : String(error));
}
