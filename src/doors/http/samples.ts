import type { Broker, QueueStats } from "../../core/contract.js";
import { MAX_SCAN_COUNT } from "../../core/listing-limits.js";

/**
 * The dashboard's charts: a server-side ring buffer of each queue's counts,
 * one sample every SAMPLE_INTERVAL_MS, SAMPLES_KEPT of them, for at most
 * MAX_SAMPLED_QUEUES queues (the first ones in QSCAN order). Memory and the
 * work per tick are bounded whatever the number of queues or viewers:
 * viewers read the buffer, they never make it sample.
 */

export const SAMPLE_INTERVAL_MS = 5000;
export const SAMPLES_KEPT = 60;
export const MAX_SAMPLED_QUEUES = 100;

export interface Sample {
  at: number;
  ready: number;
  inFlight: number;
  delayed: number;
  backingOff: number;
  dead: number;
  /** totals since the queue was created: rates are their differences */
  jobsIn: number;
  jobsOut: number;
}

function sampleOf(at: number, s: QueueStats): Sample {
  return {
    at,
    ready: s.len,
    inFlight: s.inFlight ?? 0,
    delayed: s.delayed ?? 0,
    backingOff: s.backingOff,
    dead: s.deadLetters,
    jobsIn: s.jobsIn,
    jobsOut: s.jobsOut,
  };
}

export class QueueSampler {
  private readonly rings = new Map<string, Sample[]>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;

  constructor(
    private readonly broker: Broker,
    private readonly now: () => number,
  ) {}

  start(): void {
    this.timer ??= setInterval(() => void this.sample(), SAMPLE_INTERVAL_MS);
    this.timer.unref();
    void this.sample();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One tick: a sample of every sampled queue (one at a time; a tick still running is not doubled). */
  sample(): Promise<void> {
    this.running ??= this.collect().finally(() => (this.running = undefined));
    return this.running;
  }

  private async collect(): Promise<void> {
    try {
      const page = await this.broker.qscan(0, { count: MAX_SCAN_COUNT, busyloop: false });
      const names = page.items.sort().slice(0, MAX_SAMPLED_QUEUES);
      const at = this.now();
      const seen = new Set<string>();
      for (const name of names) {
        const stats = await this.broker.qstat(name);
        if (!stats) continue;
        seen.add(name);
        let ring = this.rings.get(name);
        if (!ring) this.rings.set(name, (ring = []));
        ring.push(sampleOf(at, stats));
        if (ring.length > SAMPLES_KEPT) ring.shift();
      }
      for (const name of this.rings.keys()) if (!seen.has(name)) this.rings.delete(name);
    } catch {
      // the store did not answer (Redis down): the next tick tries again
    }
  }

  samples(queue: string): Sample[] {
    return this.rings.get(queue) ?? [];
  }

  /** every sampled queue's samples */
  all(): Record<string, Sample[]> {
    return Object.fromEntries(this.rings);
  }
}
