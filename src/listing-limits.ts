/**
 * What one listing request may cost, on every door and both stores, however
 * large the count it asks for: a scan's cursor carries the rest (as Redis's
 * SCAN); a peek or a dead-letter listing shows the first ones only.
 */

/** JSCAN/QSCAN: elements visited per call (COUNT above it counts as it; BUSYLOOP walks in slices of it) */
export const MAX_SCAN_COUNT = 1000;

/** JSCAN/QSCAN BUSYLOOP: it stops with a cursor once it holds this many elements (5000 SHOW replies encode in ~25 ms) */
export const MAX_BUSYLOOP_ITEMS = 5000;

/** QPEEK, HTTP peek, emq peek, DEADLETTERS and HTTP dead letters: jobs per reply */
export const MAX_LISTING_COUNT = 1000;

/** A requested count within [1, max]. */
export function clampCount(count: number, max: number): number {
  return Math.max(1, Math.min(count, max));
}

/** How many elements one scan call visits: BUSYLOOP asks for a whole slice. */
export function scanBudget(opts: { count: number; busyloop: boolean }): number {
  return opts.busyloop ? MAX_SCAN_COUNT : clampCount(opts.count, MAX_SCAN_COUNT);
}
