import { type Call, num, text } from "./codec.js";
import type { Explanation, PauseState, QueueCounts } from "./types.js";

/**
 * The operator's calls on queues and jobs: PAUSE, DELJOB, okq's QSTATUS and
 * EXPLAIN. Client (jobs.ts) delegates to these with its connection's call.
 */

const PAUSE_STATES: readonly string[] = ["none", "in", "out", "all"];

/** the queues one QSTATUS may name (the server's MAX_SCAN_COUNT) */
export const MAX_COUNTED_QUEUES = 1000;

/** PAUSE queue op…: the queue's pause state after it. */
export async function pauseQueue(call: Call, queue: string, op: PauseState | "state"): Promise<PauseState> {
  const state = text(await call(false, ["PAUSE", queue, op])) ?? "none";
  if (!PAUSE_STATES.includes(state)) throw new Error(`unexpected PAUSE reply '${state}'`);
  return state as PauseState;
}

/** DELJOB: how many of the ids were known (and are gone now). */
export async function deleteJobs(call: Call, ids: string[]): Promise<number> {
  if (ids.length === 0) return 0;
  return Number(await call(false, ["DELJOB", ...ids]));
}

/** QSTATUS q…: the named queues' counts (an unknown queue counts zeros). */
export async function countQueues(call: Call, names: string[]): Promise<QueueCounts[]> {
  if (names.length === 0) return [];
  if (names.length > MAX_COUNTED_QUEUES)
    throw new RangeError(`at most ${MAX_COUNTED_QUEUES} queues per call`);
  const reply = await call(false, ["QSTATUS", ...names]);
  if (!Array.isArray(reply)) return [];
  return (reply as unknown[][]).map((row) => ({
    name: text(row[0]) ?? "",
    total: num(row[1]) ?? 0,
    processing: num(row[2]) ?? 0,
    consumers: num(row[3]) ?? 0,
  }));
}

/** facts that are lists, not field/value pairs */
const LISTS = new Set(["queues"]);

/** A field/value reply as an object: nested pairs are objects, except the lists; nil is null. */
function objectOf(reply: unknown[]): Record<string, unknown> {
  const object: Record<string, unknown> = {};
  for (let i = 0; i + 1 < reply.length; i += 2) {
    const key = String(reply[i]);
    const value = reply[i + 1];
    if (Array.isArray(value)) object[key] = LISTS.has(key) ? value.map(String) : objectOf(value);
    else object[key] = Buffer.isBuffer(value) ? value.toString("utf8") : (value ?? null);
  }
  return object;
}

/** EXPLAIN id: `[sentence, field, value, …]` (docs/explain.md). */
export async function explainJob(call: Call, id: string): Promise<Explanation> {
  const reply = await call(false, ["EXPLAIN", id]);
  if (!Array.isArray(reply) || reply.length === 0) throw new Error("unexpected EXPLAIN reply");
  return { text: text(reply[0]) ?? "", ...objectOf(reply.slice(1)) } as Explanation;
}
