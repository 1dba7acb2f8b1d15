import { randomBytes } from "node:crypto";

/** A source of random bytes, injectable so that tests can be deterministic. */
export type RandomSource = (size: number) => Buffer;

const POOL_IDS = 1024;
/** `D-<node8>-<24 random>-<ttl4>` */
export const ID_LENGTH = 40;
/** 18 bytes = 24 base64 characters, at 11..34 of an id */
export const RANDOM_BYTES_PER_ID = 18;

export const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const BASE64 = Buffer.from(BASE64_ALPHABET, "latin1");

/**
 * Writes an id's random part: the 18 bytes at `from` in `bytes` as 24
 * base64 characters at 11..34 of `id` (concatenating parts would give a
 * tree of cons strings, about 230 bytes per id, kept for the job's life).
 */
export function writeRandomPart(bytes: Uint8Array, from: number, id: Buffer): void {
  for (let at = from, to = 11; to < 35; at += 3, to += 4) {
    const bits = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
    id[to] = BASE64[bits >>> 18]!;
    id[to + 1] = BASE64[(bits >>> 12) & 63]!;
    id[to + 2] = BASE64[(bits >>> 6) & 63]!;
    id[to + 3] = BASE64[bits & 63]!;
  }
}

/**
 * Draws the random part of job ids from a pooled buffer: one syscall per
 * 1024 ids. Every ADDJOB mints one, so the id is assembled byte by byte in a
 * scratch buffer that already holds `D-<node8>-` (base64 by table, the TTL
 * suffix cached) and read out once as a flat latin1 string.
 */
export class IdGenerator {
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** where the last id's 18 random bytes are in `lastPool`: a store keeps them without decoding the id */
  lastPool: Buffer = this.pool;
  lastOffset = 0;
  /** the last id's TTL suffix, as the number its four hex digits spell */
  lastSuffix = -1;
  private readonly scratch = Buffer.alloc(ID_LENGTH);
  private suffixTtl = -1;
  private suffixRetry = -1;

  constructor(
    /** the node id's first 8 hex characters */
    readonly nodePrefix: string,
    private readonly random: RandomSource = randomBytes,
  ) {
    this.scratch.write(`D-${nodePrefix}-`, 0, "latin1");
    this.scratch[35] = 0x2d; // -
  }

  /**
   * `D-<node8>-<24 random>-<ttl4>`: the last four hex digits carry the TTL in
   * minutes, the low bit set when the job will be retried (RETRY > 0), so a
   * client can read both from the id alone.
   */
  next(ttlSeconds: number, retrySeconds: number): string {
    if (this.offset + RANDOM_BYTES_PER_ID > this.pool.length) {
      this.pool = this.random(RANDOM_BYTES_PER_ID * POOL_IDS);
      this.offset = 0;
    }
    const scratch = this.scratch;
    const pool = this.pool;
    writeRandomPart(pool, this.offset, scratch);
    this.lastPool = pool;
    this.lastOffset = this.offset;
    this.offset += RANDOM_BYTES_PER_ID;
    if (ttlSeconds !== this.suffixTtl || retrySeconds !== this.suffixRetry) {
      this.lastSuffix = suffixValue(ttlSeconds, retrySeconds);
      scratch.write(suffixText(this.lastSuffix), 36, "latin1");
      this.suffixTtl = ttlSeconds;
      this.suffixRetry = retrySeconds;
    }
    return scratch.toString("latin1", 0, ID_LENGTH);
  }
}

export function ttlSuffix(ttlSeconds: number, retrySeconds: number): string {
  return suffixText(suffixValue(ttlSeconds, retrySeconds));
}

/** The TTL suffix as a number: minutes, the low bit the retry flag. */
function suffixValue(ttlSeconds: number, retrySeconds: number): number {
  const minutes = Math.min(65535, Math.floor(ttlSeconds / 60));
  return retrySeconds > 0 ? minutes | 1 : minutes & 0xfffe;
}

function suffixText(suffix: number): string {
  return suffix.toString(16).padStart(4, "0");
}

/** A fresh 40-hex-character node id. */
export function newNodeId(random: RandomSource = randomBytes): string {
  return random(20).toString("hex");
}
