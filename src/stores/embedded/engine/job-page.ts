import { PageBodies } from "./body-arena.js";

/** A page holds this many slots: 4,096 (about 400 KB with the ids). */
export const PAGE_BITS = 12;
export const PAGE_SLOTS = 1 << PAGE_BITS;
export const PAGE_MASK = PAGE_SLOTS - 1;

/** bytes per slot over every column below: six of 8 bytes, ten of 4, one of 2, two of 1 */
const SLOT_BYTES = 6 * 8 + 10 * 4 + 2 + 2 * 1;

/**
 * One page of the job table's columns (job-table.ts): every field of 4,096
 * jobs, one typed array per field. The table grows a page at a time, so
 * growing never copies a column (a million jobs would otherwise copy
 * 100 MB in one command, and leave the old copy for the collector).
 *
 * The columns are views of one buffer per page, widest first so each is
 * aligned: one allocation instead of seventeen. Allocating each column on
 * its own cost about 1 ms a page (60 µs a typed array), 0.23 s of a
 * million-job recovery (docs/performance.md, "Bodies").
 */
export class JobPage {
  readonly seq: Float64Array;
  /** position in the queue's ready list: creation order unless placed otherwise */
  readonly rank: Float64Array;
  readonly createdAt: Float64Array;
  /** 0: not set */
  readonly awakeAt: Float64Array;
  /** 0: not set */
  readonly requeueAt: Float64Array;
  /** Infinity: no timer-heap entry */
  readonly scheduledAt: Float64Array;
  readonly ttl: Uint32Array;
  readonly retry: Uint32Array;
  readonly delay: Uint32Array;
  readonly nacks: Uint32Array;
  readonly additionalDeliveries: Uint32Array;
  readonly priority: Uint32Array;
  readonly round: Uint32Array;
  /** the queue's name, by its number in the table's InternedNames */
  readonly queueNumber: Uint32Array;
  readonly repl: Uint16Array;
  readonly kind: Uint8Array;
  readonly flags: Uint8Array;
  /** the bodies: small ones packed in the page's arena, by these two columns (body-arena.ts) */
  readonly bodies: PageBodies;

  constructor() {
    const buffer = new ArrayBuffer(PAGE_SLOTS * SLOT_BYTES);
    let offset = 0;
    const column = <T>(
      make: new (buffer: ArrayBuffer, offset: number, length: number) => T,
      width: number,
    ): T => {
      const view = new make(buffer, offset, PAGE_SLOTS);
      offset += PAGE_SLOTS * width;
      return view;
    };
    this.seq = column(Float64Array, 8);
    this.rank = column(Float64Array, 8);
    this.createdAt = column(Float64Array, 8);
    this.awakeAt = column(Float64Array, 8);
    this.requeueAt = column(Float64Array, 8);
    this.scheduledAt = column(Float64Array, 8);
    this.ttl = column(Uint32Array, 4);
    this.retry = column(Uint32Array, 4);
    this.delay = column(Uint32Array, 4);
    this.nacks = column(Uint32Array, 4);
    this.additionalDeliveries = column(Uint32Array, 4);
    this.priority = column(Uint32Array, 4);
    this.round = column(Uint32Array, 4);
    this.queueNumber = column(Uint32Array, 4);
    this.bodies = new PageBodies(column(Uint32Array, 4), column(Uint32Array, 4));
    this.repl = column(Uint16Array, 2);
    this.kind = column(Uint8Array, 1);
    this.flags = column(Uint8Array, 1);
    if (offset !== buffer.byteLength) throw new Error("JobPage: SLOT_BYTES does not match its columns");
  }
}
