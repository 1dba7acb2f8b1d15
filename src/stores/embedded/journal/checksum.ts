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
