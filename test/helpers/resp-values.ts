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
