import type { QueueConn, Running } from "./systems.js";
import { mixed, type Outcome } from "./workloads.js";

/**
 * (g) what docket's scheduling options cost (docs/scheduling.md): workload
 * (c) again, with every add carrying one option, next to plain (c) on the
 * same server build in the same run. Target: each variant ≥ 0.85× plain (c).
 */

export interface SchedulingVariant {
  /** the row's label */
  name: string;
  /** ADDJOB options for the next add; one call per add, over every producer */
  options(): () => string[];
}

/** groups the group variant spreads its adds over, round-robin */
export const BENCH_GROUPS = 1000;

export const SCHEDULING_VARIANTS: SchedulingVariant[] = [
  {
    name: "priorities 0..9",
    options: () => () => ["PRIORITY", String(Math.floor(Math.random() * 10))],
  },
  {
    name: "an idempotency key per add",
    options: () => {
      let n = 0;
      return () => ["KEY", `k${n++}`];
    },
  },
  {
    name: `${BENCH_GROUPS} groups round-robin`,
    options: () => {
      let n = 0;
      return () => ["GROUP", `g${n++ % BENCH_GROUPS}`];
    },
  },
];

/** The same system whose adds carry the variant's options (docket only: its QueueConn has addWith). */
function withOptions(sys: Running, next: () => string[]): Running {
  return {
    ...sys,
    connect: async (): Promise<QueueConn> => {
      const conn = await sys.connect();
      const addWith = conn.addWith;
      if (addWith === undefined) throw new Error("this system takes no ADDJOB options");
      return { ...conn, add: (body, cb) => addWith(body, next(), cb) };
    },
  };
}

/** (c) with the variant's option on every add. */
export function mixedWith(
  sys: Running,
  variant: SchedulingVariant,
  n: number,
  producers: number,
  consumers: number,
): Promise<Outcome> {
  return mixed(withOptions(sys, variant.options()), n, producers, consumers);
}
