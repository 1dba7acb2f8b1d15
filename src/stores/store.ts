import {
  BrokerError,
  type Awaitable,
  type Broker,
  type Delivery,
  type FailureDefaults,
} from "../core/contract.js";
import type { FsyncPolicy } from "./embedded/journal/index.js";

/** INFO sections, by name: field → value */
export type InfoSections = Record<string, Record<string, string | number>>;

/**
 * A store as the server runs it: the Broker every door talks to, its one
 * write gate, its life cycle and what INFO reports of it. The embedded store
 * (engine + journal) and the Redis store are each one of these
 * (make-store.ts), so the server and the doors never branch on which it is.
 */
export interface Store {
  readonly kind: "embedded" | "redis";
  /** what every door talks to */
  readonly broker: Broker;
  /** the one write gate every door goes through */
  readonly gate: WriteGate;
  /** opens the journal / connects to Redis; the doors listen only after it */
  start(): Promise<void>;
  /** the RESP door listens on `port`: HELLO reports it (the Redis store registers it now) */
  listening(port: number): Promise<void>;
  /** every door listens: leases, delays and TTLs run from now on */
  startTimers(): void;
  /** stops the timers, closes the journal / the Redis connections */
  close(): Promise<void>;
  /** the store's own INFO sections (persistence, redis) */
  info(): Promise<InfoSections>;
  /**
   * Why writes are refused right now (the journal cannot write), or
   * undefined. Checked BEFORE a write changes anything: see WriteGate.
   */
  writeRefusal(): string | undefined;
  /** job data held in this process, for --maxmemory (0 on Redis: the jobs live there) */
  dataBytes(): number;
  /** the settings CONFIG SET may change for a running store */
  configure(settings: StoreSettings): void;
  /** the other servers of a deployment see this one's state (CLUSTER LEAVING) now */
  announce(): Promise<void>;
  /** BGREWRITEAOF: "in-progress" when one runs already, undefined without a journal */
  compact(): "started" | "in-progress" | undefined;
  /** each delivery's queue and wait (add-to-fetch latency); stores that cannot tell ignore it */
  observeDeliveries(observe: (queue: string, createdAt: number, now: number) => void): void;
}

/** What CONFIG SET may change in a running store. */
export interface StoreSettings {
  maxJobSize: number;
  fsync: FsyncPolicy;
  /** default-retries, default-backoff, dead-letter-cap, result-ttl */
  failures: FailureDefaults;
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
  /** the barrier `afterDurable`'s waiters registered with last, and those waiters */
  private barrier: Promise<void> | undefined = undefined;
  private waiters: DurableWaiter[] = [];

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
   * As `durable`, for many replies at once: `waiter.passed()` is called
   * once every change so far is durable (with the MISCONF BrokerError when
   * the journal failed meanwhile), never before this returns; false, and
   * nothing registered, when every change is durable already. The waiters
   * of one barrier (a turn's journal write) share one promise reaction,
   * where `durable` takes a Promise and a reaction per reply.
   */
  afterDurable(waiter: DurableWaiter): boolean {
    const barrier = this.store.whenDurable();
    if (!barrier) return false;
    if (barrier !== this.barrier) {
      this.barrier = barrier;
      const waiters: DurableWaiter[] = [];
      this.waiters = waiters;
      const told = (failure: BrokerError | undefined) => {
        // a barrier asked for again after it settled gets a fresh list (and reaction)
        if (this.barrier === barrier) this.barrier = undefined;
        for (let i = 0; i < waiters.length; i++) waiters[i]!.passed(failure);
      };
      barrier.then(
        () => told(undefined),
        (error: unknown) => told(misconf(error)),
      );
    }
    this.waiters.push(waiter);
    return true;
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

/** What `afterDurable` calls back. */
export interface DurableWaiter {
  /** `failure` undefined: durable. Must not throw: the next waiters are told in the same loop. */
  passed(failure: BrokerError | undefined): void;
}

function misconf(error: unknown): BrokerError {
  if (error instanceof BrokerError) return error;
  return new BrokerError("MISCONF", error instanceof Error ? error.message : String(error));
}
