import { type Call, decode, num, pairs, parseAttempts, text } from "./codec.js";
import type { Decode, DeadLetter, DeadLetterDetails, DeadLetterSelection } from "./types.js";

/**
 * The operator's side of failing jobs: dead-letter lists (DEADLETTERS,
 * DEADLETTER, REDRIVE, DEADPURGE). Client delegates to these; they take
 * the connection's call and the decode mode. Queue policies are in policy.ts.
 */

/** dead letters listed when no count is given: a listing is always bounded */
export const DEAD_LETTERS_LISTED = 1000;

export async function listDeadLetters<T>(
  call: Call,
  how: Decode,
  queue: string,
  count: number,
): Promise<DeadLetter<T>[]> {
  const reply = await call(true, ["DEADLETTERS", queue, count]);
  if (!Array.isArray(reply)) return [];
  return (reply as unknown[][]).map((entry) => {
    const body = entry[1] as Buffer;
    return {
      id: text(entry[0])!,
      queue,
      data: decode(body, how) as T,
      body,
      reason: text(entry[2]) ?? "",
      at: num(entry[3]) ?? 0,
    };
  });
}

export async function showDeadLetter<T>(
  call: Call,
  how: Decode,
  id: string,
): Promise<DeadLetterDetails<T> | null> {
  const reply = await call(true, ["DEADLETTER", id]);
  if (!Array.isArray(reply)) return null;
  const f = pairs(reply);
  const body = f.get("body") as Buffer;
  return {
    id: text(f.get("id"))!,
    queue: text(f.get("queue"))!,
    data: decode(body, how) as T,
    body,
    reason: text(f.get("reason")) ?? "",
    at: num(f.get("at")) ?? 0,
    retries: num(f.get("retries")) ?? -1,
    attempts: parseAttempts(f.get("attempts")),
  };
}

/** REDRIVE / DEADPURGE's selection arguments. */
function selection(which: DeadLetterSelection): Array<string | number> {
  if (which === "all") return [];
  if ("ids" in which) return ["IDS", ...which.ids];
  return [which.count];
}

/** REDRIVE or DEADPURGE; resolves with how many dead letters it took. */
export async function takeDeadLetters(
  call: Call,
  command: "REDRIVE" | "DEADPURGE",
  queue: string,
  which: DeadLetterSelection,
): Promise<number> {
  // an empty id list takes nothing: the wire has no way to say it (IDS needs one)
  if (which !== "all" && "ids" in which && which.ids.length === 0) return 0;
  return Number(await call(false, [command, queue, ...selection(which)]));
}
