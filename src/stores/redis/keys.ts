import { createHash } from "node:crypto";

/**
 * Key layout. Every key of a queue shares one Redis Cluster hash tag `{T}`,
 * where T is three base64 characters derived from the queue name; every job
 * id carries its queue's T, so any id leads to the slot of its keys.
 *
 *   <prefix>:{T}:q:<queue>  hash   queue meta: created, touched, pause, counters
 *   <prefix>:{T}:r:<queue>  zset   ready jobs, score = rank (creation order)
 *   <prefix>:{T}:t:<queue>  zset   timers, score = next wake time of each live job
 *   <prefix>:{T}:a:<queue>  zset   live jobs by sequence number (JSCAN)
 *   <prefix>:{T}:j:<queue>  hash   job id -> job record (cmsgpack)
 *   <prefix>:{T}:b:<queue>  hash   job id -> body
 *   <prefix>:{T}:e:<queue>  hash   okq event id -> job id
 *   <prefix>:{T}:d:<queue>  list   dead-lettered job ids, oldest first
 *   <prefix>:{T}:i          hash   job id -> queue name (every queue of tag T)
 *   <prefix>:{T}:s          hash   sequence number -> job id
 *   <prefix>:{T}:n:<queue>  string the queue's highest TaskQ task number (outlives the queue's other keys)
 *   <prefix>:{T}:p:<queue>  hash   the queue's failure policy (QPOLICY): rs, bp, rt, cap (outlives the queue)
 *   <prefix>:{T}:x:<id>     hash   an acked job's result (q, b, c, e), expiring after the result TTL
 *   <prefix>:{T}:o:<queue>  zset   ready jobs with a priority or a group, lexicographic (scripts/includes/lanes.lua;
 *                                  o, z, g are derived by the scripts that need them, not declared)
 *   <prefix>:{T}:z:<queue>  zset   the same by group, and each group's head that may deliver (lanes.lua)
 *   <prefix>:{T}:g:<queue>  hash   group -> ready, in flight, last round, head (lanes.lua)
 *   <prefix>:{T}:k:<n>:<queue>:<key> string an idempotency key (n = the queue name's length):
 *                                   `<id> <seq> <forgotten at>`, PX = its KEYTTL
 *
 * Deployment-wide keys (one slot each, touched by plain commands only):
 *   <prefix>:queues   zset  queue registry, score = serial (QSCAN cursor); hidden queues stay
 *   <prefix>:qserial  string counter for queue serials
 *   <prefix>:timers   zset  queue -> earliest timer (best effort index, swept)
 *   <prefix>:seq      string sequence counter (servers reserve blocks of it)
 *   <prefix>:totals   hash  added/delivered/acked/expired/requeued of queues dropped or flushed
 *   <prefix>:nodes    zset  docket server id -> heartbeat deadline (ms)
 *   <prefix>:node:<id> hash host, port of a docket server
 *
 * Schedules (recurring jobs, schedules.ts), all in the slot of the tag
 * `{schedules}` (no queue tag is that long), touched by their scripts only:
 *   <prefix>:{schedules}:defs   hash  name -> schedule (core/schedule-json.ts)
 *   <prefix>:{schedules}:names  zset  every name, score 0 (SCHEDULE LIST in name order)
 *   <prefix>:{schedules}:due    zset  name -> next run (ms)
 */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const ALPHABET_INDEX = new Map<string, number>([...ALPHABET].map((c, i) => [c, i]));

/** tags are 3 characters of the id alphabet: 2^18 of them */
export const TAG_LENGTH = 3;
export const TAG_COUNT = 1 << 18;

const tagCache = new Map<string, string>();

/** The hash tag of a queue (cached: queue names repeat). */
export function queueTag(queue: string): string {
  let tag = tagCache.get(queue);
  if (tag === undefined) {
    const digest = createHash("sha1").update(queue).digest();
    tag = tagFromIndex(((digest[0]! << 10) | (digest[1]! << 2) | (digest[2]! >> 6)) & (TAG_COUNT - 1));
    if (tagCache.size > 100_000) tagCache.clear();
    tagCache.set(queue, tag);
  }
  return tag;
}

export function tagFromIndex(index: number): string {
  return ALPHABET[(index >> 12) & 63]! + ALPHABET[(index >> 6) & 63]! + ALPHABET[index & 63]!;
}

