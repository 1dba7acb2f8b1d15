/**
 * The job table's ids, 21 bytes a job instead of a 56-byte string: an id
 * `D-<node8>-<24 base64>-<4 hex>` (core/ids.ts) is kept as its 18 random
 * bytes, its 16-bit TTL suffix and the number of its node prefix (one
 * byte; a data directory holds ids of one node, two after a rename). An id
 * of any other shape (a journal written by hand, a node id of odd
 * characters) is kept whole in a side map, so every id round-trips.
 *
 * The random bytes are the id's hash: the server mints them, so a client
 * cannot aim ids at one bucket.
 */
import {
  BASE64_ALPHABET,
  ID_LENGTH,
  RANDOM_BYTES_PER_ID,
  writeRandomPart,
  type IdGenerator,
} from "../../../core/ids.js";
import { PAGE_BITS, PAGE_MASK, PAGE_SLOTS } from "./job-page.js";

/** the random bytes, then the suffix as a little-endian u16 */
const STRIDE = RANDOM_BYTES_PER_ID + 2;
/** node number of an id kept whole */
const WHOLE = 255;

/** char code → its 6 bits, -1 when not a base64 character */
const BASE64_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 64; i++) BASE64_VALUE[BASE64_ALPHABET.charCodeAt(i)] = i;
const HEX_CODES = Buffer.from("0123456789abcdef", "latin1");

function hexValue(code: number): number {
  if (code >= 48 && code <= 57) return code - 48;
  if (code >= 97 && code <= 102) return code - 87;
  return -1;
}

/** FNV-1a of an id kept whole */
function wholeHash(id: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id.charCodeAt(i), 0x01000193);
  return hash;
}

/**
 * Where a stored id's latin1 text is, as bytes: a journal record being
 * replayed (recovery), whose id need not become a string.
 */
export class IdText {
  bytes: Uint8Array = new Uint8Array(0);
  at = 0;
  length = 0;
  private text: string | undefined = undefined;

  /** The id is now `bytes[at, at + length)`. */
  point(bytes: Uint8Array, at: number, length: number): void {
    this.bytes = bytes;
    this.at = at;
    this.length = length;
    this.text = undefined;
  }

  /** The id as a string: made once, when first asked for. */
  toString(): string {
    return (this.text ??= Buffer.from(
      this.bytes.buffer,
      this.bytes.byteOffset + this.at,
      this.length,
    ).toString("latin1"));
  }
}

export class IdColumn {
  /** per page of slots (job-page.ts): STRIDE bytes a slot */
  private readonly bytePages: Buffer[] = [];
  private readonly nodePages: Uint8Array[] = [];
  private readonly prefixes: string[] = [];
  /** the last numbered prefix's bytes, which parseText compares a record's id with (none: not latin1) */
  private lastPrefix: Uint8Array | undefined = undefined;
  private readonly prefixNumbers = new Map<string, number>();
  /** the node prefix of the generator parseMinted saw last, and its number */
  private mintedPrefix: string | undefined = undefined;
  private mintedNode = WHOLE;
  private readonly whole = new Map<number, string>();
  /** the id `parse` read last, in the stored form */
  private readonly probe = Buffer.alloc(STRIDE);
  private probeNode = 0;
  private probeWhole: string | undefined = undefined;
  /** where `read` assembles an id; `D-` and the dashes stay */
  private readonly scratch = Buffer.from("D-00000000-000000000000000000000000-0000", "latin1");
  private scratchNode = -1;

  /** Pages up to `capacity` slots. */
  grow(capacity: number): void {
    while (this.nodePages.length * PAGE_SLOTS < capacity) {
      this.bytePages.push(Buffer.allocUnsafeSlow(PAGE_SLOTS * STRIDE));
      this.nodePages.push(new Uint8Array(PAGE_SLOTS));
    }
  }

  /**
   * Reads `id` into the probe and returns its hash: `forStore` before
   * `store` (a new node prefix is numbered), else for `matches` (a lookup
   * numbers nothing: an id of an unknown prefix can only be kept whole).
   */
  parse(id: string, forStore = false): number {
    this.probeWhole = undefined;
    const node = this.prefixNumber(id, forStore);
    if (node !== WHOLE && this.parseRandom(id) && this.parseSuffix(id)) {
      this.probeNode = node;
      return this.probe.readInt32LE(0);
    }
    this.probeWhole = id;
    this.probeNode = WHOLE;
    return wholeHash(id);
  }

