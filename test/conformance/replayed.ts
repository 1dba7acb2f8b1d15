import { cpSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pino } from "pino";
import type { Broker, FailureDefaults, JobInfo } from "../../src/core/contract.js";
import { Engine, type ManualClock } from "../../src/stores/embedded/engine/index.js";
import { Journal } from "../../src/stores/embedded/journal/index.js";
import type { StoreFactory } from "./harness.js";

/**
 * The embedded store as it comes back after a restart: an engine recording
 * into a journal in a temp dir, which can be closed and rebuilt from that
 * dir at any time (same ManualClock). See docs/persistence.md.
 */
/** tmpfs when there is one: the journal fsyncs at every open, and the differential reopens at every step */
const TMP = existsSync("/dev/shm") ? "/dev/shm" : tmpdir();

export class JournaledEngine {
  /** the server's failure settings: configuration, given again to the engine at every start (not journaled) */
  private failureDefaults: FailureDefaults | undefined;

  private constructor(
    readonly dir: string,
    readonly clock: ManualClock,
    public engine: Engine,
    private journal: Journal,
  ) {}

  static async open(clock: ManualClock, dir = mkdtempSync(join(TMP, "docket-replayed-"))) {
    const [engine, journal] = await openOn(clock, dir);
    return new JournaledEngine(dir, clock, engine, journal);
  }

  /**
   * Closes the journal and continues on an engine rebuilt from the data dir;
   * `damage` runs in between (a test's crash: a torn record, a cut file).
   */
  async reopen(damage?: (dir: string) => void): Promise<void> {
    await this.journal.close();
    damage?.(this.dir);
    [this.engine, this.journal] = await openOn(this.clock, this.dir);
    if (this.failureDefaults) this.engine.configureFailures(this.failureDefaults);
  }

  /** Writes a snapshot and drops the older files (the journal's compaction). */
  async compact(): Promise<void> {
    await this.journal.compact();
  }

  /** CONFIG SET of the failure settings: kept across restarts, as a server's settings are */
  configureFailures(defaults: FailureDefaults): void {
    this.failureDefaults = defaults;
    this.engine.configureFailures(defaults);
  }

  /**
   * An engine rebuilt from a copy of the journal written so far, while this
   * one keeps running (its own journal holds the dir's lock). Closed when returned.
   */
  async replica(): Promise<Engine> {
    await this.journal.whenDurable();
    const copy = mkdtempSync(join(TMP, "docket-replica-"));
    try {
      cpSync(this.dir, copy, { recursive: true, filter: (src) => !src.endsWith("LOCK") });
      const [engine, journal] = await openOn(this.clock, copy);
      await journal.close();
      return engine;
    } finally {
      rmSync(copy, { recursive: true, force: true });
    }
  }

  async close(): Promise<void> {
    await this.journal.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

const silent = pino({ level: "silent" });

async function openOn(clock: ManualClock, dir: string): Promise<[Engine, Journal]> {
  const recorder: { journal?: Journal } = {};
  const engine = new Engine({ clock, onChange: (change) => recorder.journal?.append(change) });
  const journal = await Journal.open(engine, {
    dir,
    // "no": written is enough, the copy and the reopen read through the OS cache
    fsync: "no",
    repair: false,
    compactMinBytes: 64 * 1024 * 1024,
    logger: silent,
    manifestIntervalMs: 0,
  });
  recorder.journal = journal;
  engine.durability = () => journal.whenDurable();
  return [engine, journal];
}

/** Calls that only look: the replayed store restarts before each of them. */
const OBSERVING = new Set<string>([
  "show",
  "showBySeq",
  "qlen",
  "qpeek",
  "qstat",
  "jscan",
  "qscan",
  "queueCounts",
  "deadLetters",
  "deadLetter",
  "result",
  "queuePolicy",
  "getSchedule",
  "listSchedules",
]);

/**
 * The embedded store reopened from its journal before every observing call,
 * whenever nothing is in flight there: no blocked call is pending and no job
 * is delivered-but-unacked (a restart queues those again by design, see
 * docs/persistence.md), so the answer must be the one the live engine gives.
 */
export const replayedStore: StoreFactory = {
  name: "replayed",
  quietMs: 0,
  open: async (clock) => {
    const journaled = await JournaledEngine.open(clock);
    let blocked = 0;
    const leased = (job: JobInfo) =>
      (job.state === "active" && job.delayedUntil === null) ||
      // WORKING on a job in backoff: a restart queues it at once, as a lease
      (job.state === "backoff" && job.requeueAt !== null);
    const inFlight = () => {
      if (blocked > 0) return true;
      // every job, a scan's bounded batch (MAX_SCAN_COUNT) at a time
      let cursor = 0;
      do {
        const page = journaled.engine.jscan(cursor, { count: 1, busyloop: true });
        if (page.items.some(leased)) return true;
        cursor = page.cursor;
      } while (cursor !== 0);
      return false;
    };
    const broker = new Proxy({} as Broker, {
      get(_target, prop) {
        if (prop === "configureFailures") {
          return (defaults: FailureDefaults) => journaled.configureFailures(defaults);
        }
        const value: unknown = Reflect.get(journaled.engine, prop);
        if (typeof value !== "function" || typeof prop !== "string") return value;
        if (OBSERVING.has(prop)) {
          return async (...args: unknown[]) => {
            if (!inFlight()) await journaled.reopen();
            return Reflect.apply(
              Reflect.get(journaled.engine, prop) as () => unknown,
              journaled.engine,
              args,
            );
          };
        }
        return (...args: unknown[]) => {
          const result: unknown = Reflect.apply(value as () => unknown, journaled.engine, args);
          if (result instanceof Promise) {
            blocked++;
            void result.then(
              () => blocked--,
              () => blocked--,
            );
          }
          return result;
        };
      },
    });
    return { broker, runDue: () => journaled.engine.runDue(), close: () => journaled.close() };
  },
};

/**
 * Why some checks cannot hold on the replayed store, by design: what a
 * restart resets. by-design.test.ts asserts each one.
 */
export const BY_DESIGN = {
  totals:
    "totals and ages count since start (STATS totals, QSTAT jobs-in/out and age): a restart resets them",
  registrations: "consumer registrations are connection state, not journaled: a restart drops them",
  emptyQueues: "an empty queue is not journaled: a restart forgets it (QSTAT null, QSCAN)",
  rateState:
    "a rate limit's state (GCRA) is not journaled: a restart gives each rate-limited queue a fresh burst",
} as const;
