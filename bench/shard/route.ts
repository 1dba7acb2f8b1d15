/**
 * Which shard owns a command (the shard prototype of bench/shards.ts): a
 * queue's commands go to the shard its name hashes to, and a job's to the
 * shard that minted its id, read from the id's node part
 * (`D-<node8>-…`), which each shard sets to its own index.
 */

/** The commands the prototype serves; anything else is answered by the listener with an error. */
export const Op = { Ping: 1, AddJob: 2, GetJob: 3, AckJob: 4 } as const;
export type Op = (typeof Op)[keyof typeof Op];

const NAMES: ReadonlyArray<[string, Op]> = [
  ["ping", Op.Ping],
  ["addjob", Op.AddJob],
  ["getjob", Op.GetJob],
  ["ackjob", Op.AckJob],
];

/** The command named by `name` (any case), or undefined. */
export function opOf(name: Buffer): Op | undefined {
  if (name.length > 6) return undefined;
  const lower = name.toString("latin1").toLowerCase();
  for (const [n, op] of NAMES) if (n === lower) return op;
  return undefined;
}

/** FNV-1a over the queue name's bytes, modulo the shard count. */
export function shardOfQueue(queue: Buffer, shards: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < queue.length; i++) h = Math.imul(h ^ queue[i]!, 0x01000193);
  return (h >>> 0) % shards;
}

/** A shard's 40-hex node id: its index in the first 8 hex digits, the rest random. */
export function shardNodeId(index: number, random: string): string {
  return index.toString(16).padStart(8, "0") + random.slice(8, 40);
}

const NODE_PART = /^D-([0-9a-f]{8})-/;

/** The shard that minted job id `id`; 0 for an id no shard minted (that shard then answers as Disque would). */
export function shardOfId(id: Buffer, shards: number): number {
  const m = NODE_PART.exec(id.toString("latin1", 0, 11));
  const index = m ? parseInt(m[1]!, 16) : 0;
  return index < shards ? index : 0;
}

/**
 * The shard a routed command goes to: ADDJOB by its queue, GETJOB by the
 * last queue named (the prototype serves a single FROM queue), ACKJOB by its
 * first id (ids minted by one shard, as the bench sends them).
 */
export function shardOf(op: Op, args: Buffer[], shards: number): number {
  if (shards === 1 || args.length < 2) return 0;
  if (op === Op.AddJob) return shardOfQueue(args[1]!, shards);
  if (op === Op.GetJob) return shardOfQueue(args[args.length - 1]!, shards);
  if (op === Op.AckJob) return shardOfId(args[1]!, shards);
  return 0;
}
