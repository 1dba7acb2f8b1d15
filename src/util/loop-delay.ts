import { monitorEventLoopDelay, type IntervalHistogram } from "node:perf_hooks";

/** How late the event loop ran its timers since the last reading, in ms. */
export interface LoopDelay {
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  samples: number;
}

// One per process (the loop is the process's); started by the first reading, so a server
// nobody measures pays nothing.
let histogram: IntervalHistogram | undefined;

/** The delays since the previous call (DEBUG LOOPDELAY), then starts over. */
export function takeLoopDelay(): LoopDelay {
  if (histogram === undefined) {
    histogram = monitorEventLoopDelay({ resolution: 1 });
    histogram.enable();
  }
  const ms = (ns: number) => Math.round(ns / 1e4) / 100;
  const reading = {
    p50Ms: histogram.count > 0 ? ms(histogram.percentile(50)) : 0,
    p99Ms: histogram.count > 0 ? ms(histogram.percentile(99)) : 0,
    maxMs: histogram.count > 0 ? ms(histogram.max) : 0,
    samples: histogram.count,
  };
  histogram.reset();
  return reading;
}
