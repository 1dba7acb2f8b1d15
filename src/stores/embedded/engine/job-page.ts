/** A page holds this many slots: 4,096 (about 400 KB with the ids). */
export const PAGE_BITS = 12;
export const PAGE_SLOTS = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SLOTS - 1;

/**
 * One page of the job table's columns (job-table.ts): every field of 4,096
 * jobs, one typed array per field. The table grows a page at a time, so
 * growing never copies a column (a million jobs would otherwise copy
 * 100 MB in one command, and leave the old copy for the collector).
 */
export class JobPage {
  readonly kind = new Uint8Array(PAGE_SLOTS);
  readonly seq = new Float64Array(PAGE_SLOTS);
  /** position in the queue's ready list: creation order unless placed otherwise */
  readonly rank = new Float64Array(PAGE_SLOTS);
  readonly createdAt = new Float64Array(PAGE_SLOTS);
  /** 0: not set */
  readonly awakeAt = new Float64Array(PAGE_SLOTS);
  /** 0: not set */
  readonly requeueAt = new Float64Array(PAGE_SLOTS);
  /** Infinity: no timer-heap entry */
  readonly scheduledAt = new Float64Array(PAGE_SLOTS);
  readonly ttl = new Uint32Array(PAGE_SLOTS);
  readonly retry = new Uint32Array(PAGE_SLOTS);
  readonly delay = new Uint32Array(PAGE_SLOTS);
  readonly repl = new Uint16Array(PAGE_SLOTS);
  readonly flags = new Uint8Array(PAGE_SLOTS);
  readonly nacks = new Uint32Array(PAGE_SLOTS);
  readonly additionalDeliveries = new Uint32Array(PAGE_SLOTS);
  readonly priority = new Uint32Array(PAGE_SLOTS);
  readonly round = new Uint32Array(PAGE_SLOTS);
  /** the queue's name, by its number in the table's InternedNames */
  readonly queueNumber = new Uint32Array(PAGE_SLOTS);
  /** small bodies as latin1 strings, large ones as Buffers (job.ts SMALL_BODY_BYTES) */
  readonly bodies: (string | Buffer | undefined)[] = [];
}
