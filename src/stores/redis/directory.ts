import type { Redis } from "ioredis";
import type { Client } from "./connection.js";
import { idTag, type Keys } from "./keys.js";
import { decodeLookup } from "./replies.js";
import { Script } from "./script.js";
import { scriptSource } from "./scripts.js";

const CACHE_MAX = 100_000;

/**
 * Which queue a job belongs to, from its id alone (ACKJOB, SHOW, WORKING …)
 * or its sequence number: the id carries its queue's hash tag, and each tag
 * has an id -> queue and a seq -> id hash. A job never changes queue, so the
 * answers for ids this server has seen are cached; a stale entry only names
 * the queue of a job that is gone, which the queue's script then finds out.
 */
export class JobDirectory {
  private readonly cache = new Map<string, string>();
  private readonly lookup = new Script(scriptSource("lookup"));

  constructor(
    private readonly client: Client,
    private readonly keys: Keys,
  ) {}

  load(node: Redis): Promise<void> {
    return this.lookup.load(node);
  }

  remember(id: string, queue: string): void {
    if (this.cache.size >= CACHE_MAX) this.cache.clear();
    this.cache.set(id, queue);
  }

  forget(id: string): void {
    this.cache.delete(id);
  }

  clear(): void {
    this.cache.clear();
  }

  /** The queue of each id (undefined: unknown job), from the cache or the per-tag index. */
  async queuesOf(ids: string[]): Promise<Array<string | undefined>> {
    const out: Array<string | undefined> = ids.map((id) => this.cache.get(id));
    const byTag = new Map<string, number[]>();
    ids.forEach((id, i) => {
      if (out[i] !== undefined) return;
      const tag = idTag(id);
      if (tag === undefined) return;
      const at = byTag.get(tag);
      if (at) at.push(i);
      else byTag.set(tag, [i]);
    });
    // every id known here (an ACKJOB after this server's GETJOB): no lookups to wait for
    if (byTag.size === 0) return out;
    await Promise.all(
      [...byTag].map(async ([tag, at]) => {
        const args = ["id", ...at.map((i) => ids[i]!)];
        const found = decodeLookup(await this.lookup.run(this.client, this.keys.index(tag), args));
        at.forEach((i, k) => {
          const pair = found[k];
          if (pair) out[i] = pair.queue;
        });
      }),
    );
    return out;
  }

  /** ids grouped by queue, in first-seen order; unknown ids dropped */
  async groupByQueue(ids: string[]): Promise<Map<string, string[]>> {
    const queues = await this.queuesOf(ids);
    const groups = new Map<string, string[]>();
    ids.forEach((id, i) => {
      const queue = queues[i];
      if (queue === undefined) return;
      const group = groups.get(queue);
      if (group) group.push(id);
      else groups.set(queue, [id]);
    });
    return groups;
  }

  /** The id of the job with this sequence number, asking each of these tags' indexes. */
  async idOfSeq(seq: number, tags: Iterable<string>): Promise<string | undefined> {
    const found = await Promise.all(
      [...tags].map(async (tag) => {
        const [pair] = decodeLookup(await this.lookup.run(this.client, this.keys.index(tag), ["seq", seq]));
        return pair?.id;
      }),
    );
    return found.find((id) => id !== undefined);
  }
}
