import {
  KIND_F64,
  KIND_U32,
  KIND_BYTES,
  F_RANK,
  F_GENERATION,
  F_WALL_TIME,
  F_NEXT_SEQ,
  F_COUNT,
  F_AT,
  F_NACKS,
  F_ADDITIONAL,
  F_REASON,
  F_PAUSE,
  F_FORMAT,
  F_KIND,
  F_RETRIES_LEFT,
  F_MANIFEST,
  F_ID,
  F_QUEUE,
  F_DEAD_ID,
  F_REASON_TEXT,
  F_AWAKE,
  F_RETRIES,
  F_EXPIRES,
  F_ATTEMPT,
  F_IDS,
  F_POLICY,
  F_RESULT,
  F_SCHEDULE_INFO,
  F_KEY,
  F_KEY_EXPIRES,
  F_SEQ,
  RecordFormatError,
} from "./format.js";

/** The non-job fields of a record (decode.ts), and the value readers both share. */

/** Every non-job field, by name; defaults for the absent ones. */
export class Fields {
  id = "";
  queue = "";
  reason = -1;
  nacks = 0;
  additional = 0;
  pause = -1;
  format = 0;
  kind = -1;
  generation = 0;
  wallTime = 0;
  count = 0;
  nextSeq = 0;
  rank = 0;
  retriesLeft = -1;
  reasonText = "";
  at = 0;
  deadId = "";
  manifest = 0;
  retries = -1;
  awake = 0;
  expires = 0;
  attempt = "";
  ids = "";
  policy = "";
  schedule = "";
  result: Buffer = EMPTY;
  key = "";
  keyExpires = 0;
  seq = 0;
}

const EMPTY = Buffer.alloc(0);

export function decodeFields(buf: Buffer, p: number, end: number): Fields {
  const f = new Fields();
  while (p < end) {
    const tag = buf[p++]!;
    switch (tag) {
      case F_ID:
        f.id = text(buf, "latin1", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_QUEUE:
        f.queue = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_REASON:
        f.reason = u32(buf, p, end);
        p += 4;
        break;
      case F_NACKS:
        f.nacks = u32(buf, p, end);
        p += 4;
        break;
      case F_ADDITIONAL:
        f.additional = u32(buf, p, end);
        p += 4;
        break;
      case F_PAUSE:
        f.pause = u32(buf, p, end);
        p += 4;
        break;
      case F_FORMAT:
        f.format = u32(buf, p, end);
        p += 4;
        break;
      case F_KIND:
        f.kind = u32(buf, p, end);
        p += 4;
        break;
      case F_GENERATION:
        f.generation = f64(buf, p, end);
        p += 8;
        break;
      case F_WALL_TIME:
        f.wallTime = f64(buf, p, end);
        p += 8;
        break;
      case F_COUNT:
        f.count = f64(buf, p, end);
        p += 8;
        break;
      case F_NEXT_SEQ:
        f.nextSeq = f64(buf, p, end);
        p += 8;
        break;
      case F_RANK:
        f.rank = f64(buf, p, end);
        p += 8;
        break;
      case F_AT:
        f.at = f64(buf, p, end);
        p += 8;
        break;
      case F_RETRIES_LEFT:
        f.retriesLeft = u32(buf, p, end);
        p += 4;
        break;
      case F_REASON_TEXT:
        f.reasonText = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_DEAD_ID:
        f.deadId = text(buf, "latin1", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_MANIFEST:
        f.manifest = u32(buf, p, end);
        p += 4;
        break;
      case F_RETRIES:
        f.retries = u32(buf, p, end);
        p += 4;
        break;
      case F_AWAKE:
        f.awake = f64(buf, p, end);
        p += 8;
        break;
      case F_EXPIRES:
        f.expires = f64(buf, p, end);
        p += 8;
        break;
      case F_ATTEMPT:
        f.attempt = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_IDS:
        f.ids = text(buf, "latin1", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_POLICY:
        f.policy = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_SCHEDULE_INFO:
        f.schedule = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_KEY:
        f.key = text(buf, "utf8", p, (p = bytesEnd(buf, p, end)));
        break;
      case F_KEY_EXPIRES:
        f.keyExpires = f64(buf, p, end);
        p += 8;
        break;
      case F_SEQ:
        f.seq = f64(buf, p, end);
        p += 8;
        break;
      case F_RESULT: {
        const from = p + 4;
        p = bytesEnd(buf, p, end);
        f.result = Buffer.from(buf.subarray(from, p)); // a copy: the read buffer is reused
        break;
      }
      default:
        p = skipField(buf, tag, p, end);
    }
  }
  return f;
}

export function f64(buf: Buffer, p: number, end: number): number {
  if (p + 8 > end) throw new RecordFormatError("field runs past the record");
  return buf.readDoubleLE(p);
}

export function u32(buf: Buffer, p: number, end: number): number {
  if (p + 4 > end) throw new RecordFormatError("field runs past the record");
  // by hand: readUInt32LE checks its argument again (recovery reads millions of these)
  return (buf[p]! | (buf[p + 1]! << 8) | (buf[p + 2]! << 16) | (buf[p + 3]! << 24)) >>> 0;
}

/** Buffer's own latin1 decoder, which toString("latin1", …) calls after checking its arguments. */
const nativeLatin1 = (Buffer.prototype as unknown as { latin1Slice?: (from: number, to: number) => string })
  .latin1Slice;

/**
 * The latin1 string in `buf[from, to)` (in bounds): the checks of
 * `toString` cost as much as the copy for a 20-byte body, and recovery
 * makes a million of them.
 */
export function latin1(buf: Buffer, from: number, to: number): string {
  return nativeLatin1 ? nativeLatin1.call(buf, from, to) : buf.toString("latin1", from, to);
}

/** The string in the length-prefixed value at `p` (ending at `next`). */
export function text(buf: Buffer, encoding: "latin1" | "utf8", p: number, next: number): string {
  return buf.toString(encoding, p + 4, next);
}

/** End of a length-prefixed value starting at `p`. */
export function bytesEnd(buf: Buffer, p: number, end: number): number {
  const next = p + 4 + u32(buf, p, end);
  if (next > end) throw new RecordFormatError("field runs past the record");
  return next;
}

/** A field this version does not know: skipped by its wire kind. */
export function skipField(buf: Buffer, tag: number, p: number, end: number): number {
  switch (tag >> 5) {
    case KIND_F64:
      if (p + 8 > end) break;
      return p + 8;
    case KIND_U32:
      if (p + 4 > end) break;
      return p + 4;
    case KIND_BYTES:
      return bytesEnd(buf, p, end);
  }
  throw new RecordFormatError(`bad field tag ${tag}`);
}