  /**
   * `parse` for the id `minted` has just made (core/ids.ts): its random
   * bytes are copied from the generator's pool and its suffix taken as the
   * number it is, rather than decoded from the id's text, and its node
   * prefix is numbered once per generator (every ADDJOB mints one).
   */
  parseMinted(id: string, minted: IdGenerator): number {
    let node = this.mintedNode;
    if (minted.nodePrefix !== this.mintedPrefix) {
      node = this.prefixNumber(id, true);
      if (node === WHOLE || !this.parseSuffix(id)) return this.parse(id, true);
      // a numbered prefix keeps its number: only the shape was checked, once
      this.mintedPrefix = minted.nodePrefix;
      this.mintedNode = node;
    }
    const probe = this.probe;
    const random = minted.lastPool;
    const offset = minted.lastOffset;
    for (let i = 0; i < RANDOM_BYTES_PER_ID; i++) probe[i] = random[offset + i]!;
    this.probeSuffix(minted.lastSuffix);
    this.probeWhole = undefined;
    this.probeNode = node;
    return probe.readInt32LE(0);
  }

  /**
   * `parse` (for `store`) of a stored id read from its latin1 text (in a
   * journal record), with no string made: recovery reads a
   * million of them. An id not of the usual shape goes through `parse`.
   */
  parseText(text: IdText): number {
    const { bytes, at, length } = text;
    const last = this.prefixes.length - 1;
    if (
      length === ID_LENGTH &&
      last >= 0 &&
      bytes[at] === 68 &&
      bytes[at + 1] === 45 &&
      bytes[at + 10] === 45 &&
      bytes[at + 35] === 45 &&
      this.samePrefixBytes(bytes, at) &&
      this.parseRandomBytes(bytes, at) &&
      this.parseSuffixBytes(bytes, at)
    ) {
      this.probeWhole = undefined;
      this.probeNode = last;
      return this.probe.readInt32LE(0);
    }
    // the first id of a node prefix, or an id kept whole: rare
    return this.parse(text.toString(), true);
  }

  /** The slot takes the id `parse` read last. */
  store(slot: number): void {
    this.nodePages[slot >>> PAGE_BITS]![slot & PAGE_MASK] = this.probeNode;
    if (this.probeWhole !== undefined) {
      this.whole.set(slot, this.probeWhole);
      return;
    }
    // 20 bytes: a loop beats a native copy call
    const bytes = this.bytePages[slot >>> PAGE_BITS]!;
    const probe = this.probe;
    const to = (slot & PAGE_MASK) * STRIDE;
    for (let i = 0; i < STRIDE; i++) bytes[to + i] = probe[i]!;
  }

  /** The slot's id is the one `parse` read last. */
  matches(slot: number): boolean {
    if (this.nodePages[slot >>> PAGE_BITS]![slot & PAGE_MASK] !== this.probeNode) return false;
    if (this.probeWhole !== undefined) return this.whole.get(slot) === this.probeWhole;
    const bytes = this.bytePages[slot >>> PAGE_BITS]!;
    const probe = this.probe;
    const from = (slot & PAGE_MASK) * STRIDE;
    for (let i = 0; i < STRIDE; i++) if (bytes[from + i] !== probe[i]) return false;
    return true;
  }

  hash(slot: number): number {
    const at = slot & PAGE_MASK;
    if (this.nodePages[slot >>> PAGE_BITS]![at] === WHOLE) return wholeHash(this.whole.get(slot)!);
    return this.bytePages[slot >>> PAGE_BITS]!.readInt32LE(at * STRIDE);
  }

  read(slot: number): string {
    const node = this.nodePages[slot >>> PAGE_BITS]![slot & PAGE_MASK]!;
    if (node === WHOLE) return this.whole.get(slot)!;
    const scratch = this.scratch;
    if (node !== this.scratchNode) {
      scratch.write(this.prefixes[node]!, 2, 8, "latin1");
      this.scratchNode = node;
    }
    const bytes = this.bytePages[slot >>> PAGE_BITS]!;
    const from = (slot & PAGE_MASK) * STRIDE;
    writeRandomPart(bytes, from, scratch);
    const suffix = bytes[from + RANDOM_BYTES_PER_ID]! | (bytes[from + RANDOM_BYTES_PER_ID + 1]! << 8);
    scratch[36] = HEX_CODES[suffix >>> 12]!;
    scratch[37] = HEX_CODES[(suffix >>> 8) & 15]!;
    scratch[38] = HEX_CODES[(suffix >>> 4) & 15]!;
    scratch[39] = HEX_CODES[suffix & 15]!;
    return scratch.toString("latin1", 0, ID_LENGTH);
  }

