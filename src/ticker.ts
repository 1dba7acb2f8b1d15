import type { Clock, Engine } from "./engine/index.js";

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
