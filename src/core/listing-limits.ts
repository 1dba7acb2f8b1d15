/**
 * What one listing request may cost, on every door and both stores, however
 * large the count it asks for: a scan's cursor carries the rest (as Redis's
 * SCAN); a peek or a dead-letter listing shows the first ones only. Each cap
 * keeps the reply's encoding (one synchronous step) around 25 ms or less.
 */

/** JSCAN/QSCAN: elements visited per call (COUNT above it counts as it; BUSYLOOP walks in slices of it) */
export const MAX_SCAN_COUNT = 1000;

/** JSCAN/QSCAN BUSYLOOP stops with a cursor once it holds this many job ids or queue names */
export const MAX_BUSYLOOP_NAMES = 50_000;

/** JSCAN BUSYLOOP REPLY all stops with a cursor once it holds this many jobs (their SHOW replies) */
export const MAX_BUSYLOOP_JOBS = 5000;

/** QPEEK and DEADLETTERS (both stores): jobs per reply */
export const MAX_LISTING_COUNT = 10_000;

/** HTTP peek, emq peek and dead letters: jobs per reply (JSON costs more per job than RESP) */
export const MAX_HTTP_LISTING_COUNT = 1000;

/** A requested count within [1, max]. */
export function clampCount(count: number, max: number): number {
  return Math.max(1, Math.min(count, max));
}

/** How many elements one scan call visits: BUSYLOOP asks for a whole slice. */
export function scanBudget(opts: { count: number; busyloop: boolean }): number {
  return opts.busyloop ? MAX_SCAN_COUNT : clampCount(opts.count, MAX_SCAN_COUNT);
}
