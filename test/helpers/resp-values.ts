import assert from "node:assert/strict";
import { parseReply } from "../../bench/resp-reply.js";

/** The job id of an ADDJOB's `+D-…` reply. */
export function jobIdOf(reply: string): string {
  const match = /^\+(D-[^\r]{38})\r\n$/.exec(reply);
  assert.ok(match, reply);
  return match[1]!;
}

/** A reply as a JS value: arrays, strings (bulk and simple), numbers, null. */
export function replyValue(reply: string): unknown {
  const parsed = parseReply(Buffer.from(reply, "latin1"), 0);
  assert.ok(parsed, reply);
  return parsed.value;
}

/** A flat field/value reply (SHOW, QSTAT, QPOLICY, SCHEDULE GET) as a Map, in its order. */
export function replyPairs(reply: string): Map<string, unknown> {
  const items = replyValue(reply) as unknown[];
  const out = new Map<string, unknown>();
  for (let i = 0; i < items.length; i += 2) out.set(String(items[i]), items[i + 1]);
  return out;
}
