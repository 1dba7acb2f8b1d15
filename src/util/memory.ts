import { readFileSync } from "node:fs";
import { totalmem } from "node:os";
import { getHeapStatistics } from "node:v8";

/**
 * The server-wide memory bound (--maxmemory, Redis's and Disque's name): what
 * the server holds is counted as job data (the store says how much) plus
 * every client's buffered input and unsent output (each door reports its
 * clients here). Above the bound, commands that add data are refused with
 * OOM_MESSAGE; and when the clients' buffers alone grow past what the jobs
 * leave free, the client holding the most is disconnected (Redis 7's client
 * eviction). See docs/resp.md, "Memory bound".
 */

/** Disque's refusal, after `-OOM ` on RESP. */
export const OOM_MESSAGE = "command not allowed when used memory > 'maxmemory'.";

/**
 * Client buffers may always use at least this share of the bound, so that
 * a store filled to the bound can still be drained by GETJOB and ACKJOB
 * (whose replies are counted while they wait for the kernel).
 */
const CLIENT_FLOOR_SHARE = 0.5;

/** One client's buffers, as it last reported them. */
export class ClientAccount {
  /** input not yet parsed into commands plus output not yet taken by the kernel */
  bytes = 0;
  open = true;

  /** `evict` disconnects the client: called at most once, when the bound needs its memory */
  constructor(readonly evict: () => void) {}
}

export class MemoryBudget {
  /** clients disconnected to keep under the bound (INFO evicted_clients) */
  evictedClients = 0;
  private clientTotal = 0;
  private peak = 0;
  private readonly accounts = new Set<ClientAccount>();

  constructor(
    /** bytes; 0 = no bound */
    public maxBytes: number,
    /** the store's job data in bytes (0 when the jobs live elsewhere, as with --redis) */
    private readonly dataBytes: () => number,
  ) {}

  /** A new client's account; close it when the client goes. */
  open(evict: () => void): ClientAccount {
    const account = new ClientAccount(evict);
    this.accounts.add(account);
    return account;
  }

  close(account: ClientAccount): void {
    if (!account.open) return;
    account.open = false;
    this.clientTotal -= account.bytes;
    account.bytes = 0;
    this.accounts.delete(account);
  }

  /** A client's buffers now hold `bytes`: O(1) unless the clients must shed memory. */
  report(account: ClientAccount, bytes: number): void {
    if (!account.open) return;
    const grew = bytes > account.bytes;
    this.clientTotal += bytes - account.bytes;
    account.bytes = bytes;
    if (grew && this.maxBytes > 0 && this.clientTotal > this.clientLimit()) this.evictClients();
  }

  /** Bytes counted now: job data plus client buffers (INFO used_memory). */
  used(): number {
    const used = this.dataBytes() + this.clientTotal;
    if (used > this.peak) this.peak = used;
    return used;
  }

  /** the most used() has answered (INFO used_memory_peak) */
  get peakBytes(): number {
    return this.peak;
  }

  clientBytes(): number {
    return this.clientTotal;
  }

  /** True when commands that add data must be refused. */
  full(): boolean {
    return this.maxBytes > 0 && this.used() > this.maxBytes;
  }

  /** What the clients may hold together: what job data leaves free, but never less than the floor. */
  private clientLimit(): number {
    return Math.max(this.maxBytes - this.dataBytes(), this.maxBytes * CLIENT_FLOOR_SHARE);
  }

  /**
   * Disconnects the clients holding the most, biggest first, until the rest
   * fit. O(clients) per eviction, which only happens over the bound.
   */
  private evictClients(): void {
    const limit = this.clientLimit();
    while (this.clientTotal > limit) {
      let biggest: ClientAccount | undefined;
      for (const account of this.accounts) if (!biggest || account.bytes > biggest.bytes) biggest = account;
      if (!biggest || biggest.bytes === 0) return;
      this.evictedClients++;
      biggest.evict();
      this.close(biggest);
    }
  }
}

/** The cgroup (container) memory limit in bytes, or Infinity when there is none. */
function cgroupLimit(): number {
  for (const file of ["/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"]) {
    try {
      const n = Number(readFileSync(file, "utf8").trim());
      if (Number.isFinite(n) && n > 0) return n;
    } catch {
      // not this cgroup version, or not Linux
    }
  }
  return Infinity;
}

/**
 * The default --maxmemory: half of the machine's memory (or of the
 * container's limit when lower), and no more than three quarters of V8's
 * heap limit, since small job bodies and every job's bookkeeping live on the
 * heap (node's --max-old-space-size raises that limit).
 */
export function defaultMaxMemory(): number {
  const memory = Math.min(totalmem(), cgroupLimit());
  const heap = getHeapStatistics().heap_size_limit;
  return Math.floor(Math.min(memory / 2, heap * 0.75));
}

/** Redis's bytesToHuman: 1.50M, 512B… */
export function humanBytes(n: number): string {
  const units: Array<[number, string]> = [
    [1024 ** 4, "T"],
    [1024 ** 3, "G"],
    [1024 ** 2, "M"],
    [1024, "K"],
  ];
  for (const [size, unit] of units) if (n >= size) return `${(n / size).toFixed(2)}${unit}`;
  return `${n}B`;
}

const UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1000,
  kb: 1024,
  m: 1000 ** 2,
  mb: 1024 ** 2,
  g: 1000 ** 3,
  gb: 1024 ** 3,
};

/** Redis's memtoull: `100`, `100mb`, `1gb`, `2k` (k = 1000, kb = 1024); NaN when not such a size. */
export function parseBytes(text: string): number {
  const match = /^([0-9]{1,16})([a-z]{0,2})$/i.exec(text);
  const unit = match ? UNITS[match[2]!.toLowerCase()] : undefined;
  if (!match || unit === undefined) return NaN;
  const n = Number(match[1]) * unit;
  return Number.isSafeInteger(n) ? n : NaN;
}
