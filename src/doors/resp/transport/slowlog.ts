/**
 * SLOWLOG: the commands whose handler ran longer than
 * `slowlog-log-slower-than` microseconds (negative: none; 0: all), newest
 * first, at most `slowlog-max-len` of them, as Disque keeps them. Only the
 * synchronous part of a handler is timed: a command that waits (a blocked
 * GETJOB, a Redis-store round trip) is not busy while it waits.
 */

/** Disque's bounds on what an entry keeps of a command */
const MAX_ARGS = 32;
const MAX_ARG_BYTES = 128;

export interface SlowLogEntry {
  id: number;
  /** unix seconds */
  at: number;
  micros: number;
  args: Buffer[];
}

export class SlowLog {
  slowerThanMicros = 10_000;
  maxLen = 128;
  private entries: SlowLogEntry[] = [];
  private nextId = 0;

  /** whether a command that ran this long is logged */
  logs(micros: number): boolean {
    return this.slowerThanMicros >= 0 && micros >= this.slowerThanMicros;
  }

  /** `args` as they may be shown (secrets already redacted) */
  add(args: Buffer[], micros: number): void {
    if (this.maxLen <= 0) return;
    this.entries.unshift({ id: this.nextId++, at: Math.floor(Date.now() / 1000), micros, args: kept(args) });
    if (this.entries.length > this.maxLen) this.entries.length = this.maxLen;
  }

  /** the newest `count` entries (all of them for a negative count) */
  newest(count: number): SlowLogEntry[] {
    return count < 0 ? this.entries.slice() : this.entries.slice(0, count);
  }

  get length(): number {
    return this.entries.length;
  }

  reset(): void {
    this.entries = [];
  }

  /** A smaller `slowlog-max-len` drops the oldest entries at once. */
  setMaxLen(maxLen: number): void {
    this.maxLen = maxLen;
    if (this.entries.length > Math.max(0, maxLen)) this.entries.length = Math.max(0, maxLen);
  }
}

/** Copies of at most 32 arguments of at most 128 bytes, the cuts said in place, as Disque does. */
function kept(args: Buffer[]): Buffer[] {
  const shown = args.length > MAX_ARGS ? MAX_ARGS - 1 : args.length;
  const out: Buffer[] = [];
  for (let i = 0; i < shown; i++) {
    const arg = args[i]!;
    out.push(
      arg.length > MAX_ARG_BYTES
        ? Buffer.concat([
            arg.subarray(0, MAX_ARG_BYTES),
            Buffer.from(`... (${arg.length - MAX_ARG_BYTES} more bytes)`),
          ])
        : Buffer.from(arg),
    );
  }
  if (shown < args.length) out.push(Buffer.from(`... (${args.length - shown} more arguments)`));
  return out;
}
