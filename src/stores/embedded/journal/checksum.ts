import * as zlib from "node:zlib";

/**
 * CRC-32 (IEEE, as zlib and gzip compute it). Node 20.15+ has it natively
 * as `zlib.crc32`; older Node 20 releases get a table-driven version.
 * `value` continues a previous checksum, so data can be checked in parts.
 */
export type Crc32 = (data: Uint8Array, value?: number) => number;

const TABLE = (() => {
  const table = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  return table;
})();

/** Slicing-by-8 tables: TABLES[k][n] is n's CRC advanced by k more zero bytes. */
const [T0, T1, T2, T3, T4, T5, T6, T7] = (() => {
  const tables = [TABLE];
  for (let k = 1; k < 8; k++) tables.push(new Int32Array(256));
  for (let n = 0; n < 256; n++) {
    for (let k = 1; k < 8; k++)
      tables[k]![n] = (tables[k - 1]![n]! >>> 8) ^ TABLE[tables[k - 1]![n]! & 0xff]!;
  }
  return tables as [
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
    Int32Array,
  ];
})();

/** Records up to this size are checked in JS: for them a native call (plus the view it needs) costs more. */
const JS_RANGE_BYTES = 512;

/**
 * The CRC-32 of `data[from, to)`, continuing `value`. The journal's records
 * are mostly small: recovery checks a million of them, and a view
 * (`subarray`) plus a native call per record cost ~2.5x what four bytes at a
 * time in JS do (eight bytes a step: slicing-by-8). Large ranges go to zlib.
 */
export function crc32Range(data: Uint8Array, from: number, to: number, value = 0): number {
  if (to - from > JS_RANGE_BYTES) return crc32(data.subarray(from, to), value);
  let crc = ~value;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    crc ^= data[i]! | (data[i + 1]! << 8) | (data[i + 2]! << 16) | (data[i + 3]! << 24);
    crc =
      T7[crc & 0xff]! ^
      T6[(crc >>> 8) & 0xff]! ^
      T5[(crc >>> 16) & 0xff]! ^
      T4[crc >>> 24]! ^
      T3[data[i + 4]!]! ^
      T2[data[i + 5]!]! ^
      T1[data[i + 6]!]! ^
      T0[data[i + 7]!]!;
  }
  for (; i < to; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

/** The portable version; also the reference the tests compare the native one with. */
export function crc32Table(data: Uint8Array, value = 0): number {
  let crc = ~value;
  for (let i = 0; i < data.length; i++) crc = TABLE[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8);
  return ~crc >>> 0;
}

const native = (zlib as { crc32?: Crc32 }).crc32;

/**
 * zlib.crc32 answers 0 for an empty buffer without memory behind it (a NULL
 * pointer to zlib) whatever the starting value: an empty part must keep the
 * running checksum.
 */
export const crc32: Crc32 = native
  ? (data, value = 0) => (data.length === 0 ? value >>> 0 : native(data, value))
  : crc32Table;
