import type { Clock, Engine } from "./embedded/engine/index.js";

/**
 * Drives the engine's timers with a single Node timer armed for the engine's
 * next due time (the engine itself owns no timers, so that tests can drive
 * its clock by hand).
 */
export class Ticker {
  private timer: NodeJS.Timeout | undefined;
  private armedAt = Infinity;
  private stopped = false;

  constructor(
    private readonly engine: Engine,
    private readonly clock: Clock,
  ) {}

  /** Call when the engine reports an earlier wake time, and after every run. */
  arm(): void {
    if (this.stopped) return;
    const at = this.engine.nextWakeAt();
    if (at >= this.armedAt) return;
    if (this.timer) clearTimeout(this.timer);
    this.armedAt = at;
    if (!Number.isFinite(at)) return;
    // Node timers fire at most ~24.8 days ahead; re-arming on wake covers longer waits.
    const delay = Math.min(Math.max(0, at - this.clock.now()), 2 ** 31 - 1);
    this.timer = setTimeout(() => this.fire(), delay);
    this.timer.unref();
  }

  private fire(): void {
    this.timer = undefined;
    this.armedAt = Infinity;
    this.engine.runDue();
    this.arm();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}

/** What the Redis ticker drives: src/redis's broker. */
export interface DueRunner {
  runDue(): Promise<void>;
  /** the earliest deadline of this server's blocked clients, or Infinity */
  nextLocalDeadline(): number;
}

/**
 * Drives the Redis store's timers: every `periodMs` (or sooner, when a local
 * blocked client's deadline comes first) it runs `runDue()`, which moves the
 * deployment's due jobs (any server may) and times out local waiters.
 */
export class RedisTicker {
  private timer: NodeJS.Timeout | undefined;
  private stopped = false;
  private lastErrorAt = 0;

  constructor(
    private readonly broker: DueRunner,
    private readonly clock: Clock,
    private readonly onError: (error: Error) => void,
    private readonly periodMs = 100,
  ) {}

  start(): void {
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const untilDeadline = this.broker.nextLocalDeadline() - this.clock.now();
    const delay = Math.max(0, Math.min(this.periodMs, untilDeadline));
    this.timer = setTimeout(() => {
      this.broker.runDue().then(
        () => this.schedule(),
        (error: Error) => {
          // Redis unreachable: one warning per 10 s, not one per tick.
          const now = Date.now();
          if (now - this.lastErrorAt >= 10_000) {
            this.lastErrorAt = now;
            this.onError(error);
          }
          this.schedule();
        },
      );
    }, delay);
    this.timer.unref();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