export function tagIndex(tag: string): number {
  let index = 0;
  for (const c of tag) index = (index << 6) | (ALPHABET_INDEX.get(c) ?? 0);
  return index;
}

/** The tag a job id carries (the first characters of its random part), or undefined. */
export function idTag(id: string): string | undefined {
  const tag = id.slice(11, 11 + TAG_LENGTH);
  for (const c of tag) if (!ALPHABET_INDEX.has(c)) return undefined;
  return tag.length === TAG_LENGTH ? tag : undefined;
}

export class Keys {
  readonly queues: string;
  readonly qserial: string;
  readonly timers: string;
  readonly seq: string;
  readonly nodes: string;
  readonly totals: string;
  /** the wake-up channel: payload is a queue name */
  readonly wakeChannel: string;
  /** WAITJOB channel: payload is `<id> <outcome>` */
  readonly goneChannel: string;

  constructor(readonly prefix: string) {
    this.queues = `${prefix}:queues`;
    this.qserial = `${prefix}:qserial`;
    this.timers = `${prefix}:timers`;
    this.seq = `${prefix}:seq`;
    this.nodes = `${prefix}:nodes`;
    this.totals = `${prefix}:totals`;
    this.wakeChannel = `${prefix}:wake`;
    this.goneChannel = `${prefix}:wake:gone`;
  }

  /** the schedules' keys, in the order their scripts declare them: defs, names, due */
  get schedules(): readonly [string, string, string] {
    const base = `${this.prefix}:{schedules}:`;
    return [`${base}defs`, `${base}names`, `${base}due`];
  }

  node(id: string): string {
    return `${this.prefix}:node:${id}`;
  }

  private readonly queueKeys = new Map<string, readonly string[]>();

  /** the twelve keys every queue script declares, in the order the scripts expect (cached) */
  queue(queue: string): readonly string[] {
    let keys = this.queueKeys.get(queue);
    if (keys === undefined) {
      if (this.queueKeys.size > 10_000) this.queueKeys.clear();
      keys = this.makeQueueKeys(queue);
      this.queueKeys.set(queue, keys);
    }
    return keys;
  }

  private makeQueueKeys(queue: string): string[] {
    const base = `${this.prefix}:{${queueTag(queue)}}:`;
    return [
      `${base}q:${queue}`,
      `${base}r:${queue}`,
      `${base}t:${queue}`,
      `${base}a:${queue}`,
      `${base}j:${queue}`,
      `${base}b:${queue}`,
      `${base}e:${queue}`,
      `${base}d:${queue}`,
      `${base}i`,
      `${base}s`,
      `${base}n:${queue}`,
      `${base}p:${queue}`,
    ];
  }

  /**
   * The queue's scheduling lanes (scripts/includes/lanes.lua): not declared by the scripts, which
   * derive them from the ready key only when a job needs them, so a plain job's calls send the
   * twelve keys they always did; same tag, same slot.
   */
  lanes(queue: string): [string, string, string] {
    const base = `${this.prefix}:{${queueTag(queue)}}:`;
    return [`${base}o:${queue}`, `${base}z:${queue}`, `${base}g:${queue}`];
  }

  /** an idempotency key of the queue (ADDJOB … KEY): in the queue's slot; the queue's length keeps names apart */
  idempotencyKey(queue: string, key: string): string {
    return `${this.prefix}:{${queueTag(queue)}}:k:${queue.length}:${queue}:${key}`;
  }

  /** where an acked job's result is kept (ACKJOB … RESULT): in its queue's slot, found from the id alone */
  result(id: string, tag: string): string {
    return `${this.prefix}:{${tag}}:x:${id}`;
  }

  /** the per-tag index keys: id -> queue, seq -> id */
  index(tag: string): [string, string] {
    const base = `${this.prefix}:{${tag}}:`;
    return [`${base}i`, `${base}s`];
  }
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let j = 0; j < 8; j++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** The Redis Cluster slot of a key (CRC16/XMODEM of its hash tag, mod 16384). */
export function keySlot(key: string): number {
  let hashed = key;
  const open = key.indexOf("{");
  if (open >= 0) {
    const close = key.indexOf("}", open + 1);
    if (close > open + 1) hashed = key.slice(open + 1, close);
  }
  let crc = 0;
  for (const byte of Buffer.from(hashed))
    crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff]!;
  return crc % 16384;
}