  /** The slot's id goes (an id kept whole leaves the side map). */
  clear(slot: number): void {
    if (this.nodePages[slot >>> PAGE_BITS]![slot & PAGE_MASK] === WHOLE) this.whole.delete(slot);
  }

  /**
   * The number of the id's node prefix; WHOLE when the id is not of the
   * usual shape, when 255 prefixes are numbered, or when a lookup (not
   * `numberNew`) meets an unknown one: a client's made-up ids number nothing.
   */
  private prefixNumber(id: string, numberNew: boolean): number {
    if (
      id.length !== ID_LENGTH ||
      id.charCodeAt(0) !== 68 ||
      id.charCodeAt(1) !== 45 ||
      id.charCodeAt(10) !== 45 ||
      id.charCodeAt(35) !== 45
    ) {
      return WHOLE;
    }
    // most ids are of this node: compare with the last prefix before making a string
    const last = this.prefixes.length - 1;
    if (last >= 0 && this.samePrefix(id, this.prefixes[last]!)) return last;
    const prefix = id.slice(2, 10);
    const known = this.prefixNumbers.get(prefix);
    if (known !== undefined) return known;
    if (!numberNew || this.prefixes.length === WHOLE) return WHOLE;
    this.prefixes.push(prefix);
    // a record's id is latin1: a prefix of wider characters never matches its bytes
    const bytes = Buffer.from(prefix, "latin1");
    this.lastPrefix = bytes.toString("latin1") === prefix ? bytes : undefined;
    this.prefixNumbers.set(prefix, this.prefixes.length - 1);
    return this.prefixes.length - 1;
  }

  private samePrefix(id: string, prefix: string): boolean {
    for (let i = 0; i < 8; i++) if (id.charCodeAt(i + 2) !== prefix.charCodeAt(i)) return false;
    return true;
  }

  private parseRandom(id: string): boolean {
    for (let from = 11, to = 0; from < 35; from += 4, to += 3) {
      const a = id.charCodeAt(from);
      if (!this.probeQuad(to, a, id.charCodeAt(from + 1), id.charCodeAt(from + 2), id.charCodeAt(from + 3))) {
        return false;
      }
    }
    return true;
  }

  private samePrefixBytes(bytes: Uint8Array, at: number): boolean {
    const prefix = this.lastPrefix;
    if (prefix === undefined) return false;
    for (let i = 0; i < 8; i++) if (bytes[at + i + 2] !== prefix[i]) return false;
    return true;
  }

  /** parseRandom, from the id's bytes */
  private parseRandomBytes(bytes: Uint8Array, at: number): boolean {
    for (let from = at + 11, to = 0; from < at + 35; from += 4, to += 3) {
      if (!this.probeQuad(to, bytes[from]!, bytes[from + 1]!, bytes[from + 2]!, bytes[from + 3]!))
        return false;
    }
    return true;
  }

  /** parseSuffix, from the id's bytes */
  private parseSuffixBytes(bytes: Uint8Array, at: number): boolean {
    let suffix = 0;
    for (let i = at + 36; i < at + 40; i++) {
      const digit = hexValue(bytes[i]!);
      if (digit < 0) return false;
      suffix = (suffix << 4) | digit;
    }
    this.probeSuffix(suffix);
    return true;
  }

  /** Four base64 characters' codes into three probe bytes from `to`; false when one is not base64. */
  private probeQuad(to: number, ca: number, cb: number, cc: number, cd: number): boolean {
    const a = base64Value(ca);
    const b = base64Value(cb);
    const c = base64Value(cc);
    const d = base64Value(cd);
    if ((a | b | c | d) < 0) return false;
    const bits = (a << 18) | (b << 12) | (c << 6) | d;
    const probe = this.probe;
    probe[to] = bits >>> 16;
    probe[to + 1] = (bits >>> 8) & 255;
    probe[to + 2] = bits & 255;
    return true;
  }

  private probeSuffix(suffix: number): void {
    this.probe[RANDOM_BYTES_PER_ID] = suffix & 255;
    this.probe[RANDOM_BYTES_PER_ID + 1] = suffix >>> 8;
  }

  private parseSuffix(id: string): boolean {
    let suffix = 0;
    for (let i = 36; i < 40; i++) {
      const digit = hexValue(id.charCodeAt(i));
      if (digit < 0) return false;
      suffix = (suffix << 4) | digit;
    }
    this.probeSuffix(suffix);
    return true;
  }
}

function base64Value(code: number): number {
  return code < 128 ? BASE64_VALUE[code]! : -1;
}
