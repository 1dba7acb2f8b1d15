import { parentPort } from "node:worker_threads";
import { decodeRequests, encodeReplies } from "./batch.js";

/**
 * The raw round trip's far end: decodes a request message and answers each
 * command with a fixed ADDJOB-sized reply (`+<40-byte id>\r\n`), through the
 * same framing as a shard, without an engine. A number (the bare hop, no
 * framing) is sent back as it is.
 */
const REPLY = Buffer.from(`+D-00000000-${"x".repeat(24)}-0001\r\n`);
const port = parentPort!;
port.on("message", (requests: ArrayBuffer | number) => {
  if (typeof requests === "number") return port.postMessage(requests);
  const count = decodeRequests(requests).length;
  const ends = Array.from({ length: count }, (_, i) => (i + 1) * REPLY.length);
  const replies = encodeReplies(ends, Array<Buffer>(count).fill(REPLY), count * REPLY.length);
  port.postMessage(replies, [replies]);
});
