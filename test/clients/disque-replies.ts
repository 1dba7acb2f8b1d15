import assert from "node:assert/strict";

/** What Disque 1.0-rc1 answers, as both npm clients see it. */

/** D-<node id's first 8 hex>-<24 chars>-<4 hex>, e.g. D-9b67199f-9O5cXPzCAsmZGZdo6Hd3N7Y0-0079 */
export const JOB_ID = /^D-[0-9a-f]{8}-[A-Za-z0-9+/]{24}-[0-9a-f]{4}$/;
export const NODE_ID = /^[0-9a-f]{40}$/;
/** A job id of the right form that no server knows. */
export const UNKNOWN_ID = "D-00000000-000000000000000000000000-0000";

/** SHOW's fields, in Disque's order. */
export const SHOW_FIELDS = [
  "id",
  "queue",
  "state",
  "repl",
  "ttl",
  "ctime",
  "delay",
  "retry",
  "nacks",
  "additional-deliveries",
  "nodes-delivered",
  "nodes-confirmed",
  "next-requeue-within",
  "next-awake-within",
  "body",
];

/**
 * Disque's ctime: the creation time in ms times 10^6 (a JavaScript number
 * loses the low digits). Disque reads a clock it caches for up to a second.
 */
export function assertCtime(ctime: unknown, before: number): void {
  assert.equal(typeof ctime, "number");
  const ms = (ctime as number) / 1e6;
  assert.ok(ms >= before - 1000 && ms <= Date.now() + 2, `ctime ${String(ctime)}`);
}

/** A timer in ms about `ms` from now: Disque counts from the clock it caches, so it can be a little over. */
export function assertAbout(value: unknown, ms: number): void {
  assert.equal(typeof value, "number");
  assert.ok(Math.abs((value as number) - ms) < 1000, `${String(value)} is not about ${ms}`);
}

/**
 * A field in whole seconds counted from the add (SHOW's ttl counts down, QSTAT's age and idle
 * up): a second can turn between the add and the read, and more often on a loaded machine,
 * where Disque's cached clock jumps a whole second at once. `expected` when `value` is it or
 * one second further along `step`, else `value` itself, so that an assertion still shows it.
 */
export function withinATick(value: unknown, expected: number, step: 1 | -1): unknown {
  return value === expected + step ? expected : value;
}

/**
 * SHOW of a job just added (body "body", REPLICATE 1) and still queued, without its ctime and
 * its two "within" fields: every other field is Disque's, the ttl within a tick (withinATick).
 */
export function assertQueuedShow(
  rest: Record<string, unknown>,
  job: { id: string; queue: string; ttl: number; retry: number; nodeId: string },
): void {
  assert.deepEqual(
    { ...rest, ttl: withinATick(rest.ttl, job.ttl, -1) },
    {
      id: job.id,
      queue: job.queue,
      state: "queued",
      repl: 1,
      ttl: job.ttl,
      delay: 0,
      retry: job.retry,
      nacks: 0,
      "additional-deliveries": 0,
      "nodes-delivered": [job.nodeId],
      "nodes-confirmed": [],
      body: "body",
    },
  );
}
