import { randomBytes } from "node:crypto";

/** A source of random bytes, injectable so that tests can be deterministic. */
export type RandomSource = (size: number) => Buffer;

const POOL_IDS = 1024;
const RANDOM_BYTES_PER_ID = 18; // 18 bytes = 24 base64 characters
const ID_LENGTH = 40;

/** Draws the random part of job ids from a pooled buffer: one syscall per 1024 ids. */
export class IdGenerator {
  private pool: Buffer = Buffer.alloc(0);
  private offset = 0;
  /** the id is assembled here and read out as one flat string (see next()) */
  private readonly scratch = Buffer.alloc(ID_LENGTH);

  constructor(
    /** the node id's first 8 hex characters */
    private readonly nodePrefix: string,
    private readonly random: RandomSource = randomBytes,
  ) {}

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
    // Concatenating the parts would give a tree of cons strings (about 230
    // bytes per id, kept for the job's life); one latin1 read is a flat 56.
    const scratch = this.scratch;
    scratch.write("D-", 0, "latin1");
    scratch.write(this.nodePrefix, 2, "latin1");
    scratch[10] = 0x2d; // -
    scratch.write(this.pool.toString("base64", this.offset, this.offset + RANDOM_BYTES_PER_ID), 11, "latin1");
    scratch[35] = 0x2d;
    scratch.write(ttlSuffix(ttlSeconds, retrySeconds), 36, "latin1");
    this.offset += RANDOM_BYTES_PER_ID;
    return scratch.toString("latin1", 0, ID_LENGTH);
  }
}

export function ttlSuffix(ttlSeconds: number, retrySeconds: number): string {
  let minutes = Math.min(65535, Math.floor(ttlSeconds / 60));
  minutes = retrySeconds > 0 ? minutes | 1 : minutes & 0xfffe;
  return minutes.toString(16).padStart(4, "0");
}

/** A fresh 40-hex-character node id. */
export function newNodeId(random: RandomSource = randomBytes): string {
  return random(20).toString("hex");
}
